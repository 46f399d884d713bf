//! The workflow document: the JSON a ReactFlow editor loads and saves as is.
//!
//! ```json
//! {
//!   "version": 1,
//!   "nodes": [
//!     {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
//!     {"id": "ask_order", "type": "ask", "position": {"x": 200, "y": 0},
//!      "data": {"slot": "order_number", "question": "Номер заказа?", "max_retries": 2}}
//!   ],
//!   "edges": [
//!     {"id": "e1", "source": "start", "target": "ask_order"},
//!     {"id": "e2", "source": "ask_order", "sourceHandle": "ok", "target": "status"}
//!   ]
//! }
//! ```
//!
//! The document is deliberately loose: a node's `type` is a string and its `data` raw JSON, so a
//! draft with an unknown type or a half-filled form still loads, and [`super::graph`] reports every
//! problem against the node's id instead of refusing the whole file at the first one. Fields a UI
//! adds (`selected`, `width`, `measured`, `viewport`, a `label` inside `data`…) are kept in `extra`
//! maps and written back, so an editor round trip never loses or rejects anything.
//!
//! # Node types and their `data`
//!
//! Output handles (an edge's `sourceHandle`) are listed per type; nodes with one output accept an
//! edge without a handle. Templates are described in [`super::template`], expressions in
//! [`super::expr`].
//!
//! | `type` | `data` | outputs |
//! |---|---|---|
//! | `start` | — | `out` |
//! | `intent` | `intents: [name]` | one per intent name, `fallback` |
//! | `confidence` | `threshold` (0–1) | `high`, `low` |
//! | `context` | `set: {var: template}` | `out` |
//! | `search` | `category?`, `top_k` (4), `min_confidence` (0.5), `query?` (template, default the message), `into` (`"search"`) | `found`, `not_found` |
//! | `ai_response` | `model?`, `temperature` (0.3), `max_tokens` (400), `system_prompt`, `grounded` (false), `search_var` (`"search"`) | `out`, `error` |
//! | `condition` | `expression` | `true`, `false` |
//! | `action` | `integration?`, `method` (`GET`), `url`, `headers: {name: template}`, `body?`, `timeout_ms` (5000), `map: {var: JSON pointer}` | `ok`, `error`, `timeout` |
//! | `ask` | `slot`, `question`, `retry_question?`, `validator?` (a slot kind or a regex), `max_retries` (2) | `ok`, `failed` |
//! | `message` | `text` | `out` |
//! | `handoff` | `reason`, `queue?`, `briefing_template?`, `message?` | — |
//! | `end` | `message?` | — |
//!
//! An `action`'s secrets and base URL belong to the named integration, stored outside the workflow:
//! a workflow can be exported, shared and versioned without leaking a token.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The only format version so far.
pub const VERSION: u32 = 1;

/// A whole workflow as the editor stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowDocument {
    pub version: u32,
    #[serde(default)]
    pub nodes: Vec<NodeDoc>,
    #[serde(default)]
    pub edges: Vec<EdgeDoc>,
    /// Whatever else the editor saves (`viewport`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WorkflowDocument {
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn to_json(&self) -> String {
        // A document is strings, numbers and maps with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A node as ReactFlow stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDoc {
    pub id: String,
    /// One of [`NodeType`]'s names; kept as a string so an unknown one is a validation problem,
    /// not a load failure.
    #[serde(rename = "type")]
    pub node_type: String,
    #[serde(default)]
    pub position: Position,
    #[serde(default)]
    pub data: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NodeDoc {
    /// A node with typed data, for building documents in code (the default workflow, tests).
    pub fn new(id: impl Into<String>, data: NodeData) -> Self {
        Self {
            id: id.into(),
            node_type: data.node_type().as_str().to_owned(),
            position: Position::default(),
            data: data.to_value(),
            extra: Map::new(),
        }
    }

    pub fn at(mut self, x: f64, y: f64) -> Self {
        self.position = Position { x, y };
        self
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// An edge as ReactFlow stores it: from a node's output handle to another node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeDoc {
    pub id: String,
    pub source: String,
    pub target: String,
    #[serde(
        rename = "sourceHandle",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub source_handle: Option<String>,
    /// Nodes have a single input, so this is kept for the editor and otherwise ignored.
    #[serde(
        rename = "targetHandle",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub target_handle: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EdgeDoc {
    pub fn new(
        id: impl Into<String>,
        source: impl Into<String>,
        handle: Option<&str>,
        target: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            source: source.into(),
            target: target.into(),
            source_handle: handle.map(str::to_owned),
            target_handle: None,
            extra: Map::new(),
        }
    }
}

/// The kinds of node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeType {
    Start,
    Intent,
    Confidence,
    Context,
    Search,
    AiResponse,
    Condition,
    Action,
    Ask,
    Message,
    Handoff,
    End,
}

impl NodeType {
    pub const ALL: [NodeType; 12] = [
        NodeType::Start,
        NodeType::Intent,
        NodeType::Confidence,
        NodeType::Context,
        NodeType::Search,
        NodeType::AiResponse,
        NodeType::Condition,
        NodeType::Action,
        NodeType::Ask,
        NodeType::Message,
        NodeType::Handoff,
        NodeType::End,
    ];

    /// The `type` string in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::Start => "start",
            NodeType::Intent => "intent",
            NodeType::Confidence => "confidence",
            NodeType::Context => "context",
            NodeType::Search => "search",
            NodeType::AiResponse => "ai_response",
            NodeType::Condition => "condition",
            NodeType::Action => "action",
            NodeType::Ask => "ask",
            NodeType::Message => "message",
            NodeType::Handoff => "handoff",
            NodeType::End => "end",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for NodeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `start`: where every conversation (and every message after the workflow ended) begins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartData {
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `intent`: classifies the message; branches by intent name, `fallback` for anything else
/// (another intent, or out of scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentData {
    pub intents: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `confidence`: `high` when the latest classification's calibrated confidence reaches the
/// threshold, `low` otherwise (also when nothing was classified yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceData {
    pub threshold: f64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `context`: sets variables from templates. A template that is exactly one placeholder
/// (`"{vars.order}"`) copies the JSON value as is; anything else stores the rendered string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextData {
    pub set: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `search`: knowledge-base retrieval; the hits at or above `min_confidence` go into `vars[into]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f64,
    /// What to search for; the customer's message when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default = "default_search_var")]
    pub into: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `ai_response`: one LLM call with this node's own model, temperature and token limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiResponseData {
    /// The deployment's default model when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// A template.
    pub system_prompt: String,
    /// Answer only from the search hits in `vars[search_var]`, citing them; no hits is an error.
    #[serde(default)]
    pub grounded: bool,
    #[serde(default = "default_search_var")]
    pub search_var: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `condition`: branches on an expression (see [`super::expr`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionData {
    pub expression: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `action`: an HTTP call to the business's own system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionData {
    /// A stored integration: its base URL (for a relative `url`) and secret headers are added by
    /// the caller, so they never appear in the workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
    #[serde(default = "default_method")]
    pub method: String,
    /// A template; placeholder values are percent-encoded.
    pub url: String,
    /// Templates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A template; placeholder values are escaped for use inside a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Variables to set from the JSON response, by JSON pointer (`"/order/status"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub map: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `ask`: asks for a slot and waits for the customer's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskData {
    /// The slot key the answer is stored under (`order_number`).
    pub slot: String,
    /// A template.
    pub question: String,
    /// Said instead of `question` when an answer did not parse; the question again when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_question: Option<String>,
    /// A slot kind (`phone`) or a regular expression; the slot's own kind when absent. A regex
    /// stores its first capture group if it has one, else the whole match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<String>,
    /// Answers that did not parse before giving up (`failed`).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Ask even when the slot is already known — to correct a value an Action could not find
    /// («no such order, check the number»). The old value stays readable as
    /// `vars.<slot>_before`, for the briefing if the new one fails too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reask: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `message`: a templated reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageData {
    pub text: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `handoff`: an operator takes over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffData {
    /// A handoff reason (`topic_policy`, `customer_asked`, `low_confidence`, …).
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// A template for the operator's briefing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub briefing_template: Option<String>,
    /// A template said to the customer before the operator joins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `end`: the workflow is done with this message; the next one starts again at `start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A node's typed `data`.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeData {
    Start(StartData),
    Intent(IntentData),
    Confidence(ConfidenceData),
    Context(ContextData),
    Search(SearchData),
    AiResponse(AiResponseData),
    Condition(ConditionData),
    Action(ActionData),
    Ask(AskData),
    Message(MessageData),
    Handoff(HandoffData),
    End(EndData),
}

impl NodeData {
    /// Reads `data` as the given type; the error is serde's, naming the missing or invalid field.
    pub fn parse(node_type: NodeType, data: &Value) -> Result<Self, String> {
        // ReactFlow nodes without data carry `null` or nothing; types without required fields
        // accept that.
        let empty = Value::Object(Map::new());
        let data = if data.is_null() { &empty } else { data };
        fn typed<T: DeserializeOwned>(v: &Value) -> Result<T, String> {
            T::deserialize(v).map_err(|e| e.to_string())
        }
        Ok(match node_type {
            NodeType::Start => NodeData::Start(typed(data)?),
            NodeType::Intent => NodeData::Intent(typed(data)?),
            NodeType::Confidence => NodeData::Confidence(typed(data)?),
            NodeType::Context => NodeData::Context(typed(data)?),
            NodeType::Search => NodeData::Search(typed(data)?),
            NodeType::AiResponse => NodeData::AiResponse(typed(data)?),
            NodeType::Condition => NodeData::Condition(typed(data)?),
            NodeType::Action => NodeData::Action(typed(data)?),
            NodeType::Ask => NodeData::Ask(typed(data)?),
            NodeType::Message => NodeData::Message(typed(data)?),
            NodeType::Handoff => NodeData::Handoff(typed(data)?),
            NodeType::End => NodeData::End(typed(data)?),
        })
    }

    pub fn node_type(&self) -> NodeType {
        match self {
            NodeData::Start(_) => NodeType::Start,
            NodeData::Intent(_) => NodeType::Intent,
            NodeData::Confidence(_) => NodeType::Confidence,
            NodeData::Context(_) => NodeType::Context,
            NodeData::Search(_) => NodeType::Search,
            NodeData::AiResponse(_) => NodeType::AiResponse,
            NodeData::Condition(_) => NodeType::Condition,
            NodeData::Action(_) => NodeType::Action,
            NodeData::Ask(_) => NodeType::Ask,
            NodeData::Message(_) => NodeType::Message,
            NodeData::Handoff(_) => NodeType::Handoff,
            NodeData::End(_) => NodeType::End,
        }
    }

    pub fn to_value(&self) -> Value {
        let v = match self {
            NodeData::Start(d) => serde_json::to_value(d),
            NodeData::Intent(d) => serde_json::to_value(d),
            NodeData::Confidence(d) => serde_json::to_value(d),
            NodeData::Context(d) => serde_json::to_value(d),
            NodeData::Search(d) => serde_json::to_value(d),
            NodeData::AiResponse(d) => serde_json::to_value(d),
            NodeData::Condition(d) => serde_json::to_value(d),
            NodeData::Action(d) => serde_json::to_value(d),
            NodeData::Ask(d) => serde_json::to_value(d),
            NodeData::Message(d) => serde_json::to_value(d),
            NodeData::Handoff(d) => serde_json::to_value(d),
            NodeData::End(d) => serde_json::to_value(d),
        };
        // Plain structs of strings and numbers; a non-finite float (NaN threshold) is the only
        // way to fail, and `null` then shows up as a validation problem.
        v.unwrap_or(Value::Null)
    }

    /// The output handles of a node of this data, in display order.
    pub fn outputs(&self) -> Vec<String> {
        let fixed: &[&str] = match self {
            NodeData::Intent(d) => {
                let mut out: Vec<String> = d.intents.clone();
                out.push(FALLBACK.to_owned());
                return out;
            }
            NodeData::Start(_) | NodeData::Context(_) | NodeData::Message(_) => &["out"],
            NodeData::Confidence(_) => &["high", "low"],
            NodeData::Search(_) => &["found", "not_found"],
            NodeData::AiResponse(_) => &["out", "error"],
            NodeData::Condition(_) => &["true", "false"],
            // `not_found` (a 404) is optional: when open, a 404 takes `error`.
            NodeData::Action(_) => &["ok", "not_found", "error", "timeout"],
            NodeData::Ask(_) => &["ok", "failed"],
            NodeData::Handoff(_) | NodeData::End(_) => &[],
        };
        fixed.iter().map(|s| (*s).to_owned()).collect()
    }
}

/// The intent node's branch for everything not listed.
pub const FALLBACK: &str = "fallback";

fn default_top_k() -> usize {
    4
}
fn default_min_confidence() -> f64 {
    0.5
}
fn default_search_var() -> String {
    "search".to_owned()
}
fn default_temperature() -> f32 {
    0.3
}
fn default_max_tokens() -> u32 {
    400
}
fn default_method() -> String {
    "GET".to_owned()
}
fn default_timeout_ms() -> u64 {
    5000
}
fn default_max_retries() -> u32 {
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a ReactFlow editor saves: UI fields on nodes, edges and the document.
    const EDITOR_JSON: &str = r#"{
      "version": 1,
      "viewport": {"x": 10, "y": -5, "zoom": 0.8},
      "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {},
         "selected": false, "width": 150, "height": 40, "measured": {"width": 150, "height": 40}},
        {"id": "ask", "type": "ask", "position": {"x": 200.5, "y": 10},
         "data": {"slot": "order_number", "question": "Номер заказа?", "label": "Спросить номер"},
         "dragging": false},
        {"id": "bye", "type": "end", "position": {"x": 400, "y": 10}, "data": null}
      ],
      "edges": [
        {"id": "e1", "source": "start", "target": "ask", "animated": true, "sourceHandle": null},
        {"id": "e2", "source": "ask", "sourceHandle": "ok", "target": "bye", "targetHandle": "in",
         "type": "smoothstep"}
      ]
    }"#;

    #[test]
    fn an_editor_document_round_trips() {
        let doc = WorkflowDocument::from_json(EDITOR_JSON).unwrap();
        assert_eq!(doc.version, 1);
        assert_eq!(doc.nodes.len(), 3);
        assert_eq!(doc.nodes[1].position, Position { x: 200.5, y: 10.0 });
        assert_eq!(doc.edges[1].source_handle.as_deref(), Some("ok"));
        assert_eq!(doc.edges[1].target_handle.as_deref(), Some("in"));
        assert_eq!(doc.edges[0].source_handle, None);
        assert!(doc.extra.contains_key("viewport"));
        assert_eq!(doc.nodes[0].extra["width"], 150);
        assert_eq!(doc.edges[1].extra["type"], "smoothstep");

        let saved = doc.to_json();
        let again = WorkflowDocument::from_json(&saved).unwrap();
        assert_eq!(again, doc);
        // The editor's names are kept on the wire.
        let wire: Value = serde_json::from_str(&saved).unwrap();
        assert_eq!(wire["edges"][1]["sourceHandle"], "ok");
        assert_eq!(wire["edges"][1]["targetHandle"], "in");
        assert_eq!(wire["nodes"][1]["type"], "ask");
        assert_eq!(wire["nodes"][1]["data"]["label"], "Спросить номер");
        assert_eq!(wire["viewport"]["zoom"], 0.8);
    }

    #[test]
    fn typed_data_keeps_ui_fields_and_fills_defaults() {
        let doc = WorkflowDocument::from_json(EDITOR_JSON).unwrap();
        let NodeData::Ask(ask) = NodeData::parse(NodeType::Ask, &doc.nodes[1].data).unwrap() else {
            panic!("not an ask");
        };
        assert_eq!(ask.max_retries, 2);
        assert_eq!(ask.extra["label"], "Спросить номер");
        let back = NodeData::Ask(ask.clone()).to_value();
        assert_eq!(back["label"], "Спросить номер");
        assert_eq!(
            NodeData::parse(NodeType::Ask, &back).unwrap(),
            NodeData::Ask(ask)
        );
        assert!(matches!(
            NodeData::parse(NodeType::End, &Value::Null),
            Ok(NodeData::End(_))
        ));
        let err =
            NodeData::parse(NodeType::Ask, &serde_json::json!({"question": "?"})).unwrap_err();
        assert!(err.contains("slot"), "{err}");
    }

    #[test]
    fn node_types_round_trip_and_list_outputs() {
        for t in NodeType::ALL {
            assert_eq!(NodeType::parse(t.as_str()), Some(t));
        }
        assert_eq!(NodeType::parse("Start"), None);
        let intent = NodeData::Intent(IntentData {
            intents: vec!["order_status".into(), "returns".into()],
            extra: Map::new(),
        });
        assert_eq!(intent.outputs(), ["order_status", "returns", "fallback"]);
        let built = NodeDoc::new("i", intent.clone()).at(1.0, 2.0);
        assert_eq!(built.node_type, "intent");
        assert_eq!(NodeData::parse(NodeType::Intent, &built.data), Ok(intent));
    }
}
