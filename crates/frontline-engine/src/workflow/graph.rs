//! From a [`WorkflowDocument`] to a validated [`Graph`] the interpreter runs.
//!
//! [`Graph::from_document`] reports every problem at once, each with the node or edge it is about,
//! so the editor can mark them all:
//! - the document's version; empty or duplicate node and edge ids;
//! - unknown node types; `data` that misses a required field or has one of the wrong type; values
//!   out of range (thresholds, temperatures, timeouts), invalid expressions, regexes, handoff
//!   reasons, HTTP methods and URLs;
//! - not exactly one `start`;
//! - edges from or to unknown nodes, into `start`, from outputs the node type does not have, and
//!   two edges from one output;
//! - nodes not reachable from `start`;
//! - required outputs left unconnected (below);
//! - loops that do not pass through an `ask` node: they would run without waiting for the customer
//!   until the step bound stops them;
//! - intents and slots the bot configuration does not know ([`Catalogue`]), including `slots.x` in
//!   templates and expressions.
//!
//! **Which outputs must be connected.** A branch is required when leaving it open would leave the
//! customer without an answer and without a person: every branch of `intent`, `confidence`,
//! `condition` and `search`, the `out` of `start` and `context`, `ok` of `ask` and `action`. The
//! others have a safe meaning when open, applied by the interpreter: after a `message` or an
//! `ai_response` the workflow ends for this message (the reply was the point); an open `error` or
//! `timeout` of an `action` hands off with `action_failed`, an open `error` of an `ai_response`
//! with `llm_unavailable`, an open `failed` of an `ask` with `repeated_clarify` — a person, never
//! a silent wrong answer.

use std::collections::{BTreeMap, BTreeSet};

use frontline_domain::HandoffReason;
use regex::Regex;

use super::document::{
    ActionData, AiResponseData, AskData, ConditionData, ConfidenceData, ContextData, EdgeDoc,
    EndData, FALLBACK, HandoffData, IntentData, MessageData, NodeData, NodeType, SearchData,
    VERSION, WorkflowDocument,
};
use super::expr::{Expr, check_name, is_var_name};
use super::template::placeholders;
use crate::bot::BotConfig;
use crate::slots::SlotKind;

/// The intents and slot keys the bot configuration knows; a workflow may only use these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    pub intents: BTreeSet<String>,
    pub slots: BTreeSet<String>,
}

impl Catalogue {
    pub fn new<I, S>(intents: I, slots: S) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
        S: IntoIterator,
        S::Item: Into<String>,
    {
        Self {
            intents: intents.into_iter().map(Into::into).collect(),
            slots: slots.into_iter().map(Into::into).collect(),
        }
    }

    /// The configuration's intents, and the built-in slot kinds plus any slot its intents name.
    pub fn from_bot_config(config: &BotConfig) -> Self {
        let mut slots: BTreeSet<String> =
            SlotKind::ALL.iter().map(|k| k.key().to_owned()).collect();
        slots.extend(config.intents.iter().flat_map(|i| i.slots.iter().cloned()));
        Self {
            intents: config.intents.iter().map(|i| i.name.clone()).collect(),
            slots,
        }
    }
}

/// One thing wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub node_id: Option<String>,
    pub edge_id: Option<String>,
    pub message: String,
}

impl Problem {
    fn node(id: &str, message: impl Into<String>) -> Self {
        Self {
            node_id: Some(id.to_owned()),
            edge_id: None,
            message: message.into(),
        }
    }

    fn edge(edge: &EdgeDoc, message: impl Into<String>) -> Self {
        Self {
            node_id: None,
            edge_id: Some(edge.id.clone()),
            message: message.into(),
        }
    }

    fn document(message: impl Into<String>) -> Self {
        Self {
            node_id: None,
            edge_id: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.node_id, &self.edge_id) {
            (Some(n), _) => write!(f, "node {n}: {}", self.message),
            (None, Some(e)) => write!(f, "edge {e}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// How an `ask` node checks the answer.
#[derive(Debug, Clone)]
pub enum Validator {
    Kind(SlotKind),
    Regex(Regex),
}

/// A node ready to run: its data, with expressions, validators and reasons already parsed.
#[derive(Debug, Clone)]
pub enum NodeKind {
    Start,
    Intent(IntentData),
    Confidence(ConfidenceData),
    Context(ContextData),
    Search(SearchData),
    AiResponse(AiResponseData),
    Condition(Expr),
    Action(ActionData),
    Ask {
        data: AskData,
        validator: Validator,
    },
    Message(MessageData),
    Handoff {
        data: HandoffData,
        reason: HandoffReason,
    },
    End(EndData),
}

impl NodeKind {
    pub fn node_type(&self) -> NodeType {
        match self {
            NodeKind::Start => NodeType::Start,
            NodeKind::Intent(_) => NodeType::Intent,
            NodeKind::Confidence(_) => NodeType::Confidence,
            NodeKind::Context(_) => NodeType::Context,
            NodeKind::Search(_) => NodeType::Search,
            NodeKind::AiResponse(_) => NodeType::AiResponse,
            NodeKind::Condition(_) => NodeType::Condition,
            NodeKind::Action(_) => NodeType::Action,
            NodeKind::Ask { .. } => NodeType::Ask,
            NodeKind::Message(_) => NodeType::Message,
            NodeKind::Handoff { .. } => NodeType::Handoff,
            NodeKind::End(_) => NodeType::End,
        }
    }
}

/// Outputs that must be connected; see the module docs.
pub(super) fn required_outputs(data: &NodeData) -> Vec<String> {
    match data {
        NodeData::AiResponse(_)
        | NodeData::Message(_)
        | NodeData::Handoff(_)
        | NodeData::End(_) => Vec::new(),
        NodeData::Action(_) | NodeData::Ask(_) => vec!["ok".to_owned()],
        other => other.outputs(),
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
}

/// A validated workflow.
#[derive(Debug, Clone)]
pub struct Graph {
    nodes: BTreeMap<String, Node>,
    start: String,
    /// (source, output handle) → target.
    edges: BTreeMap<(String, String), String>,
}

impl Graph {
    pub fn start(&self) -> &str {
        &self.start
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// Where output `handle` of node `id` leads, if it is connected.
    pub fn next(&self, id: &str, handle: &str) -> Option<&str> {
        self.edges
            .get(&(id.to_owned(), handle.to_owned()))
            .map(String::as_str)
    }

    /// Validates `doc` against the bot's `catalogue`; see the module docs for what is checked.
    pub fn from_document(
        doc: &WorkflowDocument,
        catalogue: &Catalogue,
    ) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        if doc.version != VERSION {
            problems.push(Problem::document(format!(
                "unsupported version {} (expected {VERSION})",
                doc.version
            )));
        }

        // Nodes: ids, types, data. `parsed` holds the nodes whose data is usable, `ids` every id.
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        let mut parsed: BTreeMap<&str, NodeData> = BTreeMap::new();
        let mut kinds: BTreeMap<String, NodeKind> = BTreeMap::new();
        let mut starts = Vec::new();
        for node in &doc.nodes {
            let id = node.id.as_str();
            if id.trim().is_empty() {
                problems.push(Problem::document("a node has an empty id"));
                continue;
            }
            if !ids.insert(id) {
                problems.push(Problem::node(id, "duplicate node id"));
                continue;
            }
            let Some(node_type) = NodeType::parse(&node.node_type) else {
                let known: Vec<&str> = NodeType::ALL.iter().map(|t| t.as_str()).collect();
                problems.push(Problem::node(
                    id,
                    format!(
                        "unknown node type `{}` (expected one of {})",
                        node.node_type,
                        known.join(", ")
                    ),
                ));
                continue;
            };
            if node_type == NodeType::Start {
                starts.push(id);
            }
            let data = match NodeData::parse(node_type, &node.data) {
                Ok(d) => d,
                Err(e) => {
                    problems.push(Problem::node(id, format!("invalid {node_type} data: {e}")));
                    continue;
                }
            };
            let mut node_problems = Vec::new();
            let kind = compile(&data, catalogue, &mut node_problems);
            problems.extend(node_problems.into_iter().map(|m| Problem::node(id, m)));
            if let Some(kind) = kind {
                kinds.insert(id.to_owned(), kind);
            }
            parsed.insert(id, data);
        }
        match starts.as_slice() {
            [] => problems.push(Problem::document("the workflow has no start node")),
            [_] => {}
            [_, more @ ..] => {
                for id in more {
                    problems.push(Problem::node(
                        id,
                        "a second start node (exactly one is needed)",
                    ));
                }
            }
        }

        // Edges.
        let mut edge_ids = BTreeSet::new();
        let mut edges: BTreeMap<(String, String), (String, &str)> = BTreeMap::new();
        // Every edge between existing nodes, valid handle or not: reachability is judged on what
        // the author drew, so one bad handle does not make half the graph "unreachable".
        let mut adjacency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for edge in &doc.edges {
            if edge.id.trim().is_empty() {
                problems.push(Problem::document(format!(
                    "an edge from `{}` to `{}` has an empty id",
                    edge.source, edge.target
                )));
            } else if !edge_ids.insert(edge.id.as_str()) {
                problems.push(Problem::edge(edge, "duplicate edge id"));
            }
            let source_ok = ids.contains(edge.source.as_str());
            let target_ok = ids.contains(edge.target.as_str());
            if !source_ok {
                problems.push(Problem::edge(
                    edge,
                    format!("source `{}` is not a node", edge.source),
                ));
            }
            if !target_ok {
                problems.push(Problem::edge(
                    edge,
                    format!("target `{}` is not a node", edge.target),
                ));
            }
            if !(source_ok && target_ok) {
                continue;
            }
            if starts.contains(&edge.target.as_str()) {
                problems.push(Problem::edge(edge, "nothing can lead into the start node"));
                continue;
            }
            adjacency
                .entry(edge.source.as_str())
                .or_default()
                .push(edge.target.as_str());
            let Some(data) = parsed.get(edge.source.as_str()) else {
                continue; // the source's own problem is reported already
            };
            let outputs = data.outputs();
            let node_type = data.node_type();
            let handle = match (&edge.source_handle, outputs.as_slice()) {
                (_, []) => {
                    problems.push(Problem::edge(
                        edge,
                        format!("a {node_type} node has no outputs"),
                    ));
                    continue;
                }
                (None, [only]) => only.clone(),
                (None, _) => {
                    problems.push(Problem::edge(
                        edge,
                        format!(
                            "a {node_type} node has several outputs; the edge needs a sourceHandle ({})",
                            outputs.join(", ")
                        ),
                    ));
                    continue;
                }
                (Some(h), _) if outputs.contains(h) => h.clone(),
                (Some(h), _) => {
                    problems.push(Problem::edge(
                        edge,
                        format!(
                            "a {node_type} node has no output `{h}` (expected {})",
                            outputs.join(", ")
                        ),
                    ));
                    continue;
                }
            };
            let key = (edge.source.clone(), handle);
            if let Some((_, first)) = edges.get(&key) {
                problems.push(Problem::edge(
                    edge,
                    format!(
                        "output `{}` of node `{}` is already connected by edge `{first}`",
                        key.1, key.0
                    ),
                ));
                continue;
            }
            edges.insert(key, (edge.target.clone(), edge.id.as_str()));
        }

        // Required outputs.
        for (id, data) in &parsed {
            for handle in required_outputs(data) {
                if !edges.contains_key(&(id.to_string(), handle.clone())) {
                    problems.push(Problem::node(
                        id,
                        format!("output `{handle}` is not connected"),
                    ));
                }
            }
        }

        // Reachability from the (first) start.
        if let Some(start) = starts.first() {
            let mut seen: BTreeSet<&str> = BTreeSet::from([*start]);
            let mut todo = vec![*start];
            while let Some(n) = todo.pop() {
                for next in adjacency.get(n).into_iter().flatten() {
                    if seen.insert(next) {
                        todo.push(next);
                    }
                }
            }
            for node in &doc.nodes {
                if ids.contains(node.id.as_str())
                    && !seen.contains(node.id.as_str())
                    && !starts.contains(&node.id.as_str())
                {
                    problems.push(Problem::node(&node.id, "not reachable from the start node"));
                }
            }
        }

        // Loops without an `ask`.
        let asks: BTreeSet<&str> = parsed
            .iter()
            .filter(|(_, d)| matches!(d, NodeData::Ask(_)))
            .map(|(id, _)| *id)
            .collect();
        // Loops are judged on valid edges only: an edge out of an `end` node is no path.
        let mut valid: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for ((source, _), (target, _)) in &edges {
            valid
                .entry(source.as_str())
                .or_default()
                .push(target.as_str());
        }
        for cycle in loops_without(&valid, &asks) {
            let path = cycle.join(" → ");
            for id in &cycle {
                problems.push(Problem::node(
                    id,
                    format!(
                        "part of a loop that never waits for the customer ({path}); put an ask node in it"
                    ),
                ));
            }
        }

        if !problems.is_empty() {
            return Err(problems);
        }
        let nodes = kinds
            .into_iter()
            .map(|(id, kind)| (id.clone(), Node { id, kind }))
            .collect();
        Ok(Graph {
            nodes,
            start: starts[0].to_owned(),
            edges: edges.into_iter().map(|(k, (t, _))| (k, t)).collect(),
        })
    }
}

/// The strongly connected components that form a loop (more than one node, or a node with an
/// edge to itself) once `asks` are taken out. Kosaraju's algorithm, iterative, so a long chain in
/// a user's document cannot overflow the stack.
fn loops_without<'a>(
    adjacency: &BTreeMap<&'a str, Vec<&'a str>>,
    asks: &BTreeSet<&'a str>,
) -> Vec<Vec<&'a str>> {
    let keep = |n: &&str| !asks.contains(n);
    let mut forward: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut backward: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut all: BTreeSet<&str> = BTreeSet::new();
    for (from, tos) in adjacency {
        if !keep(from) {
            continue;
        }
        for to in tos.iter().filter(|t| keep(t)) {
            forward.entry(from).or_default().push(to);
            backward.entry(to).or_default().push(from);
            all.insert(from);
            all.insert(to);
        }
    }
    // First pass: finishing order.
    let mut order = Vec::new();
    let mut visited = BTreeSet::new();
    for &root in &all {
        if !visited.insert(root) {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        while let Some((n, i)) = stack.pop() {
            let next = forward.get(n).and_then(|v| v.get(i)).copied();
            match next {
                Some(m) => {
                    stack.push((n, i + 1));
                    if visited.insert(m) {
                        stack.push((m, 0));
                    }
                }
                None => order.push(n),
            }
        }
    }
    // Second pass on the reversed graph, in reverse finishing order.
    let mut assigned = BTreeSet::new();
    let mut loops = Vec::new();
    for &root in order.iter().rev() {
        if !assigned.insert(root) {
            continue;
        }
        let mut component = vec![root];
        let mut todo = vec![root];
        while let Some(n) = todo.pop() {
            for &m in backward.get(n).into_iter().flatten() {
                if assigned.insert(m) {
                    component.push(m);
                    todo.push(m);
                }
            }
        }
        let self_loop = forward.get(root).is_some_and(|v| v.contains(&root));
        if component.len() > 1 || self_loop {
            component.sort_unstable();
            loops.push(component);
        }
    }
    loops
}

pub(super) const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
/// Longest action timeout: a customer is waiting for the answer.
const MAX_TIMEOUT_MS: u64 = 30_000;
const MAX_TOP_K: usize = 20;
const MAX_RETRIES: u32 = 10;

/// Checks one node's data beyond its shape; `None` when it cannot run.
fn compile(data: &NodeData, catalogue: &Catalogue, problems: &mut Vec<String>) -> Option<NodeKind> {
    let before = problems.len();
    let known_slot = |k: &str| catalogue.slots.contains(k);
    let templates = |what: &str, template: &str, problems: &mut Vec<String>| {
        for name in placeholders(template) {
            if let Err(e) = check_name(name, &known_slot) {
                problems.push(format!("{what}: {e}"));
            }
        }
    };
    let non_empty = |what: &str, value: &str, problems: &mut Vec<String>| {
        if value.trim().is_empty() {
            problems.push(format!("{what} is empty"));
        }
    };
    let unit = |what: &str, v: f64, problems: &mut Vec<String>| {
        if !(0.0..=1.0).contains(&v) {
            problems.push(format!("{what} must be within [0, 1]"));
        }
    };
    let var = |what: &str, name: &str, problems: &mut Vec<String>| {
        if !is_var_name(name) {
            problems.push(format!(
                "{what} `{name}` must be latin letters, digits and `_`"
            ));
        }
    };

    let kind = match data {
        NodeData::Start(_) => NodeKind::Start,
        NodeData::Intent(d) => {
            if d.intents.is_empty() {
                problems.push("no intents listed".to_owned());
            }
            let mut seen = BTreeSet::new();
            for i in &d.intents {
                if i == FALLBACK {
                    problems.push(format!(
                        "`{FALLBACK}` is the output for other intents, not an intent"
                    ));
                } else if !catalogue.intents.contains(i) {
                    problems.push(format!("unknown intent `{i}`"));
                }
                if !seen.insert(i) {
                    problems.push(format!("intent `{i}` is listed twice"));
                }
            }
            NodeKind::Intent(d.clone())
        }
        NodeData::Confidence(d) => {
            unit("threshold", d.threshold, problems);
            NodeKind::Confidence(d.clone())
        }
        NodeData::Context(d) => {
            if d.set.is_empty() {
                problems.push("sets no variables".to_owned());
            }
            for (name, template) in &d.set {
                var("variable", name, problems);
                templates(&format!("set.{name}"), template, problems);
            }
            NodeKind::Context(d.clone())
        }
        NodeData::Search(d) => {
            if !(1..=MAX_TOP_K).contains(&d.top_k) {
                problems.push(format!("top_k must be within 1..={MAX_TOP_K}"));
            }
            unit("min_confidence", d.min_confidence, problems);
            var("into", &d.into, problems);
            if let Some(c) = &d.category {
                non_empty("category", c, problems);
            }
            if let Some(q) = &d.query {
                templates("query", q, problems);
            }
            NodeKind::Search(d.clone())
        }
        NodeData::AiResponse(d) => {
            if !(d.temperature.is_finite() && (0.0..=2.0).contains(&d.temperature)) {
                problems.push("temperature must be within [0, 2]".to_owned());
            }
            if d.max_tokens == 0 {
                problems.push("max_tokens must be at least 1".to_owned());
            }
            if let Some(m) = &d.model {
                non_empty("model", m, problems);
            }
            non_empty("system_prompt", &d.system_prompt, problems);
            templates("system_prompt", &d.system_prompt, problems);
            var("search_var", &d.search_var, problems);
            NodeKind::AiResponse(d.clone())
        }
        NodeData::Condition(ConditionData { expression, .. }) => match Expr::parse(expression) {
            Ok(e) => {
                for name in e.names() {
                    if let Err(msg) = check_name(name, &known_slot) {
                        problems.push(format!("expression: {msg}"));
                    }
                }
                NodeKind::Condition(e)
            }
            Err(e) => {
                problems.push(format!("invalid expression: {e}"));
                return None;
            }
        },
        NodeData::Action(d) => {
            if !METHODS.contains(&d.method.to_ascii_uppercase().as_str()) {
                problems.push(format!(
                    "unknown method `{}` (expected {})",
                    d.method,
                    METHODS.join(", ")
                ));
            }
            let absolute = d.url.starts_with("https://") || d.url.starts_with("http://");
            match &d.integration {
                None if !absolute => problems.push(
                    "url must start with http:// or https:// (or name an integration and give a path starting with /)"
                        .to_owned(),
                ),
                Some(name) if name.trim().is_empty() => {
                    problems.push("integration is empty".to_owned())
                }
                Some(_) if !absolute && !d.url.starts_with('/') => problems.push(
                    "url must be a path starting with / (relative to the integration) or an absolute URL"
                        .to_owned(),
                ),
                _ => {}
            }
            templates("url", &d.url, problems);
            for (name, value) in &d.headers {
                let token = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b));
                if !token {
                    problems.push(format!("invalid header name `{name}`"));
                }
                templates(&format!("headers.{name}"), value, problems);
            }
            if let Some(body) = &d.body {
                templates("body", body, problems);
            }
            if !(1..=MAX_TIMEOUT_MS).contains(&d.timeout_ms) {
                problems.push(format!("timeout_ms must be within 1..={MAX_TIMEOUT_MS}"));
            }
            for (name, pointer) in &d.map {
                var("map variable", name, problems);
                if !(pointer.is_empty() || pointer.starts_with('/')) {
                    problems.push(format!(
                        "map.{name}: `{pointer}` is not a JSON pointer (like /order/status)"
                    ));
                }
            }
            NodeKind::Action(d.clone())
        }
        NodeData::Ask(d) => {
            non_empty("slot", &d.slot, problems);
            if !d.slot.trim().is_empty() && !catalogue.slots.contains(&d.slot) {
                problems.push(format!("unknown slot `{}`", d.slot));
            }
            non_empty("question", &d.question, problems);
            templates("question", &d.question, problems);
            if let Some(q) = &d.retry_question {
                templates("retry_question", q, problems);
            }
            if d.max_retries > MAX_RETRIES {
                problems.push(format!("max_retries must be at most {MAX_RETRIES}"));
            }
            let validator = match &d.validator {
                None => match SlotKind::from_key(&d.slot) {
                    Some(k) => Some(Validator::Kind(k)),
                    None => {
                        problems.push(format!(
                            "slot `{}` is not a built-in kind; give a validator (a kind or a regex)",
                            d.slot
                        ));
                        None
                    }
                },
                Some(v) => match SlotKind::from_key(v) {
                    Some(k) => Some(Validator::Kind(k)),
                    None => match regex::RegexBuilder::new(v).size_limit(1 << 20).build() {
                        Ok(r) => Some(Validator::Regex(r)),
                        Err(e) => {
                            problems.push(format!(
                                "validator is neither a slot kind nor a valid regex: {e}"
                            ));
                            None
                        }
                    },
                },
            };
            NodeKind::Ask {
                data: d.clone(),
                validator: validator?,
            }
        }
        NodeData::Message(d) => {
            non_empty("text", &d.text, problems);
            templates("text", &d.text, problems);
            NodeKind::Message(d.clone())
        }
        NodeData::Handoff(d) => {
            for (what, t) in [
                ("message", &d.message),
                ("briefing_template", &d.briefing_template),
            ] {
                if let Some(t) = t {
                    templates(what, t, problems);
                }
            }
            match HandoffReason::parse(&d.reason) {
                Ok(reason) => NodeKind::Handoff {
                    data: d.clone(),
                    reason,
                },
                Err(_) => {
                    let known: Vec<&str> = HandoffReason::ALL.iter().map(|r| r.as_str()).collect();
                    problems.push(format!(
                        "unknown reason `{}` (expected {})",
                        d.reason,
                        known.join(", ")
                    ));
                    return None;
                }
            }
        }
        NodeData::End(d) => {
            if let Some(m) = &d.message {
                templates("message", m, problems);
            }
            NodeKind::End(d.clone())
        }
    };
    (problems.len() == before).then_some(kind)
}
