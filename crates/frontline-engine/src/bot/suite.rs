//! Scripted dialogs through a workflow — the tester — and regression suites built from them: saved
//! test cases (customer turns, optional channel, customer card and stubbed action responses, and
//! the expected outcome of each turn) that a business runs before publishing, as Rasa's end-to-end
//! tests and Dialogflow CX's test cases do.
//!
//! A script runs the way production does: a customer asking for a person hands over at once (the
//! bot checks that before the workflow), and after a handoff the rest of the script is for the
//! operator, so it stops.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::flows::{EngineEffects, Stub, node_stub_key};
use crate::human::asks_for_human;
use crate::workflow::{CustomerProfile, Graph, Interpreter, Outcome, State, Step, TurnInput};
use frontline_domain::HandoffReason;

/// A canned answer in a script: for the Action call to `url` (after the integration's base URL is
/// applied), or for the Action or AI Response `node` — an HTTP response (`status`, `body`), a
/// `timeout`, or the language model's `reply`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Simulate a timeout instead of answering.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timeout: bool,
    /// What the language model answers (an AI Response node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

impl StubSpec {
    /// Where it answers: its node's key, else its URL; `None` when it names neither.
    pub fn key(&self) -> Option<String> {
        match (&self.node, &self.url) {
            (Some(node), _) => Some(node_stub_key(node)),
            (None, Some(url)) => Some(url.clone()),
            (None, None) => None,
        }
    }

    pub fn stub(&self) -> Stub {
        if self.timeout {
            return Stub::Timeout;
        }
        if let Some(reply) = &self.reply {
            return Stub::Reply(reply.clone());
        }
        Stub::Respond {
            status: self.status.unwrap_or(200),
            body: match &self.body {
                Some(Value::String(t)) => t.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            },
        }
    }
}

/// The customer card of a script.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptCustomer {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A dialog to run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub messages: Vec<String>,
    /// `api` (default), `avito`, `voice`.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub customer: Option<ScriptCustomer>,
    #[serde(default)]
    pub stubs: Vec<StubSpec>,
}

impl Script {
    pub fn stubs(&self) -> BTreeMap<String, Stub> {
        self.stubs
            .iter()
            .filter_map(|s| Some((s.key()?, s.stub())))
            .collect()
    }
}

/// What one customer message led to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnReport {
    pub message: String,
    pub replies: Vec<String>,
    /// `waiting`, `handoff` or `ended`.
    pub outcome: &'static str,
    pub waiting_at: Option<String>,
    #[serde(serialize_with = "reason_name")]
    pub handoff_reason: Option<HandoffReason>,
    pub briefing: Option<String>,
    pub intent: Option<String>,
    pub confidence: Option<f64>,
    pub slots: BTreeMap<String, String>,
    pub trace: Vec<Step>,
}

fn reason_name<S: serde::Serializer>(r: &Option<HandoffReason>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_some(r.as_str()),
        None => s.serialize_none(),
    }
}

/// Runs `script` through `graph`; effects should carry the script's stubs.
pub async fn run_script(
    graph: &Graph,
    effects: &EngineEffects,
    script: &Script,
) -> Vec<TurnReport> {
    let customer = script.customer.clone().unwrap_or_default();
    let mut input = TurnInput {
        text: String::new(),
        channel: script.channel.clone().unwrap_or_else(|| "api".into()),
        customer: CustomerProfile {
            name: customer.name,
            phone: customer.phone,
            attributes: BTreeMap::new(),
        },
        slots: BTreeMap::new(),
    };
    let mut state = State::default();
    let mut turns = Vec::new();
    for message in &script.messages {
        if asks_for_human(message) {
            turns.push(TurnReport {
                message: message.clone(),
                replies: Vec::new(),
                outcome: "handoff",
                waiting_at: None,
                handoff_reason: Some(HandoffReason::CustomerAsked),
                briefing: None,
                intent: state.intent.clone(),
                confidence: None,
                slots: input.slots.clone(),
                trace: Vec::new(),
            });
            break;
        }
        input.text = message.clone();
        let out = Interpreter::new(graph)
            .turn(std::mem::take(&mut state), &input, effects)
            .await;
        input.slots = out.slots.clone();
        let (outcome, waiting_at, handoff_reason, briefing) = match &out.outcome {
            Outcome::Waiting { node } => ("waiting", Some(node.clone()), None, None),
            Outcome::Handoff(h) => ("handoff", None, Some(h.reason), h.briefing.clone()),
            Outcome::Ended => ("ended", None, None, None),
        };
        turns.push(TurnReport {
            message: message.clone(),
            replies: out.replies,
            outcome,
            waiting_at,
            handoff_reason,
            briefing,
            intent: out.state.intent.clone(),
            confidence: out.state.confidence,
            slots: out.slots,
            trace: out.trace,
        });
        state = out.state;
        if handoff_reason.is_some() {
            break;
        }
    }
    turns
}

/// One saved regression case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
    #[serde(flatten)]
    pub script: Script,
    pub expect: Vec<Expectation>,
}

/// What must hold after one turn (1-based; the last one when absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    #[serde(default)]
    pub turn: Option<usize>,
    /// Some reply of the turn contains this (case-insensitive).
    #[serde(default)]
    pub reply_contains: Option<String>,
    /// No reply of the turn contains this (case-insensitive).
    #[serde(default)]
    pub reply_excludes: Option<String>,
    #[serde(default)]
    pub intent: Option<String>,
    /// `waiting`, `handoff` or `ended`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The handoff reason (`action_failed`, `customer_asked`, …); implies `outcome: handoff`.
    #[serde(default)]
    pub handoff: Option<String>,
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    /// The nodes the turn ran, in order (a case saved from the tester records them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    pub failures: Vec<String>,
    /// The first step where a turn left the expected path, if one did.
    pub divergence: Option<Divergence>,
    pub turns: Vec<TurnReport>,
}

/// Where a run first left an expected path: turn and step (both 1-based), the node expected there
/// and the node run instead (`None`: the path ended early, or went on past its end).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    pub turn: usize,
    pub step: usize,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

impl TurnReport {
    /// The nodes the turn ran, in order (without the interpreter's notes).
    pub fn path(&self) -> Vec<&str> {
        self.trace
            .iter()
            .filter(|s| s.node_type != "resume")
            .map(|s| s.node_id.as_str())
            .collect()
    }
}

/// The first step where `turns` leave the `path` expectations.
pub fn divergence(turns: &[TurnReport], expect: &[Expectation]) -> Option<Divergence> {
    let mut found: Vec<Divergence> = expect
        .iter()
        .filter_map(|e| {
            let want = e.path.as_ref()?;
            let turn = e.turn.unwrap_or(turns.len());
            let got = turn
                .checked_sub(1)
                .and_then(|i| turns.get(i))
                .map(TurnReport::path)
                .unwrap_or_default();
            let steps = want.len().max(got.len());
            (0..steps).find_map(|i| {
                let (expected, actual) = (want.get(i).map(String::as_str), got.get(i).copied());
                (expected != actual).then(|| Divergence {
                    turn,
                    step: i + 1,
                    expected: expected.map(str::to_owned),
                    actual: actual.map(str::to_owned),
                })
            })
        })
        .collect();
    found.sort_by_key(|d| (d.turn, d.step));
    found.into_iter().next()
}

/// Parses a suite (a JSON array of cases).
pub fn parse_suite(json: &str) -> Result<Vec<TestCase>, serde_json::Error> {
    let cases: Vec<TestCase> = serde_json::from_str(json)?;
    for case in &cases {
        if case.script.stubs.iter().any(|s| s.key().is_none()) {
            return Err(serde::de::Error::custom(format!(
                "case {:?}: a stub needs a url or a node",
                case.name
            )));
        }
    }
    Ok(cases)
}

/// Every way `turns` misses `expect`.
pub fn check(turns: &[TurnReport], expect: &[Expectation]) -> Vec<String> {
    let mut failures = Vec::new();
    for e in expect {
        let n = e.turn.unwrap_or(turns.len());
        let Some(t) = n.checked_sub(1).and_then(|i| turns.get(i)) else {
            failures.push(format!(
                "turn {n}: the dialog stopped after {} turn(s)",
                turns.len()
            ));
            continue;
        };
        let replies = t.replies.join(" | ");
        let lower = replies.to_lowercase();
        if let Some(want) = &e.reply_contains
            && !lower.contains(&want.to_lowercase())
        {
            failures.push(format!(
                "turn {n}: no reply contains {want:?} (got {replies:?})"
            ));
        }
        if let Some(unwanted) = &e.reply_excludes
            && lower.contains(&unwanted.to_lowercase())
        {
            failures.push(format!(
                "turn {n}: a reply contains {unwanted:?} ({replies:?})"
            ));
        }
        if let Some(want) = &e.intent
            && t.intent.as_deref() != Some(want.as_str())
        {
            failures.push(format!(
                "turn {n}: intent {:?}, expected {want:?}",
                t.intent
            ));
        }
        let want_outcome = e
            .outcome
            .as_deref()
            .or(e.handoff.as_ref().map(|_| "handoff"));
        if let Some(want) = want_outcome
            && t.outcome != want
        {
            failures.push(format!("turn {n}: outcome {}, expected {want}", t.outcome));
        }
        if let Some(want) = &e.handoff
            && t.handoff_reason.map(|r| r.as_str()) != Some(want.as_str())
        {
            failures.push(format!(
                "turn {n}: handoff reason {:?}, expected {want}",
                t.handoff_reason.map(|r| r.as_str())
            ));
        }
        for (k, v) in &e.slots {
            if t.slots.get(k) != Some(v) {
                failures.push(format!(
                    "turn {n}: slot {k} is {:?}, expected {v:?}",
                    t.slots.get(k)
                ));
            }
        }
        if let Some(want) = &e.path {
            let got = t.path();
            if got != *want {
                failures.push(format!(
                    "turn {n}: path {}, expected {}",
                    got.join(" → "),
                    want.join(" → ")
                ));
            }
        }
    }
    failures
}

/// Runs every case; `effects_for` builds the effects with a case's stubs.
pub async fn run_suite(
    graph: &Graph,
    cases: &[TestCase],
    effects_for: impl Fn(BTreeMap<String, Stub>) -> EngineEffects,
) -> Vec<CaseResult> {
    let mut results = Vec::with_capacity(cases.len());
    for case in cases {
        let effects = effects_for(case.script.stubs());
        let turns = run_script(graph, &effects, &case.script).await;
        let failures = check(&turns, &case.expect);
        results.push(CaseResult {
            name: case.name.clone(),
            passed: failures.is_empty(),
            divergence: divergence(&turns, &case.expect),
            failures,
            turns,
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(outcome: &'static str, replies: &[&str]) -> TurnReport {
        TurnReport {
            message: "m".into(),
            replies: replies.iter().map(|r| r.to_string()).collect(),
            outcome,
            waiting_at: None,
            handoff_reason: (outcome == "handoff").then_some(HandoffReason::ActionFailed),
            briefing: None,
            intent: Some("order_status".into()),
            confidence: Some(0.9),
            slots: BTreeMap::from([("order_number".to_string(), "1".to_string())]),
            trace: Vec::new(),
        }
    }

    #[test]
    fn expectations_pass_and_fail_precisely() {
        let turns = [turn("waiting", &["Номер заказа?"]), turn("handoff", &[])];
        let ok = [
            Expectation {
                turn: Some(1),
                reply_contains: Some("номер ЗАКАЗА".into()),
                intent: Some("order_status".into()),
                outcome: Some("waiting".into()),
                ..Expectation::default()
            },
            Expectation {
                handoff: Some("action_failed".into()),
                slots: BTreeMap::from([("order_number".into(), "1".into())]),
                ..Expectation::default()
            },
        ];
        assert!(check(&turns, &ok).is_empty(), "{:?}", check(&turns, &ok));

        let bad = [
            Expectation {
                turn: Some(1),
                reply_contains: Some("телефон".into()),
                reply_excludes: Some("номер".into()),
                intent: Some("balance".into()),
                ..Expectation::default()
            },
            Expectation {
                handoff: Some("customer_asked".into()),
                slots: BTreeMap::from([("phone".into(), "+7".into())]),
                ..Expectation::default()
            },
            Expectation {
                turn: Some(5),
                ..Expectation::default()
            },
        ];
        let failures = check(&turns, &bad);
        assert_eq!(failures.len(), 6, "{failures:#?}");
        assert!(failures[5].contains("stopped after 2"), "{failures:#?}");
    }

    fn step(id: &str) -> Step {
        Step {
            node_id: id.into(),
            node_type: "message".into(),
            input: Value::Null,
            output: Value::Null,
            micros: 0,
        }
    }

    #[test]
    fn a_path_expectation_reports_the_first_step_that_differs() {
        let mut first = turn("waiting", &["Номер заказа?"]);
        first.trace = vec![step("start"), step("intent"), step("ask")];
        let mut second = turn("ended", &["Заказ в пути"]);
        second.trace = vec![
            Step {
                node_type: "resume".into(),
                ..step("gone")
            },
            step("ask"),
            step("lookup"),
            step("answer"),
        ];
        let turns = [first, second];
        let path = |ids: &[&str]| Some(ids.iter().map(|s| s.to_string()).collect());
        let same = [
            Expectation {
                turn: Some(1),
                path: path(&["start", "intent", "ask"]),
                ..Expectation::default()
            },
            Expectation {
                path: path(&["ask", "lookup", "answer"]),
                ..Expectation::default()
            },
        ];
        assert!(
            check(&turns, &same).is_empty(),
            "{:?}",
            check(&turns, &same)
        );
        assert_eq!(divergence(&turns, &same), None);

        let other = [
            Expectation {
                turn: Some(2),
                path: path(&["ask", "lookup", "sorry", "end"]),
                ..Expectation::default()
            },
            Expectation {
                turn: Some(1),
                path: path(&["start", "intent"]),
                ..Expectation::default()
            },
        ];
        let failures = check(&turns, &other);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(
            failures[0].contains("ask → lookup → answer"),
            "{failures:?}"
        );
        // The earliest turn first; a path that runs on past its end differs where it ends.
        assert_eq!(
            divergence(&turns, &other),
            Some(Divergence {
                turn: 1,
                step: 3,
                expected: None,
                actual: Some("ask".into())
            })
        );
        assert_eq!(
            divergence(&turns, &other[..1]),
            Some(Divergence {
                turn: 2,
                step: 3,
                expected: Some("sorry".into()),
                actual: Some("answer".into())
            })
        );
    }

    #[test]
    fn suites_parse_with_flattened_scripts() {
        let cases = parse_suite(
            r#"[{"name": "x", "messages": ["a"], "stubs": [{"url": "http://s/o", "timeout": true}],
                 "expect": [{"handoff": "action_failed"}]}]"#,
        )
        .unwrap();
        assert_eq!(cases[0].script.messages, ["a"]);
        assert_eq!(cases[0].script.stubs()["http://s/o"], Stub::Timeout);
        let by_node = parse_suite(
            r#"[{"name": "y", "messages": ["a"], "expect": [],
                 "stubs": [{"node": "ai", "reply": "Готово"}, {"node": "crm", "status": 503}]}]"#,
        )
        .unwrap();
        let stubs = by_node[0].script.stubs();
        assert_eq!(stubs["node:ai"], Stub::Reply("Готово".into()));
        assert_eq!(
            stubs["node:crm"],
            Stub::Respond {
                status: 503,
                body: String::new()
            }
        );
        let err = parse_suite(
            r#"[{"name": "z", "messages": ["a"], "expect": [], "stubs": [{"status": 200}]}]"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("url or a node"), "{err}");
        assert!(
            parse_suite(r#"[{"name": "x", "messages": [], "expect": [], "typo": 1}]"#).is_err()
        );
    }
}

/// The default workflow against the demo configuration and knowledge base, offline.
#[cfg(test)]
mod default_suite {
    use std::sync::Arc;

    use super::*;
    use crate::bot::flows::{DEFAULT_SUITE_JSON, DEFAULT_WORKFLOW_JSON, compile_document};
    use crate::bot::{BotConfig, EngineBot, Knowledge};

    fn demo_bot() -> EngineBot {
        EngineBot::new(
            Arc::new(BotConfig::demo().compile().unwrap()),
            Arc::new(Knowledge::from_kb(&crate::kb::demo::demo()).unwrap()),
            None,
        )
    }

    #[tokio::test]
    async fn the_default_workflow_validates_and_passes_its_suite() {
        let bot = demo_bot();
        let graph = compile_document(DEFAULT_WORKFLOW_JSON, bot.config())
            .unwrap_or_else(|p| panic!("{p:#?}"));
        let cases = parse_suite(DEFAULT_SUITE_JSON).unwrap();
        assert!(cases.len() >= 30, "the issue asks for at least 30 cases");
        let results = run_suite(&graph, &cases, |stubs| bot.effects(&[], stubs)).await;
        let failed: Vec<_> = results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| (&r.name, &r.failures))
            .collect();
        assert!(failed.is_empty(), "{failed:#?}");
    }

    /// A 404 is the customer's number being wrong: asked once more, and the person who takes
    /// over after a second miss reads both numbers; a 5xx hands over at once.
    #[tokio::test]
    async fn an_unknown_order_number_is_asked_again_then_handed_over_with_both_attempts() {
        let bot = demo_bot();
        let graph = compile_document(crate::bot::flows::DEFAULT_WORKFLOW_JSON, bot.config())
            .unwrap_or_else(|p| panic!("{p:#?}"));
        let not_found = |url: &str| StubSpec {
            url: Some(url.into()),
            status: Some(404),
            body: Some(serde_json::json!({"error": "order not found"})),
            ..StubSpec::default()
        };
        let script = Script {
            messages: vec!["где заказ 12345".into(), "ой, 12346".into()],
            stubs: vec![not_found("/orders/12345"), not_found("/orders/12346")],
            ..Script::default()
        };
        let turns = run_script(&graph, &bot.effects(&[], script.stubs()), &script).await;
        assert_eq!(turns[0].outcome, "waiting", "{:?}", turns[0]);
        assert!(turns[0].replies[0].contains("Не нашёл заказа с номером 12345"));
        assert_eq!(turns[1].handoff_reason, Some(HandoffReason::ActionFailed));
        let briefing = turns[1].briefing.as_deref().unwrap_or_default();
        assert!(
            briefing.contains("12345") && briefing.contains("12346"),
            "{briefing}"
        );

        let script = Script {
            messages: vec!["где заказ 12345".into()],
            stubs: vec![StubSpec {
                url: Some("/orders/12345".into()),
                status: Some(503),
                ..StubSpec::default()
            }],
            ..Script::default()
        };
        let turns = run_script(&graph, &bot.effects(&[], script.stubs()), &script).await;
        assert_eq!(turns[0].handoff_reason, Some(HandoffReason::ActionFailed));
    }

    /// Start → AI Response → Action → Message: the tester answers both by node, offline.
    const STUBBED_FLOW: &str = r#"{"version": 1, "nodes": [
        {"id": "start", "type": "start", "data": {}},
        {"id": "ai", "type": "ai_response", "data": {"system_prompt": "Отвечай кратко."}},
        {"id": "crm", "type": "action", "data": {"method": "GET", "url": "https://crm.invalid/x", "map": {"n": "/n"}}},
        {"id": "said", "type": "message", "data": {"text": "CRM: {vars.n}"}}
    ], "edges": [
        {"id": "e1", "source": "start", "target": "ai"},
        {"id": "e2", "source": "ai", "sourceHandle": "out", "target": "crm"},
        {"id": "e3", "source": "crm", "sourceHandle": "ok", "target": "said"}
    ]}"#;

    #[tokio::test]
    async fn the_tester_answers_llm_and_action_calls_by_node() {
        let bot = demo_bot();
        let graph =
            compile_document(STUBBED_FLOW, bot.config()).unwrap_or_else(|p| panic!("{p:#?}"));
        let script = Script {
            messages: vec!["привет".into()],
            stubs: vec![
                StubSpec {
                    node: Some("ai".into()),
                    reply: Some("Здравствуйте!".into()),
                    ..StubSpec::default()
                },
                StubSpec {
                    node: Some("crm".into()),
                    body: Some(serde_json::json!({"n": 7})),
                    ..StubSpec::default()
                },
            ],
            ..Script::default()
        };
        let turns = run_script(&graph, &bot.effects(&[], script.stubs()), &script).await;
        assert_eq!(turns[0].replies, ["Здравствуйте!", "CRM: 7"]);
        assert_eq!(turns[0].path(), ["start", "ai", "crm", "said"]);

        // Without the LLM stub there is no model here: the open `error` hands off.
        let unstubbed = Script {
            stubs: script.stubs[1..].to_vec(),
            ..script.clone()
        };
        let turns = run_script(&graph, &bot.effects(&[], unstubbed.stubs()), &unstubbed).await;
        assert_eq!(turns[0].handoff_reason, Some(HandoffReason::LlmUnavailable));
        // A node stub wins over a URL stub for the same call.
        let both = Script {
            stubs: vec![
                script.stubs[0].clone(),
                StubSpec {
                    url: Some("https://crm.invalid/x".into()),
                    body: Some(serde_json::json!({"n": 1})),
                    ..StubSpec::default()
                },
                StubSpec {
                    node: Some("crm".into()),
                    timeout: true,
                    ..StubSpec::default()
                },
            ],
            ..script.clone()
        };
        let turns = run_script(&graph, &bot.effects(&[], both.stubs()), &both).await;
        assert_eq!(turns[0].handoff_reason, Some(HandoffReason::ActionFailed));
    }

    #[tokio::test]
    async fn a_broken_expectation_fails_the_suite() {
        let bot = demo_bot();
        let graph = compile_document(DEFAULT_WORKFLOW_JSON, bot.config()).unwrap();
        let mut cases = parse_suite(DEFAULT_SUITE_JSON).unwrap();
        cases.truncate(1);
        cases[0].expect[1].reply_contains = Some("доставлен вчера".into());
        let results = run_suite(&graph, &cases, |stubs| bot.effects(&[], stubs)).await;
        assert!(!results[0].passed);
        assert!(results[0].failures[0].contains("доставлен вчера"));
    }
}
