//! Validation and interpreter tests on small workflows, with fake effects.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use frontline_domain::HandoffReason;
use serde_json::{Value, json};

use super::*;
use crate::slots::CivilDate;

// ---------------------------------------------------------------------------------------------
// Building documents

fn node(id: &str, node_type: &str, data: Value) -> Value {
    json!({"id": id, "type": node_type, "position": {"x": 0, "y": 0}, "data": data})
}

/// `(source, handle, target)`; ids are `source-handle`.
fn doc(nodes: Vec<Value>, edges: &[(&str, Option<&str>, &str)]) -> WorkflowDocument {
    let edges: Vec<Value> = edges
        .iter()
        .map(|(s, h, t)| {
            let mut e =
                json!({"id": format!("{s}-{}", h.unwrap_or("out")), "source": s, "target": t});
            if let Some(h) = h {
                e["sourceHandle"] = Value::from(*h);
            }
            e
        })
        .collect();
    serde_json::from_value(json!({"version": 1, "nodes": nodes, "edges": edges})).unwrap()
}

fn catalogue() -> Catalogue {
    let mut slots: Vec<&str> = crate::slots::SlotKind::ALL
        .iter()
        .map(|k| k.key())
        .collect();
    slots.push("address");
    Catalogue::new(["order_status", "returns", "complaint", "delivery"], slots)
}

fn compile(d: &WorkflowDocument) -> Graph {
    match Graph::from_document(d, &catalogue()) {
        Ok(g) => g,
        Err(problems) => panic!(
            "{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// The demo shop's flows: order status with an API call, returns from the knowledge base,
/// complaints to a person, anything else answered by a condition.
fn shop() -> WorkflowDocument {
    doc(
        vec![
            node("start", "start", json!({})),
            node(
                "ctx",
                "context",
                json!({"set": {"greeting": "Здравствуйте, {customer.name}!"}}),
            ),
            node(
                "intent",
                "intent",
                json!({"intents": ["order_status", "returns", "complaint"]}),
            ),
            node(
                "ask_order",
                "ask",
                json!({"slot": "order_number", "question": "Подскажите номер заказа.",
                       "retry_question": "Не нашёл номер. Подскажите номер заказа.", "max_retries": 1}),
            ),
            node(
                "fetch",
                "action",
                json!({"integration": "shop", "url": "/orders/{slots.order_number}",
                       "headers": {"X-Channel": "{channel}"}, "timeout_ms": 2000,
                       "map": {"status": "/order/status"}}),
            ),
            node(
                "say_status",
                "message",
                json!({"text": "Заказ {slots.order_number}: {vars.status}."}),
            ),
            node(
                "not_found",
                "message",
                json!({"text": "Заказ {slots.order_number} не нашёлся."}),
            ),
            node(
                "search",
                "search",
                json!({"category": "returns", "top_k": 2, "min_confidence": 0.4}),
            ),
            node(
                "answer",
                "ai_response",
                json!({"model": "gpt-5-mini", "temperature": 0.2, "max_tokens": 300,
                       "system_prompt": "Отвечай по статьям. Клиент: {customer.name}", "grounded": true}),
            ),
            node(
                "sorry",
                "message",
                json!({"text": "Нам очень жаль, что так вышло."}),
            ),
            node(
                "to_human",
                "handoff",
                json!({"reason": "topic_policy", "queue": "complaints",
                       "briefing_template": "Жалоба, заказ {slots.order_number}",
                       "message": "Передаю ваш вопрос оператору."}),
            ),
            node("no_article", "handoff", json!({"reason": "low_confidence"})),
            node(
                "working_hours",
                "condition",
                json!({"expression": "hour >= 9 && hour < 21"}),
            ),
            node(
                "day",
                "end",
                json!({"message": "{vars.greeting} Я подскажу про заказы и возвраты."}),
            ),
            node("night", "end", json!({"message": "Ответим утром."})),
        ],
        &[
            ("start", None, "ctx"),
            ("ctx", None, "intent"),
            ("intent", Some("order_status"), "ask_order"),
            ("intent", Some("returns"), "search"),
            ("intent", Some("complaint"), "sorry"),
            ("intent", Some("fallback"), "working_hours"),
            ("ask_order", Some("ok"), "fetch"),
            ("fetch", Some("ok"), "say_status"),
            ("fetch", Some("error"), "not_found"),
            ("not_found", None, "ask_order"),
            ("search", Some("found"), "answer"),
            ("search", Some("not_found"), "no_article"),
            ("sorry", None, "to_human"),
            ("working_hours", Some("true"), "day"),
            ("working_hours", Some("false"), "night"),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// Fake effects

struct Fake {
    /// Messages containing the key are classified as the intent; others are out of scope.
    intents: Vec<(&'static str, &'static str, f64)>,
    search: Result<Vec<SearchHit>, EffectError>,
    chat: Result<String, EffectError>,
    /// Responses handed out in order; the last one repeats.
    http: Mutex<Vec<Result<HttpResponse, HttpError>>>,
    http_seen: Mutex<Vec<HttpRequest>>,
    chat_seen: Mutex<Vec<ChatRequest>>,
    classified: Mutex<usize>,
    hour: u32,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            intents: vec![
                ("заказ", "order_status", 0.9),
                ("верну", "returns", 0.8),
                ("безобразие", "complaint", 0.7),
                ("доставк", "delivery", 0.4),
            ],
            search: Ok(vec![hit("r1", 0.9), hit("r2", 0.3)]),
            chat: Ok("Вернуть можно в течение 14 дней [r1].".into()),
            http: Mutex::new(vec![ok_json(json!({"order": {"status": "в пути"}}))]),
            http_seen: Mutex::default(),
            chat_seen: Mutex::default(),
            classified: Mutex::new(0),
            hour: 14,
        }
    }
}

fn hit(id: &str, confidence: f64) -> SearchHit {
    SearchHit {
        article_id: id.into(),
        category: "returns".into(),
        title: "Возврат".into(),
        text: "Вернуть товар можно в течение 14 дней.".into(),
        confidence,
    }
}

fn ok_json(v: Value) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse {
        status: 200,
        body: v.to_string(),
    })
}

impl Fake {
    fn http(self, responses: Vec<Result<HttpResponse, HttpError>>) -> Self {
        *self.http.lock().unwrap() = responses;
        self
    }
}

#[async_trait]
impl Effects for Fake {
    async fn classify(&self, text: &str) -> Classification {
        *self.classified.lock().unwrap() += 1;
        let lower = text.to_lowercase();
        match self.intents.iter().find(|(k, _, _)| lower.contains(k)) {
            Some((_, intent, c)) => Classification {
                intent: Some((*intent).into()),
                confidence: *c,
                out_of_scope: false,
            },
            None => Classification {
                intent: None,
                confidence: 0.1,
                out_of_scope: true,
            },
        }
    }

    async fn search(&self, _request: SearchRequest) -> Result<Vec<SearchHit>, EffectError> {
        self.search.clone()
    }

    async fn chat(&self, request: ChatRequest) -> Result<String, EffectError> {
        self.chat_seen.lock().unwrap().push(request);
        self.chat.clone()
    }

    async fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.http_seen.lock().unwrap().push(request);
        let mut queue = self.http.lock().unwrap();
        if queue.len() > 1 {
            queue.remove(0)
        } else {
            queue[0].clone()
        }
    }

    fn now(&self) -> LocalNow {
        LocalNow {
            date: CivilDate::new(2026, 3, 10).unwrap(),
            hour: self.hour,
            minute: 0,
        }
    }
}

fn input(text: &str) -> TurnInput {
    TurnInput {
        text: text.into(),
        channel: "avito".into(),
        customer: CustomerProfile {
            name: Some("Анна".into()),
            ..CustomerProfile::default()
        },
        slots: BTreeMap::new(),
    }
}

/// Runs the messages in order, persisting state and slots between them through JSON, as the
/// lead's store will; returns every turn.
async fn dialog(graph: &Graph, fx: &Fake, messages: &[&str]) -> Vec<TurnOutput> {
    let mut state = State::default();
    let mut slots = BTreeMap::new();
    let mut out = Vec::new();
    for m in messages {
        let turn = Interpreter::new(graph)
            .turn(state, &TurnInput { slots, ..input(m) }, fx)
            .await;
        // A restart between messages: only the JSON survives.
        state = State::from_json(&turn.state.to_json()).unwrap();
        assert_eq!(state, turn.state);
        slots = turn.slots.clone();
        out.push(turn);
    }
    out
}

fn path(turn: &TurnOutput) -> Vec<&str> {
    turn.trace.iter().map(|s| s.node_id.as_str()).collect()
}

fn handoff(turn: &TurnOutput) -> &Handoff {
    match &turn.outcome {
        Outcome::Handoff(h) => h,
        other => panic!("expected a handoff, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

#[test]
fn the_shop_workflow_is_valid() {
    let g = compile(&shop());
    assert_eq!(g.start(), "start");
    assert_eq!(g.next("intent", "returns"), Some("search"));
    assert_eq!(g.next("fetch", "timeout"), None);
    assert_eq!(g.nodes().count(), 15);
}

/// Each expected problem is `(node or edge id, part of the message)`; all must be found, and
/// nothing else reported.
fn check_problems(d: &WorkflowDocument, expected: &[(&str, &str)]) {
    let problems = Graph::from_document(d, &catalogue()).expect_err("should be invalid");
    let rendered: Vec<String> = problems.iter().map(ToString::to_string).collect();
    for (at, part) in expected {
        let found = problems.iter().any(|p| {
            let id = p.node_id.as_deref().or(p.edge_id.as_deref()).unwrap_or("");
            id == *at && p.message.contains(part)
        });
        assert!(found, "missing ({at}, {part}) in:\n{}", rendered.join("\n"));
    }
    assert_eq!(problems.len(), expected.len(), "{}", rendered.join("\n"));
}

#[test]
fn every_structural_problem_is_reported_with_its_place() {
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node("start2", "start", json!({})),
            node("what", "teleport", json!({})),
            node("m1", "message", json!({"text": "1"})),
            node("m1", "message", json!({"text": "dup"})),
            node("cond", "condition", json!({"expression": "hour > 9"})),
            node(
                "ask",
                "ask",
                json!({"slot": "phone", "question": "Телефон?"}),
            ),
            node("orphan", "end", json!({})),
            node("bye", "end", json!({})),
        ],
        &[
            ("start", None, "m1"),
            ("m1", None, "cond"),
            ("cond", Some("true"), "m1"),   // a loop without an ask
            ("cond", Some("maybe"), "bye"), // unknown handle
            ("cond", None, "bye"),          // several outputs, no handle
            ("ask", Some("ok"), "nowhere"), // dangling target
            ("ghost", None, "bye"),         // dangling source
            ("bye", None, "m1"),            // end has no outputs
            ("m1", Some("out"), "bye"),     // second edge from one output
            ("start2", None, "start"),      // into start
        ],
    );
    check_problems(
        &d,
        &[
            ("start2", "second start"),
            ("what", "unknown node type `teleport`"),
            ("m1", "duplicate node id"),
            ("cond-maybe", "no output `maybe`"),
            ("cond-out", "needs a sourceHandle"),
            ("ask-ok", "target `nowhere` is not a node"),
            ("ghost-out", "source `ghost` is not a node"),
            ("bye-out", "end node has no outputs"),
            ("m1-out", "duplicate edge id"),
            ("m1-out", "already connected by edge `m1-out`"),
            ("start2-out", "nothing can lead into the start node"),
            ("start2", "output `out` is not connected"),
            ("cond", "output `false` is not connected"),
            ("ask", "output `ok` is not connected"),
            ("ask", "not reachable"),
            ("orphan", "not reachable"),
            ("what", "not reachable"),
            ("m1", "loop that never waits"),
            ("cond", "loop that never waits"),
        ],
    );
}

#[test]
fn documents_without_start_or_with_a_future_version() {
    let d = doc(vec![node("bye", "end", json!({}))], &[]);
    let mut d2 = d.clone();
    d2.version = 2;
    check_problems(&d, &[("", "no start node")]);
    check_problems(&d2, &[("", "no start node"), ("", "unsupported version 2")]);
}

#[test]
fn every_data_problem_is_reported_with_its_node() {
    let nodes = vec![
        node("start", "start", json!({})),
        node(
            "intent",
            "intent",
            json!({"intents": ["order_status", "teleport", "fallback"]}),
        ),
        node("conf", "confidence", json!({"threshold": 1.5})),
        node(
            "ctx",
            "context",
            json!({"set": {"bad-name": "{slots.passport}"}}),
        ),
        node(
            "search",
            "search",
            json!({"top_k": 0, "min_confidence": -1, "into": "a.b"}),
        ),
        node(
            "ai",
            "ai_response",
            json!({"temperature": 3, "max_tokens": 0, "system_prompt": " "}),
        ),
        node(
            "cond",
            "condition",
            json!({"expression": "slots.passport != \"\" && (hour >"}),
        ),
        node(
            "cond2",
            "condition",
            json!({"expression": "slots.passport != \"\" && vars.x == 1"}),
        ),
        node(
            "act",
            "action",
            json!({"method": "FETCH", "url": "orders/{slots.order_number}",
                                      "timeout_ms": 0, "headers": {"Bad Header": "x"},
                                      "map": {"status": "order.status"}}),
        ),
        node(
            "act2",
            "action",
            json!({"integration": "shop", "url": "orders"}),
        ),
        node(
            "ask",
            "ask",
            json!({"slot": "passport", "question": "Паспорт?", "validator": "("}),
        ),
        node(
            "ask2",
            "ask",
            json!({"slot": "address", "question": "Адрес?"}),
        ),
        node("msg", "message", json!({"text": ""})),
        node("msg2", "message", json!({})),
        node("msg3", "message", json!({"text": "{nonsense}"})),
        node("hand", "handoff", json!({"reason": "bored"})),
        node("bye", "end", json!({"message": "{customer.name}"})),
    ];
    let mut edges: Vec<(&str, Option<&str>, &str)> = vec![
        ("start", None, "intent"),
        ("intent", Some("order_status"), "conf"),
        ("intent", Some("teleport"), "ctx"),
        ("intent", Some("fallback"), "search"),
        ("conf", Some("high"), "ai"),
        ("conf", Some("low"), "cond"),
        ("ctx", None, "cond2"),
        ("search", Some("found"), "act"),
        ("search", Some("not_found"), "act2"),
        ("cond2", Some("true"), "ask"),
        ("cond2", Some("false"), "ask2"),
        ("act", Some("ok"), "msg"),
        ("act2", Some("ok"), "msg2"),
        ("ask2", Some("ok"), "msg3"),
        ("msg3", None, "hand"),
        ("ai", Some("out"), "bye"),
        ("cond", Some("true"), "bye"),
        ("cond", Some("false"), "bye"),
    ];
    edges.push(("ask", Some("ok"), "bye"));
    check_problems(
        &doc(nodes, &edges),
        &[
            ("intent", "unknown intent `teleport`"),
            ("intent", "`fallback` is the output for other intents"),
            ("conf", "threshold must be within [0, 1]"),
            ("ctx", "variable `bad-name`"),
            ("ctx", "unknown slot `passport`"),
            ("search", "top_k"),
            ("search", "min_confidence"),
            ("search", "into `a.b`"),
            ("ai", "temperature"),
            ("ai", "max_tokens"),
            ("ai", "system_prompt is empty"),
            ("cond", "invalid expression"),
            ("cond2", "expression: unknown slot `passport`"),
            ("act", "unknown method `FETCH`"),
            ("act", "url must start with http"),
            ("act", "timeout_ms"),
            ("act", "invalid header name"),
            ("act", "not a JSON pointer"),
            ("act2", "path starting with /"),
            ("ask", "unknown slot `passport`"),
            ("ask", "neither a slot kind nor a valid regex"),
            ("ask2", "not a built-in kind; give a validator"),
            ("msg", "text is empty"),
            ("msg2", "missing field `text`"),
            ("msg3", "unknown name `nonsense`"),
            ("hand", "unknown reason `bored`"),
        ],
    );
}

#[test]
fn loops_through_an_ask_are_allowed() {
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node(
                "ask",
                "ask",
                json!({"slot": "order_number", "question": "Номер?"}),
            ),
            node(
                "check",
                "condition",
                json!({"expression": "slots.order_number != \"1\""}),
            ),
            node("again", "message", json!({"text": "Не тот номер."})),
            node("bye", "end", json!({})),
        ],
        &[
            ("start", None, "ask"),
            ("ask", Some("ok"), "check"),
            ("check", Some("true"), "bye"),
            ("check", Some("false"), "again"),
            ("again", None, "ask"),
        ],
    );
    compile(&d);
    // Without the ask in it, the same loop is refused.
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node("check", "condition", json!({"expression": "hour > 9"})),
            node("again", "message", json!({"text": "Ещё раз."})),
            node("bye", "end", json!({})),
        ],
        &[
            ("start", None, "check"),
            ("check", Some("true"), "bye"),
            ("check", Some("false"), "again"),
            ("again", None, "check"),
        ],
    );
    check_problems(
        &d,
        &[
            ("check", "loop that never waits"),
            ("again", "loop that never waits"),
        ],
    );
}

#[test]
fn catalogue_from_the_demo_bot() {
    let c = Catalogue::from_bot_config(&crate::bot::BotConfig::demo());
    assert!(c.intents.contains("order_status"));
    assert!(c.slots.contains("order_number") && c.slots.contains("amount"));
}

// ---------------------------------------------------------------------------------------------
// Running

#[tokio::test]
async fn ask_waits_across_a_restart_then_the_action_answers() {
    let g = compile(&shop());
    let fx = Fake::default();
    let turns = dialog(&g, &fx, &["Где мой заказ?", "вот он: 7157703"]).await;

    let first = &turns[0];
    assert_eq!(first.replies, ["Подскажите номер заказа."]);
    assert_eq!(
        first.outcome,
        Outcome::Waiting {
            node: "ask_order".into()
        }
    );
    assert_eq!(path(first), ["start", "ctx", "intent", "ask_order"]);
    assert_eq!(first.state.position.as_deref(), Some("ask_order"));
    assert_eq!(first.state.intent.as_deref(), Some("order_status"));
    assert_eq!(first.state.vars["greeting"], "Здравствуйте, Анна!");

    let second = &turns[1];
    assert_eq!(second.replies, ["Заказ 7157703: в пути."]);
    assert_eq!(second.outcome, Outcome::Ended);
    assert_eq!(path(second), ["ask_order", "fetch", "say_status"]);
    assert_eq!(second.slots["order_number"], "7157703");
    assert_eq!(second.state.position, None);
    assert_eq!(second.state.vars["status"], "в пути");

    let seen = fx.http_seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].url, "/orders/7157703");
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].integration.as_deref(), Some("shop"));
    assert_eq!(seen[0].headers["X-Channel"], "avito");
    assert_eq!(seen[0].timeout, std::time::Duration::from_millis(2000));
    // The trace records each node with its inputs and outputs, but not header values.
    let fetch = &second.trace[1];
    assert_eq!(fetch.node_type, "action");
    assert_eq!(fetch.input["url"], "/orders/7157703");
    assert_eq!(fetch.input["headers"], json!(["X-Channel"]));
    assert_eq!(fetch.output["branch"], "ok");
    assert_eq!(fetch.output["set"]["status"], "в пути");
}

#[tokio::test]
async fn a_known_slot_is_not_asked_again() {
    let g = compile(&shop());
    let fx = Fake::default();
    let turns = dialog(&g, &fx, &["Где заказ №7157703?"]).await;
    assert_eq!(turns[0].replies, ["Заказ 7157703: в пути."]);
    assert_eq!(turns[0].trace[3].output["skipped"], "already known");
    // A slot the conversation already had counts too.
    let known = TurnInput {
        slots: [("order_number".to_owned(), "555555".to_owned())].into(),
        ..input("что с заказом")
    };
    let turn = Interpreter::new(&g)
        .turn(State::default(), &known, &fx)
        .await;
    assert_eq!(turn.replies, ["Заказ 555555: в пути."]);
}

#[tokio::test]
async fn an_action_error_follows_its_branch_and_the_loop_asks_again() {
    let g = compile(&shop());
    let not_found = Ok(HttpResponse {
        status: 404,
        body: "{\"error\":\"no such order\"}".into(),
    });
    let fx = Fake::default().http(vec![
        not_found,
        ok_json(json!({"order": {"status": "доставлен"}})),
    ]);
    let turns = dialog(&g, &fx, &["где заказ 1111111", "2222222"]).await;
    assert_eq!(
        turns[0].replies,
        ["Заказ 1111111 не нашёлся.", "Подскажите номер заказа."]
    );
    assert_eq!(
        path(&turns[0]),
        [
            "start",
            "ctx",
            "intent",
            "ask_order",
            "fetch",
            "not_found",
            "ask_order"
        ]
    );
    assert_eq!(turns[0].trace[4].output["status"], 404);
    assert_eq!(turns[0].trace[4].output["branch"], "error");
    // The answer replaces the value that did not work.
    assert_eq!(turns[1].replies, ["Заказ 2222222: доставлен."]);
}

#[tokio::test]
async fn action_failures_without_a_branch_hand_off() {
    let g = compile(&shop());
    // The timeout output is not connected: a person, never a guess.
    let fx = Fake::default().http(vec![Err(HttpError::Timeout)]);
    let turn = &dialog(&g, &fx, &["заказ 7157703"]).await[0];
    let h = handoff(turn);
    assert_eq!(h.reason, HandoffReason::ActionFailed);
    assert_eq!(h.node, "fetch");
    assert_eq!(h.intent.as_deref(), Some("order_status"));
    assert_eq!(h.slots["order_number"], "7157703");
    assert!(turn.replies.is_empty());
    let step = turn.trace.last().unwrap();
    assert_eq!(step.output["branch"], "timeout");
    assert_eq!(step.output["then"], "handoff action_failed");
    assert_eq!(turn.state.position, None);

    // Connected error branch: transport errors and unmappable answers take it.
    for response in [
        Err(HttpError::Failed("connection refused".into())),
        ok_json(json!({"order": {}})),
        Ok(HttpResponse {
            status: 200,
            body: "<html>".into(),
        }),
    ] {
        let fx = Fake::default().http(vec![response]);
        let turn = &dialog(&g, &fx, &["заказ 7157703"]).await[0];
        assert_eq!(
            turn.trace[4].output["branch"], "error",
            "{:?}",
            turn.trace[4]
        );
        assert_eq!(turn.replies[0], "Заказ 7157703 не нашёлся.");
        assert!(!turn.state.vars.contains_key("status"));
    }
}

#[tokio::test]
async fn action_timeout_and_error_branches_when_connected() {
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node(
                "create",
                "action",
                json!({"method": "post", "url": "https://crm.example/requests?phone={slots.phone}",
                       "body": "{\"phone\": \"{slots.phone}\", \"note\": \"{text}\"}"}),
            ),
            node("ok", "end", json!({"message": "Заявка создана."})),
            node("err", "end", json!({"message": "Ошибка."})),
            node("slow", "end", json!({"message": "Долго."})),
        ],
        &[
            ("start", None, "create"),
            ("create", Some("ok"), "ok"),
            ("create", Some("error"), "err"),
            ("create", Some("timeout"), "slow"),
        ],
    );
    let g = compile(&d);
    for (response, reply) in [
        (ok_json(json!({})), "Заявка создана."),
        (Err(HttpError::Failed("reset".into())), "Ошибка."),
        (
            Ok(HttpResponse {
                status: 500,
                body: String::new(),
            }),
            "Ошибка.",
        ),
        (Err(HttpError::Timeout), "Долго."),
    ] {
        let fx = Fake::default().http(vec![response]);
        let turn = &dialog(&g, &fx, &["смените телефон на +7 912 345-67-89 \"срочно\""]).await[0];
        assert_eq!(turn.replies, [reply]);
        assert_eq!(turn.outcome, Outcome::Ended);
        let req = &fx.http_seen.lock().unwrap()[0];
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://crm.example/requests?phone=%2B79123456789");
        let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["phone"], "+79123456789");
        assert_eq!(
            body["note"],
            "смените телефон на +7 912 345-67-89 \"срочно\""
        );
    }
}

#[tokio::test]
async fn ask_retries_then_fails() {
    let g = compile(&shop());
    let fx = Fake::default();
    let turns = dialog(&g, &fx, &["где заказ?", "не помню", "ну не знаю"]).await;
    assert_eq!(
        turns[1].replies,
        ["Не нашёл номер. Подскажите номер заказа."]
    );
    assert_eq!(turns[1].state.ask_retries, 1);
    assert!(matches!(turns[1].outcome, Outcome::Waiting { .. }));
    // max_retries is 1 and `failed` is open: hand off.
    let h = handoff(&turns[2]);
    assert_eq!(h.reason, HandoffReason::RepeatedClarify);
    assert_eq!(turns[2].state.ask_retries, 0);
    assert_eq!(turns[2].state.position, None);
}

#[tokio::test]
async fn ask_with_a_regex_validator_and_other_slots_in_the_answer() {
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node(
                "ask",
                "ask",
                json!({"slot": "address", "question": "Новый адрес?",
                       "validator": "(?i)(?:ул\\.|улица)\\s+[^,]+,\\s*\\d+"}),
            ),
            node("failed", "end", json!({"message": "Не получилось."})),
            node(
                "done",
                "end",
                json!({"message": "Адрес: {slots.address}; тел. {slots.phone}"}),
            ),
        ],
        &[
            ("start", None, "ask"),
            ("ask", Some("ok"), "done"),
            ("ask", Some("failed"), "failed"),
        ],
    );
    let g = compile(&d);
    let fx = Fake::default();
    let turns = dialog(
        &g,
        &fx,
        &["хочу сменить адрес", "ул. Ленина, 5, телефон 89123456789"],
    )
    .await;
    assert_eq!(turns[0].replies, ["Новый адрес?"]);
    assert_eq!(
        turns[1].replies,
        ["Адрес: ул. Ленина, 5; тел. +79123456789"]
    );
}

#[tokio::test]
async fn ask_answer_is_read_as_the_asked_kind() {
    let g = compile(&shop());
    let fx = Fake::default();
    // After «номер заказа?» an 11-digit number is the order number, not a phone.
    let turns = dialog(&g, &fx, &["где заказ", "89123456789"]).await;
    assert_eq!(turns[1].slots["order_number"], "89123456789");
    assert!(!turns[1].slots.contains_key("phone"));
}

#[tokio::test]
async fn grounded_ai_response_and_its_failures() {
    let g = compile(&shop());
    let fx = Fake::default();
    let turn = &dialog(&g, &fx, &["хочу вернуть товар"]).await[0];
    assert_eq!(turn.replies, ["Вернуть можно в течение 14 дней [r1]."]);
    assert_eq!(turn.outcome, Outcome::Ended);
    assert_eq!(path(turn), ["start", "ctx", "intent", "search", "answer"]);
    // Hits below min_confidence are dropped; the node's own model settings reach the call.
    assert_eq!(turn.state.vars["search"].as_array().unwrap().len(), 1);
    let req = fx.chat_seen.lock().unwrap()[0].clone();
    assert_eq!(req.model.as_deref(), Some("gpt-5-mini"));
    assert_eq!(req.temperature, 0.2);
    assert_eq!(req.max_tokens, 300);
    assert_eq!(req.system_prompt, "Отвечай по статьям. Клиент: Анна");
    assert_eq!(req.grounding.as_ref().unwrap()[0].article_id, "r1");
    assert_eq!(turn.trace.last().unwrap().output["then"], "end");

    // Nothing relevant found: the not_found branch.
    let fx = Fake {
        search: Ok(vec![hit("r2", 0.1)]),
        ..Fake::default()
    };
    let turn = &dialog(&g, &fx, &["хочу вернуть товар"]).await[0];
    assert_eq!(handoff(turn).reason, HandoffReason::LowConfidence);
    // A failed search is "not found", with the error in the trace.
    let fx = Fake {
        search: Err(EffectError("index down".into())),
        ..Fake::default()
    };
    let turn = &dialog(&g, &fx, &["хочу вернуть товар"]).await[0];
    assert_eq!(handoff(turn).reason, HandoffReason::LowConfidence);
    assert_eq!(turn.trace[3].output["error"], "index down");
    // The LLM fails and `error` is open.
    let fx = Fake {
        chat: Err(EffectError("timeout".into())),
        ..Fake::default()
    };
    let turn = &dialog(&g, &fx, &["хочу вернуть товар"]).await[0];
    assert_eq!(handoff(turn).reason, HandoffReason::LlmUnavailable);
    assert!(turn.replies.is_empty());
}

#[tokio::test]
async fn ai_response_error_branch_and_ungrounded_calls() {
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node(
                "ai",
                "ai_response",
                json!({"system_prompt": "Ты помощник магазина."}),
            ),
            node(
                "grounded",
                "ai_response",
                json!({"system_prompt": "x", "grounded": true}),
            ),
            node("fallback", "message", json!({"text": "Не смог ответить."})),
        ],
        &[
            ("start", None, "ai"),
            ("ai", Some("error"), "grounded"),
            ("grounded", Some("error"), "fallback"),
        ],
    );
    let g = compile(&d);
    let fx = Fake::default();
    let turn = &dialog(&g, &fx, &["привет"]).await[0];
    assert_eq!(turn.replies, ["Вернуть можно в течение 14 дней [r1]."]);
    let req = fx.chat_seen.lock().unwrap()[0].clone();
    assert_eq!(
        (req.model.clone(), req.temperature, req.max_tokens),
        (None, 0.3, 400)
    );
    assert_eq!(req.grounding, None);
    // An empty answer is an error; a grounded node without search results does not even call.
    let fx = Fake {
        chat: Ok("  ".into()),
        ..Fake::default()
    };
    let turn = &dialog(&g, &fx, &["привет"]).await[0];
    assert_eq!(turn.replies, ["Не смог ответить."]);
    assert_eq!(fx.chat_seen.lock().unwrap().len(), 1);
    assert!(
        turn.trace[2].output["error"]
            .as_str()
            .unwrap()
            .contains("to ground on")
    );
}

#[tokio::test]
async fn complaint_replies_then_hands_off_with_a_briefing() {
    let g = compile(&shop());
    let fx = Fake::default();
    let input = TurnInput {
        slots: [("order_number".to_owned(), "7157703".to_owned())].into(),
        ..input("Это безобразие!")
    };
    let turn = Interpreter::new(&g)
        .turn(State::default(), &input, &fx)
        .await;
    assert_eq!(
        turn.replies,
        [
            "Нам очень жаль, что так вышло.",
            "Передаю ваш вопрос оператору."
        ]
    );
    let h = handoff(&turn);
    assert_eq!(h.reason, HandoffReason::TopicPolicy);
    assert_eq!(h.node, "to_human");
    assert_eq!(h.queue.as_deref(), Some("complaints"));
    assert_eq!(h.briefing.as_deref(), Some("Жалоба, заказ 7157703"));
    assert_eq!(h.intent.as_deref(), Some("complaint"));
}

#[tokio::test]
async fn fallback_and_condition_branches() {
    let g = compile(&shop());
    let day = &dialog(&g, &Fake::default(), &["какая погода?"]).await[0];
    assert_eq!(
        day.replies,
        ["Здравствуйте, Анна! Я подскажу про заказы и возвраты."]
    );
    assert_eq!(day.trace[2].output["out_of_scope"], true);
    assert_eq!(day.trace[2].output["branch"], "fallback");
    let night = Fake {
        hour: 23,
        ..Fake::default()
    };
    let turn = &dialog(&g, &night, &["какая погода?"]).await[0];
    assert_eq!(turn.replies, ["Ответим утром."]);
    assert_eq!(turn.trace[3].output["branch"], "false");
    // A recognised intent the node does not list also takes `fallback`.
    let turn = &dialog(&g, &Fake::default(), &["доставка когда?"]).await[0];
    assert_eq!(turn.trace[2].output["branch"], "fallback");
    assert_eq!(turn.state.intent.as_deref(), Some("delivery"));
}

#[tokio::test]
async fn confidence_context_and_a_broken_condition() {
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node(
                "intent",
                "intent",
                json!({"intents": ["order_status", "delivery"]}),
            ),
            node("conf", "confidence", json!({"threshold": 0.6})),
            node(
                "ctx",
                "context",
                json!({"set": {"copy": "{vars.order}", "label": "{intent} ({confidence})"}}),
            ),
            node(
                "sure",
                "message",
                json!({"text": "{vars.label}: {vars.copy.status}"}),
            ),
            node("cond", "condition", json!({"expression": "vars.copy > 1"})),
            node("unsure", "end", json!({"message": "Уточните, пожалуйста."})),
            node("yes", "end", json!({})),
            node("no", "end", json!({})),
        ],
        &[
            ("start", None, "intent"),
            ("intent", Some("order_status"), "conf"),
            ("intent", Some("delivery"), "conf"),
            ("intent", Some("fallback"), "conf"),
            ("conf", Some("high"), "ctx"),
            ("conf", Some("low"), "unsure"),
            ("ctx", None, "sure"),
            ("sure", None, "cond"),
            ("cond", Some("true"), "yes"),
            ("cond", Some("false"), "no"),
        ],
    );
    let g = compile(&d);
    let fx = Fake::default();
    let state = State {
        vars: [("order".to_owned(), json!({"status": "собран"}))].into(),
        ..State::default()
    };
    let turn = Interpreter::new(&g).turn(state, &input("заказ"), &fx).await;
    // The single-placeholder template copied the object; the other rendered text.
    assert_eq!(turn.state.vars["copy"], json!({"status": "собран"}));
    assert_eq!(turn.replies, ["order_status (0.9): собран"]);
    // Comparing an object with a number is a fault: a person, not a guessed branch.
    assert_eq!(handoff(&turn).reason, HandoffReason::BotError);
    assert!(turn.trace.last().unwrap().output["error"].is_string());

    let turn = &dialog(&g, &fx, &["доставка?"]).await[0];
    assert_eq!(turn.replies, ["Уточните, пожалуйста."]);
    assert_eq!(turn.trace[2].input["confidence"], 0.4);
    assert_eq!(turn.trace[2].output["branch"], "low");
}

#[tokio::test]
async fn the_step_bound_hands_off() {
    let g = compile(&shop());
    let fx = Fake::default();
    let turn = Interpreter::new(&g)
        .with_max_steps(3)
        .turn(State::default(), &input("какая погода?"), &fx)
        .await;
    let h = handoff(&turn);
    assert_eq!(h.reason, HandoffReason::BotError);
    assert_eq!(turn.trace.len(), 4);
    let last = turn.trace.last().unwrap();
    assert_eq!(last.node_id, "working_hours");
    assert_eq!(last.output["error"], "step limit of 3 reached");
    assert!(turn.replies.is_empty());
    assert_eq!(DEFAULT_MAX_STEPS, 100);
}

#[tokio::test]
async fn a_waiting_node_gone_after_a_republish_starts_over() {
    let g = compile(&shop());
    let fx = Fake::default();
    let state = State {
        position: Some("deleted_ask".into()),
        ask_retries: 1,
        ..State::default()
    };
    let turn = Interpreter::new(&g)
        .turn(state, &input("где заказ 7157703"), &fx)
        .await;
    assert_eq!(turn.trace[0].node_type, "resume");
    assert_eq!(turn.trace[1].node_id, "start");
    assert_eq!(turn.replies, ["Заказ 7157703: в пути."]);
    assert_eq!(turn.state.ask_retries, 0);
}

#[tokio::test]
async fn each_message_is_classified_once() {
    let d = doc(
        vec![
            node("start", "start", json!({})),
            node("i1", "intent", json!({"intents": ["order_status"]})),
            node("i2", "intent", json!({"intents": ["returns"]})),
            node("bye", "end", json!({})),
        ],
        &[
            ("start", None, "i1"),
            ("i1", Some("order_status"), "i2"),
            ("i1", Some("fallback"), "i2"),
            ("i2", Some("returns"), "bye"),
            ("i2", Some("fallback"), "bye"),
        ],
    );
    let g = compile(&d);
    let fx = Fake::default();
    let turn = &dialog(&g, &fx, &["заказ"]).await[0];
    assert_eq!(turn.outcome, Outcome::Ended);
    assert_eq!(*fx.classified.lock().unwrap(), 1);
}

#[test]
fn state_json_is_small_and_tolerant() {
    assert_eq!(State::default().to_json(), "{}");
    let s = State::from_json(r#"{"position":"ask","vars":{"a":1},"future_field":true}"#).unwrap();
    assert_eq!(s.position.as_deref(), Some("ask"));
    assert_eq!(s.vars["a"], 1);
}
