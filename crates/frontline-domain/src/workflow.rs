//! Workflows as stored: a draft document per workflow, immutable published versions, which one each
//! account runs, where each conversation stands in it, and the integrations (base URLs and secret
//! headers) its Action nodes call. The documents and states are JSON text here: their shape belongs
//! to the engine (`frontline-engine::workflow`), the store keeps them whole.

use std::collections::BTreeMap;

use crate::{ConversationId, OperatorId, ParseError, Timestamp};

crate::ids::id_type!(
    /// A workflow (its draft and its published versions).
    WorkflowId
);

/// Longest workflow document or test-suite JSON accepted, in bytes.
pub const MAX_WORKFLOW_JSON_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub id: WorkflowId,
    pub name: String,
    /// The document being edited (JSON, `version: 1`); publishing copies it into a version.
    pub draft: String,
    /// The regression suite (JSON array of test cases) kept with the workflow.
    pub tests: String,
    /// The version accounts running this workflow use; `None` until first published.
    pub published_version: Option<i32>,
    /// 1 when created, one more with every save of the draft: an editor sends the revision it
    /// started from, so a save over someone else's newer one is refused instead of lost.
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A workflow's name, draft and tests as an editor saves them.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowDraft {
    pub name: String,
    pub draft: String,
    pub tests: String,
}

impl WorkflowDraft {
    /// Trims the name and checks sizes; the JSON itself is the engine's to validate.
    pub fn cleaned(self) -> Result<Self, ParseError> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ParseError::new("name", "must be 1 to 200 characters"));
        }
        if self.draft.len() > MAX_WORKFLOW_JSON_BYTES || self.tests.len() > MAX_WORKFLOW_JSON_BYTES
        {
            return Err(ParseError::new(
                "draft",
                "the document is larger than 512 KiB",
            ));
        }
        Ok(Self { name, ..self })
    }
}

/// Longest publish note, in characters.
pub const MAX_PUBLISH_NOTE_CHARS: usize = 1000;

/// A publisher's note as stored: trimmed, `None` when blank.
pub fn publish_note(note: Option<&str>) -> Result<Option<String>, ParseError> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if note.chars().count() > MAX_PUBLISH_NOTE_CHARS {
        return Err(ParseError::new("note", "must be at most 1000 characters"));
    }
    Ok(Some(note.to_owned()))
}

/// One published, immutable version.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowVersion {
    pub workflow_id: WorkflowId,
    /// 1, 2, … in publishing order.
    pub version: i32,
    pub document: String,
    pub published_at: Timestamp,
    pub published_by: Option<OperatorId>,
    /// What the publisher said changed.
    pub note: Option<String>,
}

/// Where a conversation stands in a workflow, saved after every message it handled.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowState {
    pub conversation_id: ConversationId,
    pub workflow_id: WorkflowId,
    /// The version the conversation started on; it finishes on it even if a newer one is
    /// published meanwhile.
    pub version: i32,
    /// The interpreter's state (JSON): the node it waits at, variables, retries.
    pub state: String,
    pub updated_at: Timestamp,
}

/// What one bot turn does to the conversation's place in a workflow.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FlowChange {
    /// Not in a workflow, or the turn did not touch it.
    #[default]
    Keep,
    /// The conversation waits in the workflow (an Ask node): remember where.
    Save {
        workflow_id: WorkflowId,
        version: i32,
        /// The interpreter's state (JSON).
        state: String,
    },
    /// The workflow finished, handed off, or the customer asked for a person: start over next time.
    Clear,
}

/// Which version a conversation runs of the workflow its account chose: the one it stands in when it
/// is mid-way through this workflow (a conversation finishes on the version it started on), else the
/// published one; `None` when nothing is published. Returns the version and, when continuing, the
/// stored interpreter state.
pub fn flow_position<'a>(
    workflow: &Workflow,
    stored: Option<&'a FlowState>,
) -> Option<(i32, Option<&'a str>)> {
    match stored {
        Some(s) if s.workflow_id == workflow.id => Some((s.version, Some(s.state.as_str()))),
        _ => workflow.published_version.map(|v| (v, None)),
    }
}

/// An external system Action nodes call: its base URL and the headers (API keys) sent with every
/// request, kept here once instead of in each workflow document.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// `shop`; lowercase latin letters, digits, `-` and `_`.
    pub name: String,
    pub base_url: String,
    /// Secret values: the API shows their names only.
    pub headers: BTreeMap<String, String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod flow_tests {
    use super::*;

    fn workflow(id: i64, published: Option<i32>) -> Workflow {
        Workflow {
            id: WorkflowId(id),
            name: "w".into(),
            draft: "{}".into(),
            tests: "[]".into(),
            published_version: published,
            revision: 1,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn state(workflow: i64, version: i32) -> FlowState {
        FlowState {
            conversation_id: ConversationId(1),
            workflow_id: WorkflowId(workflow),
            version,
            state: "{\"at\":\"ask\"}".into(),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn publish_notes_are_trimmed_and_bounded() {
        assert_eq!(publish_note(None), Ok(None));
        assert_eq!(publish_note(Some("  \n ")), Ok(None));
        assert_eq!(
            publish_note(Some("  новый ответ про доставку ")),
            Ok(Some("новый ответ про доставку".to_owned()))
        );
        assert!(publish_note(Some(&"я".repeat(MAX_PUBLISH_NOTE_CHARS))).is_ok());
        assert!(publish_note(Some(&"я".repeat(MAX_PUBLISH_NOTE_CHARS + 1))).is_err());
    }

    #[test]
    fn a_conversation_finishes_on_the_version_it_started_on() {
        let w = workflow(1, Some(3));
        let s = state(1, 2);
        assert_eq!(
            flow_position(&w, Some(&s)),
            Some((2, Some("{\"at\":\"ask\"}")))
        );
    }

    #[test]
    fn a_new_conversation_or_another_workflow_starts_on_the_published_version() {
        let w = workflow(1, Some(3));
        assert_eq!(flow_position(&w, None), Some((3, None)));
        assert_eq!(flow_position(&w, Some(&state(9, 1))), Some((3, None)));
        assert_eq!(flow_position(&workflow(1, None), None), None);
    }
}
