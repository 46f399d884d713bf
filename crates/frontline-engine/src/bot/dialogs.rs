//! Scripted multi-turn dialogs through the real engine: `frontline eval dialogs`.
//!
//! A dialog is what a customer writes, turn by turn, and what each turn should lead to. It runs
//! through [`Bot::decide`] exactly as the lifecycle drives it — the conversation's history, its
//! recorded decisions, its slots and intent, and (for an account with a workflow) the workflow's
//! stored state are kept between turns the way the store keeps them ([`SimulatedConversation`]) —
//! so the same file measures the built-in cascade and a published workflow, whose Action calls go
//! to whatever the workflow's integrations point at (the demo shop, for `frontline eval dialogs`).
//!
//! # The file: JSON lines, one dialog each
//!
//! ```json
//! {"id": "st-01", "type": "status_check", "lang": "ru", "at": "2025-11-20 14:30",
//!  "customer": {"name": "Ольга", "phone": "+79031234567"}, "channel": "api",
//!  "turns": [
//!    {"say": "где мой заказ", "expect": "ask", "slot": "order_number"},
//!    {"say": "784512", "expect": "answer", "intent": "order_status", "says": ["784512"]}
//!  ]}
//! ```
//!
//! `type` is the brief's request type the dialog stands for (`status_check`, `data_change`, `faq`,
//! `complaint`, `urgent`, or `other`), used to report per type. `at` is the shop's local time of
//! the first message (default [`DEFAULT_AT`]); each turn is a minute later. `customer` is the
//! channel's customer card (default: a name, no phone).
//!
//! A turn's `expect` is one outcome or a list of acceptable ones:
//! - `answer`: answered on topic. The bot replied with an answer; or, for an intent the bot
//!   configuration routes to a person once its values are collected (`answer.kind = handoff`), it
//!   handed over with `topic_policy` — that *is* the configured answer.
//! - `ask`: asked for a value; `slot` names which.
//! - `handoff`: handed over to a person; `reason` (one or a list) and `facts` (strings the
//!   operator's briefing must contain) narrow it.
//! - `fallback`: said what it can help with (the message is out of scope).
//! - `clarify`: asked a clarifying question.
//!
//! `intent` (one or a list) is the topic the bot must have recognised; an answer from the knowledge
//! base without an intent counts when the articles it cites belong to the intent's category.
//! `says` / `not_says` are strings the bot's words must / must not contain (case-insensitive).
//! Whatever the expectation, a fallback or clarifying text the bot already said in the dialog is a
//! failure: the same canned text twice reads as a broken bot.
//!
//! A handoff ends the dialog (what follows is for the operator): the dialog passes when every turn
//! that ran met its expectation and it either ran all turns or ended with an expected handoff.

use std::collections::{BTreeMap, BTreeSet};

use frontline_domain::{
    AccountId, AccountKind, Author, Conversation, ConversationId, ConversationStatus,
    ConversationView, Customer, CustomerId, DecisionAction, DecisionId, DecisionRecord,
    DeliveryStatus, Direction, FlowChange, HandoffReason, Lead, Message, MessageId, Slots,
    Timestamp,
};
use frontline_lifecycle::{Bot, BotDecision, BotInput, BotOutcome, WorkflowInput};
use serde::{Deserialize, Serialize};

use super::config::{AnswerConfig, CompiledConfig};
use crate::kb::KnowledgeBase;
use crate::slots::CivilDate;
use crate::workflow::WorkflowDocument;

/// The shop's local time of a dialog's first message when it gives none: a Thursday afternoon.
pub const DEFAULT_AT: &str = "2025-11-20 14:30";

/// Messages of history handed to the bot, as the lifecycle's worker does by default.
const HISTORY: usize = 20;

/// One value or several; both spellings are accepted in the file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// What one turn may lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Answer,
    Ask,
    Handoff,
    Fallback,
    Clarify,
}

/// The customer card of a dialog.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DialogCustomer {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// One customer message and what it should lead to.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TurnSpec {
    pub say: String,
    pub expect: OneOrMany<Expect>,
    #[serde(default)]
    pub intent: Option<OneOrMany<String>>,
    #[serde(default)]
    pub slot: Option<String>,
    #[serde(default)]
    pub says: Vec<String>,
    #[serde(default)]
    pub not_says: Vec<String>,
    #[serde(default)]
    pub facts: Vec<String>,
    #[serde(default)]
    pub reason: Option<OneOrMany<String>>,
}

/// One scripted dialog.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DialogSpec {
    pub id: String,
    #[serde(rename = "type")]
    pub request_type: String,
    #[serde(default)]
    pub lang: Option<String>,
    /// `api` (default), `avito` or `voice`.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub customer: Option<DialogCustomer>,
    /// `YYYY-MM-DD HH:MM`, the shop's local time.
    #[serde(default)]
    pub at: Option<String>,
    pub turns: Vec<TurnSpec>,
}

/// Parses a JSON-lines file of dialogs (blank lines and lines starting with `//` are skipped);
/// the error names the line.
pub fn parse_dialogs(text: &str) -> Result<Vec<DialogSpec>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let spec: DialogSpec =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if spec.turns.is_empty() {
            return Err(format!("line {}: dialog {} has no turns", i + 1, spec.id));
        }
        if spec
            .at
            .as_deref()
            .is_some_and(|at| local_millis(at, 0).is_none())
        {
            return Err(format!(
                "line {}: `at` must be YYYY-MM-DD HH:MM, not {:?}",
                i + 1,
                spec.at
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

/// `YYYY-MM-DD HH:MM` at `utc_offset_minutes` as milliseconds since the epoch.
fn local_millis(at: &str, utc_offset_minutes: i32) -> Option<i64> {
    let (date, time) = at.trim().split_once(' ')?;
    let date = CivilDate::parse_iso(date)?;
    let (h, m) = time.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    let local = date.days_since_epoch() * 86_400_000 + (h * 60 + m) * 60_000;
    Some(local - i64::from(utc_offset_minutes) * 60_000)
}

/// One conversation as the lifecycle keeps it — the view, the history, the recorded decisions
/// and the workflow's stored state — advanced one customer message at a time.
#[derive(Debug, Clone)]
pub struct SimulatedConversation {
    pub view: ConversationView,
    pub history: Vec<Message>,
    pub decisions: Vec<DecisionRecord>,
    /// The workflow the conversation runs on, with the state the store would hold.
    pub workflow: Option<WorkflowInput>,
    /// When the next customer message arrives.
    pub clock: Timestamp,
    next_id: i64,
}

impl SimulatedConversation {
    pub fn new(
        kind: AccountKind,
        name: Option<String>,
        phone: Option<String>,
        at: Timestamp,
    ) -> Self {
        Self {
            view: ConversationView {
                conversation: Conversation {
                    id: ConversationId(1),
                    account_id: AccountId(1),
                    customer_id: CustomerId(1),
                    external_chat_id: "chat-1".into(),
                    listing: None,
                    lead: Lead::Bot,
                    assignee: None,
                    status: ConversationStatus::Open,
                    intent: None,
                    slots: Slots::new(),
                    unread_count: 0,
                    last_message: None,
                    created_at: at,
                    updated_at: at,
                },
                customer: Customer {
                    id: CustomerId(1),
                    account_id: AccountId(1),
                    external_id: "c-1".into(),
                    name,
                    avatar_url: None,
                    phone,
                    created_at: at,
                },
                account_name: "Shop".into(),
                account_kind: kind,
                assignee_name: None,
            },
            history: Vec::new(),
            decisions: Vec::new(),
            workflow: None,
            clock: at,
            next_id: 0,
        }
    }

    fn message(&mut self, direction: Direction, text: &str, at: Timestamp) -> Message {
        self.next_id += 1;
        Message {
            id: MessageId(self.next_id),
            conversation_id: ConversationId(1),
            account_id: AccountId(1),
            direction,
            author: if direction == Direction::In {
                Author::Customer
            } else {
                Author::Bot
            },
            text: text.into(),
            attachments: vec![],
            quote: None,
            link: None,
            external_id: None,
            status: DeliveryStatus::Delivered,
            error: None,
            created_at: at,
        }
    }

    /// The customer writes; the bot decides; its decision, reply, what it learned and the flow
    /// state are kept as the store keeps them. The next message comes a minute later.
    pub async fn say(&mut self, bot: &dyn Bot, text: &str) -> BotOutcome {
        let at = self.clock;
        self.clock = Timestamp(at.0 + 60_000);
        let message = self.message(Direction::In, text, at);
        self.history.push(message.clone());
        let from = self.history.len().saturating_sub(HISTORY);
        let outcome = bot
            .decide(BotInput {
                conversation: self.view.clone(),
                message: message.clone(),
                history: self.history[from..].to_vec(),
                recent_decisions: self.decisions[self.decisions.len().saturating_sub(HISTORY)..]
                    .to_vec(),
                workflow: self.workflow.clone(),
            })
            .await;
        if let Some(w) = &mut self.workflow {
            match &outcome.flow {
                FlowChange::Keep => {}
                FlowChange::Save { state, .. } => w.state = Some(state.clone()),
                FlowChange::Clear => w.state = None,
            }
        }
        self.decisions.push(DecisionRecord {
            id: DecisionId(self.decisions.len() as i64 + 1),
            conversation_id: ConversationId(1),
            message_id: message.id,
            action: outcome.trace.action,
            stage: outcome.trace.stage,
            intent: outcome.trace.intent.clone(),
            confidence: outcome.trace.confidence,
            reason: match &outcome.decision {
                BotDecision::Handoff { reason, .. } => Some(*reason),
                _ => None,
            },
            article_ids: outcome.trace.article_ids.clone(),
            latency_us: 0,
            note: outcome.trace.note.clone(),
            trace: outcome.trace.steps.clone(),
            created_at: at,
        });
        let answered = Timestamp(at.0 + 1_000);
        match &outcome.decision {
            BotDecision::Reply {
                text,
                intent,
                slots,
            } => {
                let reply = self.message(Direction::Out, text, answered);
                self.history.push(reply);
                self.view.conversation.intent = intent.clone();
                self.view.conversation.slots = slots.clone();
            }
            BotDecision::Handoff {
                context, farewell, ..
            } => {
                if let Some(f) = farewell {
                    let reply = self.message(Direction::Out, f, answered);
                    self.history.push(reply);
                }
                self.view.conversation.lead = Lead::Operator;
                self.view.conversation.intent = context.intent.clone();
                self.view.conversation.slots = context.slots.clone();
            }
            BotDecision::Ignore => {}
        }
        outcome
    }
}

/// What a turn led to, as the eval reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    #[serde(serialize_with = "action_name")]
    pub action: DecisionAction,
    pub intent: Option<String>,
    /// The value asked for.
    pub slot: Option<String>,
    #[serde(serialize_with = "reason_name")]
    pub reason: Option<HandoffReason>,
    /// The reply, or the farewell of a handoff.
    pub text: String,
    pub briefing: Option<String>,
    /// Categories of the knowledge-base articles the answer cites.
    pub categories: Vec<String>,
    pub note: Option<String>,
}

fn action_name<S: serde::Serializer>(a: &DecisionAction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(a.as_str())
}

fn reason_name<S: serde::Serializer>(r: &Option<HandoffReason>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_some(r.as_str()),
        None => s.serialize_none(),
    }
}

/// What the engine knows that the eval needs to read an outcome: the configuration (which intents
/// a person answers) and the knowledge base (which category an article is in).
#[derive(Debug)]
pub struct Reader<'a> {
    pub compiled: &'a CompiledConfig,
    pub article_categories: BTreeMap<String, String>,
}

impl<'a> Reader<'a> {
    pub fn new(compiled: &'a CompiledConfig, kb: &KnowledgeBase) -> Self {
        Self {
            compiled,
            article_categories: kb
                .articles
                .iter()
                .map(|a| (a.id.clone(), a.category.clone()))
                .collect(),
        }
    }

    /// The slot an outcome asks for: the cascade notes `needs <slot>`; a workflow waits at an ask
    /// node, whose slot its document names.
    fn asked_slot(&self, outcome: &BotOutcome, workflow: Option<&WorkflowInput>) -> Option<String> {
        if let FlowChange::Save { state, .. } = &outcome.flow {
            let position = crate::workflow::State::from_json(state).ok()?.position?;
            let doc = WorkflowDocument::from_json(&workflow?.document).ok()?;
            let node = doc.nodes.iter().find(|n| n.id == position)?;
            return node.data.get("slot")?.as_str().map(str::to_owned);
        }
        let note = outcome.trace.note.as_deref()?;
        let at = note.find("needs ")?;
        note[at + 6..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .map(str::to_owned)
    }

    pub fn observe(&self, outcome: &BotOutcome, workflow: Option<&WorkflowInput>) -> Observed {
        let (text, reason, briefing) = match &outcome.decision {
            BotDecision::Reply { text, .. } => (text.clone(), None, None),
            BotDecision::Handoff {
                reason,
                context,
                farewell,
            } => (
                farewell.clone().unwrap_or_default(),
                Some(*reason),
                context.briefing.clone(),
            ),
            BotDecision::Ignore => (String::new(), None, None),
        };
        let intent = outcome
            .trace
            .intent
            .clone()
            .or_else(|| match &outcome.decision {
                BotDecision::Handoff { context, .. } => context.intent.clone(),
                _ => None,
            });
        Observed {
            action: outcome.trace.action,
            slot: (outcome.trace.action == DecisionAction::AskSlot)
                .then(|| self.asked_slot(outcome, workflow))
                .flatten(),
            intent,
            reason,
            text,
            briefing,
            categories: outcome
                .trace
                .article_ids
                .iter()
                .filter_map(|a| self.article_categories.get(a).cloned())
                .collect(),
            note: outcome.trace.note.clone(),
        }
    }

    /// Is a `topic_policy` handoff on `intent` the configured answer (a person answers it)?
    fn served_by_person(&self, intent: Option<&str>) -> bool {
        intent
            .and_then(|i| self.compiled.intent(i))
            .is_some_and(|i| matches!(i.answer, AnswerConfig::Handoff { .. }))
    }

    /// Does `o` stand for one of `intents`: recognised as one, or answered from articles in the
    /// knowledge category one of them answers from?
    fn on_topic(&self, o: &Observed, intents: &[String]) -> bool {
        if let Some(i) = &o.intent {
            return intents.contains(i);
        }
        let categories: BTreeSet<&str> = intents
            .iter()
            .filter_map(|i| self.compiled.intent(i))
            .filter_map(|i| match &i.answer {
                AnswerConfig::Knowledge { category } => category.as_deref(),
                _ => None,
            })
            .collect();
        !o.categories.is_empty() && o.categories.iter().all(|c| categories.contains(c.as_str()))
    }

    /// Every way `o` misses `spec`; `said_before` are the bot's earlier texts in the dialog.
    pub fn check(&self, spec: &TurnSpec, o: &Observed, said_before: &[String]) -> Vec<String> {
        let mut failures = Vec::new();
        let intents = spec.intent.as_ref().map(OneOrMany::to_vec);
        let kinds = spec.expect.to_vec();
        let served = o.reason == Some(HandoffReason::TopicPolicy)
            && self.served_by_person(o.intent.as_deref());
        let matched = kinds.iter().copied().find(|k| match k {
            Expect::Answer => o.action == DecisionAction::Answer || served,
            Expect::Ask => o.action == DecisionAction::AskSlot,
            Expect::Handoff => o.action == DecisionAction::Handoff,
            Expect::Fallback => o.action == DecisionAction::Fallback,
            Expect::Clarify => o.action == DecisionAction::Clarify,
        });
        let Some(kind) = matched else {
            failures.push(format!(
                "expected {kinds:?}, got {}{}",
                o.action.as_str(),
                o.reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ));
            return failures;
        };
        if let Some(want) = &intents
            && matches!(kind, Expect::Answer | Expect::Ask)
            && !self.on_topic(o, want)
        {
            failures.push(format!(
                "intent {:?} (articles in {:?}), expected {want:?}",
                o.intent, o.categories
            ));
        }
        if kind == Expect::Ask
            && let Some(slot) = &spec.slot
            && o.slot.as_ref() != Some(slot)
        {
            failures.push(format!("asked for {:?}, expected {slot}", o.slot));
        }
        if kind == Expect::Handoff
            && let Some(reasons) = &spec.reason
            && !o
                .reason
                .is_some_and(|r| reasons.to_vec().iter().any(|w| w == r.as_str()))
        {
            failures.push(format!(
                "handoff reason {:?}, expected {:?}",
                o.reason.map(|r| r.as_str()),
                reasons.to_vec()
            ));
        }
        if o.action == DecisionAction::Handoff {
            let briefing = o.briefing.as_deref().unwrap_or_default().to_lowercase();
            for fact in &spec.facts {
                if !briefing.contains(&fact.to_lowercase()) {
                    failures.push(format!("the briefing lacks {fact:?}"));
                }
            }
        }
        let lower = o.text.to_lowercase();
        for s in &spec.says {
            if !lower.contains(&s.to_lowercase()) {
                failures.push(format!("the bot did not say {s:?}: {:?}", o.text));
            }
        }
        for s in &spec.not_says {
            if lower.contains(&s.to_lowercase()) {
                failures.push(format!("the bot said {s:?}: {:?}", o.text));
            }
        }
        if matches!(o.action, DecisionAction::Fallback | DecisionAction::Clarify)
            && !o.text.is_empty()
            && said_before.iter().any(|t| t == &o.text)
        {
            failures.push("the same canned text twice".to_owned());
        }
        failures
    }
}

/// One turn as it ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnResult {
    pub say: String,
    pub observed: Observed,
    pub failures: Vec<String>,
}

/// One dialog as it ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DialogResult {
    pub id: String,
    pub request_type: String,
    pub passed: bool,
    /// Turns that ran; a handoff ends the dialog.
    pub turns: Vec<TurnResult>,
    /// Why the dialog failed beyond its turns (it stopped early).
    pub failures: Vec<String>,
}

impl DialogResult {
    pub fn first_turn_ok(&self) -> bool {
        self.turns.first().is_some_and(|t| t.failures.is_empty())
    }
}

/// Runs one dialog through `bot`, on `workflow` when given (the account's published workflow).
pub async fn run_dialog(
    bot: &dyn Bot,
    reader: &Reader<'_>,
    spec: &DialogSpec,
    workflow: Option<WorkflowInput>,
) -> DialogResult {
    let offset = reader.compiled.config.utc_offset_minutes;
    let at = local_millis(spec.at.as_deref().unwrap_or(DEFAULT_AT), offset)
        .unwrap_or_else(|| local_millis(DEFAULT_AT, offset).unwrap_or_default());
    let customer = spec.customer.clone().unwrap_or(DialogCustomer {
        name: Some("Ирина".into()),
        phone: None,
    });
    let kind = spec
        .channel
        .as_deref()
        .and_then(|c| AccountKind::parse(c).ok())
        .unwrap_or(AccountKind::Api);
    let mut conversation =
        SimulatedConversation::new(kind, customer.name, customer.phone, Timestamp(at));
    conversation.workflow = workflow;
    let mut turns = Vec::new();
    let mut said: Vec<String> = Vec::new();
    let mut failures = Vec::new();
    for (i, turn) in spec.turns.iter().enumerate() {
        let outcome = conversation.say(bot, &turn.say).await;
        let observed = reader.observe(&outcome, conversation.workflow.as_ref());
        let turn_failures = reader.check(turn, &observed, &said);
        said.push(observed.text.clone());
        let handed_off = observed.action == DecisionAction::Handoff;
        let ok = turn_failures.is_empty();
        turns.push(TurnResult {
            say: turn.say.clone(),
            observed,
            failures: turn_failures,
        });
        if handed_off {
            if !ok && i + 1 < spec.turns.len() {
                failures.push(format!(
                    "handed over at turn {} of {}",
                    i + 1,
                    spec.turns.len()
                ));
            }
            break;
        }
    }
    let passed = failures.is_empty() && turns.iter().all(|t| t.failures.is_empty());
    DialogResult {
        id: spec.id.clone(),
        request_type: spec.request_type.clone(),
        passed,
        turns,
        failures,
    }
}

/// Counts for one group of dialogs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub dialogs: usize,
    pub passed: usize,
    pub first_turns_ok: usize,
    pub turns: usize,
    pub turns_ok: usize,
}

impl Tally {
    fn add(&mut self, r: &DialogResult) {
        self.dialogs += 1;
        self.passed += usize::from(r.passed);
        self.first_turns_ok += usize::from(r.first_turn_ok());
        self.turns += r.turns.len();
        self.turns_ok += r.turns.iter().filter(|t| t.failures.is_empty()).count();
    }

    pub fn pass_rate(&self) -> f64 {
        ratio(self.passed, self.dialogs)
    }

    pub fn first_turn_rate(&self) -> f64 {
        ratio(self.first_turns_ok, self.dialogs)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The figures of one run: overall and per request type.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub all: Tally,
    pub by_type: BTreeMap<String, Tally>,
}

impl Summary {
    pub fn of(results: &[DialogResult]) -> Self {
        let mut s = Summary::default();
        for r in results {
            s.all.add(r);
            s.by_type.entry(r.request_type.clone()).or_default().add(r);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialogs_parse_with_one_or_many_and_refuse_typos() {
        let text = r#"
// a comment
{"id": "a", "type": "faq", "turns": [{"say": "x", "expect": ["answer", "handoff"], "intent": "delivery"}]}

{"id": "b", "type": "other", "at": "2025-12-31 23:59", "turns": [{"say": "y", "expect": "fallback"}]}
"#;
        let d = parse_dialogs(text).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[0].turns[0].expect.to_vec(),
            [Expect::Answer, Expect::Handoff]
        );
        assert_eq!(d[1].turns[0].expect.to_vec(), [Expect::Fallback]);
        let typo = r#"{"id": "c", "type": "faq", "turns": [{"say": "x", "expct": "answer"}]}"#;
        assert!(parse_dialogs(typo).unwrap_err().starts_with("line 1"));
        let bad_at = r#"{"id": "c", "type": "faq", "at": "31.12.2025", "turns": [{"say": "x", "expect": "answer"}]}"#;
        assert!(parse_dialogs(bad_at).unwrap_err().contains("YYYY-MM-DD"));
    }

    #[test]
    fn local_times_are_the_shops() {
        // 2025-11-20 14:30 in Moscow (UTC+3) is 11:30 UTC.
        assert_eq!(
            local_millis("2025-11-20 14:30", 180),
            Some(1_763_638_200_000)
        );
        assert_eq!(local_millis("2025-11-20 24:00", 180), None);
    }
}
