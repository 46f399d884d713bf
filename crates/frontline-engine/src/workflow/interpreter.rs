//! Runs one customer message through a [`Graph`]: from the persisted [`State`] to replies, an
//! [`Outcome`] and a trace of every step.
//!
//! The interpreter does no I/O. Classification, knowledge search, LLM calls, HTTP calls and the
//! clock are [`Effects`] the caller implements (the production bot, the workflow tester with stubbed
//! actions, unit tests with fakes). What has to survive between messages is in [`State`], which the
//! caller persists per conversation as JSON: the `ask` node waiting for an answer (by id, so it
//! survives a restart and, when the node still exists, a republish), the variables, and the
//! latest intent and confidence. Slots live on the conversation: they come in with [`TurnInput`]
//! and go out with [`TurnOutput`].
//!
//! One message:
//! 1. If the state waits at an `ask` that still exists, the message is its answer; otherwise the run
//!    starts at `start`. Slot values the message contains (`extract`) are learnt without
//!    overwriting known ones (when answering, the answer's own span is left to the `ask`).
//! 2. Nodes run until one waits (`ask`), hands off or ends, or an open output decides (see
//!    [`super::graph`]): after a `message`/`ai_response` the run ends; an open `error`/`timeout` of
//!    an `action` hands off with `action_failed`.
//! 3. At most [`DEFAULT_MAX_STEPS`] nodes per message. Validation refuses loops without an `ask`
//!    and an `ask` met twice in one message waits (below), so a validated graph cannot spin; the
//!    bound is the guard that holds anyway (a huge chain, a future node type) and turns a runaway
//!    run into a handoff (`bot_error`) with the reason in the trace.
//!
//! An `ask` skips its question when the slot is already known («asks for the order number only if
//! not yet known») — unless the run already passed that node during this message: coming back to
//! it through a loop means the known value did not work (an order that does not exist), so it
//! asks again.
//!
//! Size: one interpreter loop with a handler per node type over shared state; the document,
//! graph, templates and expressions are their own files.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use frontline_domain::HandoffReason;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::document::FALLBACK;
use super::expr::{CustomerProfile, LocalNow, Scope};
use super::graph::{Graph, Node, NodeKind, Validator};
use super::template::{Escape, render, render_for_people, render_with, single_placeholder};
use crate::slots::{SlotValue, extract, parse_one};

/// Nodes run per customer message before the run is stopped.
pub const DEFAULT_MAX_STEPS: usize = 100;

/// Longest response body kept in a trace.
const TRACE_BODY_CHARS: usize = 500;

/// What the interpreter remembers between messages of one conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The `ask` node waiting for the customer's answer. An id, not an index: after a republish
    /// the same node (same id) still waits; if it is gone, the next message starts over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Workflow variables (`vars.<name>`), kept for the whole conversation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, Value>,
    /// Unparsable answers given to the waiting `ask` so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ask_retries: u32,
    /// The latest intent an `intent` node recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// Its calibrated confidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl State {
    pub fn to_json(&self) -> String {
        // Strings, numbers and JSON values: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// One customer message and what is known around it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnInput {
    pub text: String,
    /// `api`, `avito`, `voice`…
    pub channel: String,
    pub customer: CustomerProfile,
    /// The conversation's slots before this message.
    pub slots: BTreeMap<String, String>,
}

/// The classifier's reading of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub intent: Option<String>,
    /// Calibrated, so a threshold on it means a known share of wrong answers.
    pub confidence: f64,
    /// No intent fits (the classifier abstained).
    pub out_of_scope: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub query: String,
    pub category: Option<String>,
    pub top_k: usize,
}

/// One knowledge-base fragment, as stored in a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub article_id: String,
    pub category: String,
    pub title: String,
    pub text: String,
    pub confidence: f64,
}

impl From<&crate::kb::Fragment> for SearchHit {
    fn from(f: &crate::kb::Fragment) -> Self {
        Self {
            article_id: f.article_id.clone(),
            category: f.category.clone(),
            title: f.title.clone(),
            text: f.text.clone(),
            confidence: f64::from(f.confidence),
        }
    }
}

/// One LLM call of an `ai_response` node.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The `ai_response` node asking (the tester answers by node).
    pub node_id: String,
    /// The deployment's default when `None`.
    pub model: Option<String>,
    pub temperature: f32,
    pub max_tokens: u32,
    pub system_prompt: String,
    /// The customer's message.
    pub message: String,
    /// For a grounded answer: the fragments it must be based on and cite (the caller builds the
    /// grounded prompt and discards answers citing anything else).
    pub grounding: Option<Vec<SearchHit>>,
}

/// One call of an `action` node. A relative `url` is resolved against the integration's base URL
/// by the caller, which also adds the integration's secret headers.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// The `action` node calling (the tester answers by node).
    pub node_id: String,
    pub integration: Option<String>,
    /// Upper case.
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Failed(String),
}

/// A search or LLM call that did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EffectError(pub String);

/// Everything the workflow needs from outside.
#[async_trait]
pub trait Effects: Send + Sync {
    async fn classify(&self, text: &str) -> Classification;
    async fn search(&self, request: SearchRequest) -> Result<Vec<SearchHit>, EffectError>;
    async fn chat(&self, request: ChatRequest) -> Result<String, EffectError>;
    /// Must respect `request.timeout` and report it as [`HttpError::Timeout`].
    async fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
    /// The current moment in the business's time zone.
    fn now(&self) -> LocalNow;
}

/// How the message left the workflow.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An `ask` waits for the next message.
    Waiting {
        node: String,
    },
    Handoff(Handoff),
    /// Done with this message; the next one starts at `start`.
    Ended,
}

/// An operator takes over.
#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    pub reason: HandoffReason,
    /// The node that decided (a `handoff` node, or the one whose failure led here).
    pub node: String,
    pub queue: Option<String>,
    /// The `handoff` node's briefing template, rendered.
    pub briefing: Option<String>,
    pub intent: Option<String>,
    pub slots: BTreeMap<String, String>,
}

/// One node run, for the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub node_id: String,
    pub node_type: String,
    pub input: Value,
    pub output: Value,
    pub micros: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TurnOutput {
    /// In order; may be empty.
    pub replies: Vec<String>,
    pub outcome: Outcome,
    /// To persist for the next message.
    pub state: State,
    /// The conversation's slots after this message.
    pub slots: BTreeMap<String, String>,
    pub trace: Vec<Step>,
}

/// Runs messages through one graph.
#[derive(Debug, Clone, Copy)]
pub struct Interpreter<'g> {
    graph: &'g Graph,
    max_steps: usize,
}

/// Where a node sends the run.
enum Flow {
    Next(String),
    Stop(Stop),
}

enum Stop {
    Wait,
    Handoff {
        reason: HandoffReason,
        queue: Option<String>,
        briefing: Option<String>,
    },
    End,
}

impl Stop {
    fn handoff(reason: HandoffReason) -> Self {
        Stop::Handoff {
            reason,
            queue: None,
            briefing: None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Stop::Wait => "wait".to_owned(),
            Stop::Handoff { reason, .. } => format!("handoff {reason}"),
            Stop::End => "end".to_owned(),
        }
    }
}

/// What an open (unconnected) output means; see the [`super::graph`] docs.
fn open_output(kind: &NodeKind, handle: &str) -> Stop {
    match (kind, handle) {
        (NodeKind::Message(_) | NodeKind::AiResponse(_), "out") => Stop::End,
        (NodeKind::Action(_), "error" | "timeout") => Stop::handoff(HandoffReason::ActionFailed),
        (NodeKind::AiResponse(_), "error") => Stop::handoff(HandoffReason::LlmUnavailable),
        (NodeKind::Ask { .. }, "failed") => Stop::handoff(HandoffReason::RepeatedClarify),
        // Required outputs are connected in a validated graph.
        _ => Stop::handoff(HandoffReason::BotError),
    }
}

impl<'g> Interpreter<'g> {
    pub fn new(graph: &'g Graph) -> Self {
        Self {
            graph,
            max_steps: DEFAULT_MAX_STEPS,
        }
    }

    pub fn with_max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }

    /// Runs one message; see the module docs.
    pub async fn turn<E: Effects + ?Sized>(
        &self,
        state: State,
        input: &TurnInput,
        effects: &E,
    ) -> TurnOutput {
        let now = effects.now();
        let text = input.text.trim();
        let run = Run {
            graph: self.graph,
            effects,
            input,
            text,
            now,
            extracted: extract(text, now.date),
            slots: input.slots.clone(),
            state,
            replies: Vec::new(),
            trace: Vec::new(),
            classification: None,
            visited: BTreeSet::new(),
        };
        run.go(self.max_steps).await
    }
}

/// One message's run.
struct Run<'a, E: ?Sized> {
    graph: &'a Graph,
    effects: &'a E,
    input: &'a TurnInput,
    text: &'a str,
    now: LocalNow,
    /// Slot values found anywhere in the message.
    extracted: Vec<SlotValue>,
    slots: BTreeMap<String, String>,
    state: State,
    replies: Vec<String>,
    trace: Vec<Step>,
    /// The message is classified once, however many `intent` nodes it passes.
    classification: Option<Classification>,
    visited: BTreeSet<String>,
}

impl<E: Effects + ?Sized> Run<'_, E> {
    fn scope(&self) -> Scope<'_> {
        Scope {
            text: self.text,
            channel: &self.input.channel,
            intent: self.state.intent.as_deref(),
            confidence: self.state.confidence,
            now: self.now,
            slots: &self.slots,
            vars: &self.state.vars,
            customer: &self.input.customer,
        }
    }

    fn render(&self, template: &str) -> String {
        render(template, &self.scope())
    }

    /// Adds the message's slot values that are not known yet, except those overlapping `skip`
    /// (the byte range an `ask` already took as its answer).
    fn learn_slots(&mut self, skip: Option<(usize, usize)>) {
        for v in std::mem::take(&mut self.extracted) {
            let overlaps = skip.is_some_and(|(s, e)| v.start < e && s < v.end);
            if !overlaps {
                self.slots.entry(v.kind.key().to_owned()).or_insert(v.value);
            }
        }
    }

    fn note(&mut self, node_id: &str, node_type: &str, output: Value) {
        self.trace.push(Step {
            node_id: node_id.to_owned(),
            node_type: node_type.to_owned(),
            input: Value::Null,
            output,
            micros: 0,
        });
    }

    async fn go(mut self, max_steps: usize) -> TurnOutput {
        let graph = self.graph;
        let waiting = self.state.position.take();
        let resume = waiting.as_deref().and_then(|id| match graph.node(id) {
            Some(
                node @ Node {
                    kind: NodeKind::Ask { .. },
                    ..
                },
            ) => Some(node),
            _ => None,
        });
        if let (Some(id), None) = (&waiting, resume) {
            self.note(
                id,
                "resume",
                json!({"note": "the waiting node is not an ask in this version; starting over"}),
            );
        }
        if resume.is_none() {
            self.state.ask_retries = 0;
            self.learn_slots(None);
        }
        let mut answering = resume.is_some();
        let mut cursor: &Node = match resume.or_else(|| graph.node(graph.start())) {
            Some(n) => n,
            None => {
                // A validated graph has its start node; this is only a guard.
                return self.finish(graph.start(), Stop::handoff(HandoffReason::BotError));
            }
        };
        let mut steps = 0;
        let stop = loop {
            if steps == max_steps {
                self.note(
                    &cursor.id,
                    cursor.kind.node_type().as_str(),
                    json!({"error": format!("step limit of {max_steps} reached")}),
                );
                break Stop::handoff(HandoffReason::BotError);
            }
            steps += 1;
            let started = Instant::now();
            let (flow, input, mut output) = self.exec(cursor, answering).await;
            answering = false;
            self.visited.insert(cursor.id.clone());
            let next = match flow {
                Flow::Next(handle) => {
                    set(&mut output, "branch", Value::from(handle.as_str()));
                    match graph.next(&cursor.id, &handle).and_then(|t| graph.node(t)) {
                        Some(target) => Ok(target),
                        None => {
                            let stop = open_output(&cursor.kind, &handle);
                            set(&mut output, "then", Value::from(stop.describe()));
                            Err(stop)
                        }
                    }
                }
                Flow::Stop(stop) => Err(stop),
            };
            self.trace.push(Step {
                node_id: cursor.id.clone(),
                node_type: cursor.kind.node_type().as_str().to_owned(),
                input,
                output,
                micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            });
            match next {
                Ok(target) => cursor = target,
                Err(stop) => break stop,
            }
        };
        let at = cursor.id.clone();
        self.finish(&at, stop)
    }

    fn finish(mut self, at: &str, stop: Stop) -> TurnOutput {
        let outcome = match stop {
            Stop::Wait => {
                self.state.position = Some(at.to_owned());
                Outcome::Waiting {
                    node: at.to_owned(),
                }
            }
            Stop::Handoff {
                reason,
                queue,
                briefing,
            } => Outcome::Handoff(Handoff {
                reason,
                node: at.to_owned(),
                queue,
                briefing,
                intent: self.state.intent.clone(),
                slots: self.slots.clone(),
            }),
            Stop::End => Outcome::Ended,
        };
        if !matches!(outcome, Outcome::Waiting { .. }) {
            self.state.position = None;
            self.state.ask_retries = 0;
        }
        TurnOutput {
            replies: self.replies,
            outcome,
            state: self.state,
            slots: self.slots,
            trace: self.trace,
        }
    }

    /// Runs one node: where to go, and the trace's input and output.
    async fn exec(&mut self, node: &Node, answering: bool) -> (Flow, Value, Value) {
        let next = |h: &str| Flow::Next(h.to_owned());
        match &node.kind {
            NodeKind::Start => (next("out"), Value::Null, json!({})),
            NodeKind::Intent(d) => {
                let c = match &self.classification {
                    Some(c) => c.clone(),
                    None => {
                        let c = self.effects.classify(self.text).await;
                        self.classification = Some(c.clone());
                        c
                    }
                };
                if !c.out_of_scope
                    && let Some(i) = &c.intent
                {
                    self.state.intent = Some(i.clone());
                }
                self.state.confidence = Some(c.confidence);
                let branch = match &c.intent {
                    Some(i) if !c.out_of_scope && d.intents.contains(i) => i.as_str(),
                    _ => FALLBACK,
                };
                let output = json!({
                    "intent": c.intent,
                    "confidence": c.confidence,
                    "out_of_scope": c.out_of_scope,
                });
                (next(branch), json!({"text": self.text}), output)
            }
            NodeKind::Confidence(d) => {
                let confidence = self.state.confidence.unwrap_or(0.0);
                let branch = if confidence >= d.threshold {
                    "high"
                } else {
                    "low"
                };
                let input = json!({"confidence": self.state.confidence, "threshold": d.threshold});
                (next(branch), input, json!({}))
            }
            NodeKind::Context(d) => {
                let scope = self.scope();
                let values: Vec<(String, Value)> = d
                    .set
                    .iter()
                    .map(|(name, template)| {
                        let copied = single_placeholder(template).and_then(|n| scope.lookup(n));
                        let value = copied.unwrap_or_else(|| Value::from(render(template, &scope)));
                        (name.clone(), value)
                    })
                    .collect();
                let output = Value::Object(values.iter().cloned().collect());
                self.state.vars.extend(values);
                (next("out"), Value::Null, json!({"set": output}))
            }
            NodeKind::Search(d) => {
                let query = match &d.query {
                    Some(q) => self.render(q),
                    None => self.text.to_owned(),
                };
                let input = json!({"query": query, "category": d.category, "top_k": d.top_k});
                let request = SearchRequest {
                    query,
                    category: d.category.clone(),
                    top_k: d.top_k,
                };
                let (hits, error) = match self.effects.search(request).await {
                    Ok(mut hits) => {
                        hits.retain(|h| h.confidence >= d.min_confidence);
                        hits.truncate(d.top_k);
                        (hits, None)
                    }
                    Err(e) => (Vec::new(), Some(e.to_string())),
                };
                let summary: Vec<Value> = hits
                    .iter()
                    .map(|h| json!({"article_id": h.article_id, "confidence": h.confidence}))
                    .collect();
                let found = !hits.is_empty();
                self.state.vars.insert(
                    d.into.clone(),
                    serde_json::to_value(&hits).unwrap_or_else(|_| json!([])),
                );
                let mut output = json!({"hits": summary});
                if let Some(e) = error {
                    set(&mut output, "error", Value::from(e));
                }
                (
                    next(if found { "found" } else { "not_found" }),
                    input,
                    output,
                )
            }
            NodeKind::AiResponse(d) => {
                let grounding = if d.grounded {
                    let hits: Vec<SearchHit> = self
                        .state
                        .vars
                        .get(&d.search_var)
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .unwrap_or_default();
                    if hits.is_empty() {
                        let why =
                            format!("no search results in vars.{} to ground on", d.search_var);
                        return (next("error"), Value::Null, json!({"error": why}));
                    }
                    Some(hits)
                } else {
                    None
                };
                let request = ChatRequest {
                    node_id: node.id.clone(),
                    model: d.model.clone(),
                    temperature: d.temperature,
                    max_tokens: d.max_tokens,
                    system_prompt: self.render(&d.system_prompt),
                    message: self.text.to_owned(),
                    grounding,
                };
                let input = json!({
                    "model": request.model,
                    "temperature": request.temperature,
                    "max_tokens": request.max_tokens,
                    "grounded_on": request.grounding.as_ref().map(|h| h.iter().map(|h| h.article_id.clone()).collect::<Vec<_>>()),
                });
                match self.effects.chat(request).await {
                    Ok(answer) if !answer.trim().is_empty() => {
                        self.replies.push(answer.clone());
                        (next("out"), input, json!({"reply": answer}))
                    }
                    Ok(_) => (next("error"), input, json!({"error": "empty answer"})),
                    Err(e) => (next("error"), input, json!({"error": e.to_string()})),
                }
            }
            NodeKind::Condition(expr) => {
                let input = json!({"expression": expr.source()});
                match expr.eval(&self.scope()) {
                    Ok(b) => (next(if b { "true" } else { "false" }), input, json!({})),
                    // Not `false`: a broken condition must not quietly pick a branch.
                    Err(e) => (
                        Flow::Stop(Stop::handoff(HandoffReason::BotError)),
                        input,
                        json!({"error": e}),
                    ),
                }
            }
            NodeKind::Action(d) => self.action(&node.id, d).await,
            NodeKind::Ask { data, validator } => {
                if !answering {
                    if let Some(known) = self.slots.get(&data.slot)
                        && !self.visited.contains(&node.id)
                    {
                        if !data.reask {
                            let output = json!({"skipped": "already known", "value": known});
                            return (next("ok"), Value::Null, output);
                        }
                        self.state
                            .vars
                            .insert(format!("{}_before", data.slot), Value::from(known.clone()));
                    }
                    self.state.ask_retries = 0;
                    let question = self.render(&data.question);
                    self.replies.push(question.clone());
                    return (
                        Flow::Stop(Stop::Wait),
                        Value::Null,
                        json!({"asked": question}),
                    );
                }
                let input = json!({"answer": self.text, "retries": self.state.ask_retries});
                match parse_answer(validator, self.text, self.now) {
                    Ok((value, span)) => {
                        self.slots.insert(data.slot.clone(), value.clone());
                        self.learn_slots(Some(span));
                        self.state.ask_retries = 0;
                        (
                            next("ok"),
                            input,
                            json!({"slot": data.slot, "value": value}),
                        )
                    }
                    Err(why) => {
                        self.learn_slots(None);
                        if self.state.ask_retries < data.max_retries {
                            self.state.ask_retries += 1;
                            let template = data.retry_question.as_ref().unwrap_or(&data.question);
                            let question = self.render(template);
                            self.replies.push(question.clone());
                            let output = json!({"error": why, "asked": question});
                            (Flow::Stop(Stop::Wait), input, output)
                        } else {
                            self.state.ask_retries = 0;
                            (next("failed"), input, json!({"error": why}))
                        }
                    }
                }
            }
            NodeKind::Message(d) => {
                let text = self.render(&d.text);
                self.replies.push(text.clone());
                (next("out"), Value::Null, json!({"reply": text}))
            }
            NodeKind::Handoff { data, reason } => {
                let message = data.message.as_ref().map(|m| self.render(m));
                let briefing = data
                    .briefing_template
                    .as_ref()
                    .map(|b| render_for_people(b, &self.scope(), "—"));
                if let Some(m) = &message {
                    self.replies.push(m.clone());
                }
                let output =
                    json!({"reason": reason.as_str(), "queue": data.queue, "reply": message});
                let stop = Stop::Handoff {
                    reason: *reason,
                    queue: data.queue.clone(),
                    briefing,
                };
                (Flow::Stop(stop), Value::Null, output)
            }
            NodeKind::End(d) => {
                let message = d.message.as_ref().map(|m| self.render(m));
                if let Some(m) = &message {
                    self.replies.push(m.clone());
                }
                (
                    Flow::Stop(Stop::End),
                    Value::Null,
                    json!({"reply": message}),
                )
            }
        }
    }

    async fn action(
        &mut self,
        node_id: &str,
        d: &super::document::ActionData,
    ) -> (Flow, Value, Value) {
        let next = |h: &str| Flow::Next(h.to_owned());
        let scope = self.scope();
        let request = HttpRequest {
            node_id: node_id.to_owned(),
            integration: d.integration.clone(),
            method: d.method.to_ascii_uppercase(),
            url: render_with(&d.url, &scope, Escape::Url),
            headers: d
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), render_with(v, &scope, Escape::Header)))
                .collect(),
            body: d
                .body
                .as_ref()
                .map(|b| render_with(b, &scope, Escape::JsonString)),
            timeout: Duration::from_millis(d.timeout_ms),
        };
        // Header values stay out of the trace: an integration may put credentials there.
        let input = json!({
            "integration": request.integration,
            "method": request.method,
            "url": request.url,
            "headers": request.headers.keys().collect::<Vec<_>>(),
            "body": request.body,
        });
        let response = match self.effects.http(request).await {
            Ok(r) => r,
            Err(HttpError::Timeout) => {
                let why = format!("no answer within {} ms", d.timeout_ms);
                return (next("timeout"), input, json!({"error": why}));
            }
            Err(HttpError::Failed(e)) => return (next("error"), input, json!({"error": e})),
        };
        let body_excerpt: String = response.body.chars().take(TRACE_BODY_CHARS).collect();
        if !(200..300).contains(&response.status) {
            let output = json!({"status": response.status, "body": body_excerpt});
            // Not found is the customer's key being wrong, not the service failing: worth asking
            // again, where the workflow says how.
            if response.status == 404 && self.graph.next(node_id, "not_found").is_some() {
                return (next("not_found"), input, output);
            }
            return (next("error"), input, output);
        }
        if d.map.is_empty() {
            return (next("ok"), input, json!({"status": response.status}));
        }
        let Ok(body) = serde_json::from_str::<Value>(&response.body) else {
            let output = json!({"status": response.status, "error": "the response is not JSON", "body": body_excerpt});
            return (next("error"), input, output);
        };
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for (name, pointer) in &d.map {
            match body.pointer(pointer) {
                Some(v) => {
                    values.insert(name.clone(), v.clone());
                }
                None => missing.push(pointer.clone()),
            }
        }
        // All or nothing: a half-mapped answer would let the next node talk about stale values.
        if !missing.is_empty() {
            let output = json!({"status": response.status, "error": "fields missing in the response", "missing": missing});
            return (next("error"), input, output);
        }
        let output = json!({"status": response.status, "set": values});
        self.state.vars.extend(values);
        (next("ok"), input, output)
    }
}

/// The answer's value and its byte range in the text, or why it is not one.
fn parse_answer(
    validator: &Validator,
    text: &str,
    now: LocalNow,
) -> Result<(String, (usize, usize)), String> {
    match validator {
        Validator::Kind(kind) => parse_one(*kind, text, now.date)
            .map(|v| (v.value, (v.start, v.end)))
            .map_err(|e| e.to_string()),
        Validator::Regex(re) => {
            let caps = re
                .captures(text)
                .ok_or_else(|| "the answer does not match the validator".to_owned())?;
            let m = caps.get(1).or_else(|| caps.get(0));
            match m {
                Some(m) if !m.as_str().trim().is_empty() => {
                    Ok((m.as_str().trim().to_owned(), (m.start(), m.end())))
                }
                _ => Err("the answer does not match the validator".to_owned()),
            }
        }
    }
}

/// Sets `key` on an object value (the trace's outputs are objects).
fn set(target: &mut Value, key: &str, value: Value) {
    if let Value::Object(m) = target {
        m.insert(key.to_owned(), value);
    }
}
