//! The cascade on the demo configuration: a small simulated conversation store (history and
//! recorded decisions kept the way the lifecycle keeps them) and, where the LLM matters, a scripted
//! chat model standing in for the remote server (the real client is tested against a local server
//! speaking the wire format in `llm::tests`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{AccountKind, ConversationId, DecisionId, MessageId, Timestamp};

use super::*;
use crate::kb::demo::demo;
use crate::llm::{ChatRequest, ChatResponse, LlmError, LlmModels};

fn compiled() -> Arc<CompiledConfig> {
    static COMPILED: OnceLock<Arc<CompiledConfig>> = OnceLock::new();
    COMPILED
        .get_or_init(|| Arc::new(BotConfig::demo().compile().expect("demo compiles")))
        .clone()
}

fn demo_knowledge() -> Arc<Knowledge> {
    Arc::new(Knowledge::from_kb(&demo()).unwrap())
}

/// Replies the test queued, in order; records every request. Runs out → a server error.
#[derive(Default)]
struct ScriptedModel {
    replies: Mutex<VecDeque<Result<String, ()>>>,
    requests: Mutex<Vec<ChatRequest>>,
    delay: Option<Duration>,
}

impl ScriptedModel {
    fn new(replies: &[Result<&str, ()>]) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.iter().map(|r| r.map(str::to_owned)).collect()),
            ..Self::default()
        })
    }

    fn calls(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[async_trait]
impl crate::llm::ChatModel for ScriptedModel {
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        self.requests.lock().unwrap().push(req);
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        match self.replies.lock().unwrap().pop_front() {
            Some(Ok(content)) => Ok(ChatResponse {
                content,
                finish_reason: Some("stop".into()),
                usage: None,
                model: "scripted".into(),
                generation_id: None,
            }),
            _ => Err(LlmError::Unavailable {
                status: 503,
                message: "scripted outage".into(),
            }),
        }
    }
}

fn stage(model: Arc<ScriptedModel>) -> LlmStage {
    LlmStage {
        model,
        models: LlmModels::default(),
        timeout: Duration::from_millis(500),
        router_trust: 0.9,
    }
}

/// One conversation as the lifecycle would present it to the bot, message after message: the
/// engine over the same simulated conversation `frontline eval dialogs` uses.
struct Dialog {
    bot: EngineBot,
    conv: super::dialogs::SimulatedConversation,
}

impl std::ops::Deref for Dialog {
    type Target = super::dialogs::SimulatedConversation;
    fn deref(&self) -> &Self::Target {
        &self.conv
    }
}

impl std::ops::DerefMut for Dialog {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conv
    }
}

impl Dialog {
    fn new(llm: Option<LlmStage>) -> Self {
        Self {
            bot: EngineBot::new(compiled(), demo_knowledge(), llm),
            conv: super::dialogs::SimulatedConversation::new(
                AccountKind::Api,
                Some("Анна".into()),
                Some("+79161234567".into()),
                Timestamp(1_763_700_000_000),
            ),
        }
    }

    /// The customer writes; the bot decides; its reply, slots and decision are kept as the
    /// lifecycle keeps them.
    async fn say(&mut self, text: &str) -> BotOutcome {
        self.conv.say(&self.bot, text).await
    }
}

fn reply_text(o: &BotOutcome) -> &str {
    match &o.decision {
        BotDecision::Reply { text, .. } => text,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn handoff(o: &BotOutcome) -> (HandoffReason, &HandoffContext, &str) {
    match &o.decision {
        BotDecision::Handoff {
            reason,
            context,
            farewell,
        } => (*reason, context, farewell.as_deref().unwrap_or_default()),
        other => panic!("expected a handoff, got {other:?}"),
    }
}

#[tokio::test]
async fn an_order_status_asks_for_the_number_once_then_hands_over_with_a_full_briefing() {
    let mut d = Dialog::new(None);
    let first = d.say("Здравствуйте, где мой заказ? Жду уже неделю").await;
    assert_eq!(first.trace.action, DecisionAction::AskSlot);
    assert_eq!(first.trace.intent.as_deref(), Some("order_status"));
    assert!(reply_text(&first).contains("номер заказа"), "{first:?}");

    let second = d.say("784512").await;
    let (reason, context, farewell) = handoff(&second);
    assert_eq!(reason, HandoffReason::TopicPolicy);
    assert_eq!(context.intent.as_deref(), Some("order_status"));
    assert_eq!(context.slots["order_number"], "784512");
    assert!(farewell.contains("784512"), "{farewell}");
    let briefing = context.briefing.as_deref().unwrap();
    assert!(briefing.contains("Анна"), "{briefing}");
    assert!(briefing.contains("+7 916 123-45-67"), "{briefing}");
    assert!(briefing.contains("статус заказа"), "{briefing}");
    assert!(
        briefing.contains("Не нужно спрашивать: номер заказа"),
        "{briefing}"
    );
    assert!(
        context.summary.as_deref().unwrap().contains("неделю"),
        "{context:?}"
    );
    assert!(
        second
            .trace
            .note
            .as_deref()
            .unwrap()
            .contains("continues order_status")
    );
}

#[tokio::test]
async fn a_value_given_up_front_or_earlier_is_never_asked_for() {
    let mut d = Dialog::new(None);
    let o = d.say("где мой заказ 445566?").await;
    let (_, context, _) = handoff(&o);
    assert_eq!(context.slots["order_number"], "445566");

    let mut d = Dialog::new(None);
    d.view
        .conversation
        .slots
        .insert("order_number".into(), "100200".into());
    let o = d.say("когда привезут мой заказ").await;
    let (_, context, _) = handoff(&o);
    assert_eq!(context.slots["order_number"], "100200");
}

#[tokio::test]
async fn the_customer_card_counts_as_given() {
    // The demo's balance intent needs a phone; the channel already gave one.
    let mut d = Dialog::new(None);
    let o = d.say("сколько бонусов у меня на счёте?").await;
    let (_, context, farewell) = handoff(&o);
    assert_eq!(context.slots["phone"], "+79161234567");
    assert!(farewell.contains("+79161234567"), "{farewell}");

    // Without it, the bot asks.
    let mut d = Dialog::new(None);
    d.view.customer.phone = None;
    let o = d.say("сколько бонусов у меня на счёте?").await;
    assert_eq!(o.trace.action, DecisionAction::AskSlot, "{o:?}");
    assert!(reply_text(&o).contains("телефона"));
}

#[tokio::test]
async fn a_missing_value_is_asked_again_then_the_bot_gives_up() {
    let mut d = Dialog::new(None);
    assert_eq!(
        d.say("где мой заказ").await.trace.action,
        DecisionAction::AskSlot
    );
    let again = d.say("не помню, посмотрите сами").await;
    assert_eq!(again.trace.action, DecisionAction::AskSlot);
    assert!(reply_text(&again).starts_with("Не нашёл"), "{again:?}");
    let last = d.say("эээ").await;
    let (reason, context, _) = handoff(&last);
    assert_eq!(reason, HandoffReason::RepeatedClarify);
    assert_eq!(context.intent.as_deref(), Some("order_status"));
}

#[tokio::test]
async fn asking_for_a_person_always_wins() {
    for text in [
        "позовите оператора",
        "хочу поговорить с человеком",
        "talk to a person please",
        "где мой заказ 123456, соедините с живым человеком",
    ] {
        let mut d = Dialog::new(None);
        let o = d.say(text).await;
        let (reason, _, _) = handoff(&o);
        assert_eq!(reason, HandoffReason::CustomerAsked, "{text}");
        assert_eq!(o.trace.stage, Some(DecisionStage::Human), "{text}");
    }
}

#[tokio::test]
async fn complaints_and_urgent_cases_go_to_people_with_their_own_words() {
    let mut d = Dialog::new(None);
    let o = d
        .say("Курьер нахамил и опоздал на пять часов, это безобразие")
        .await;
    let (reason, context, farewell) = handoff(&o);
    assert_eq!(reason, HandoffReason::TopicPolicy);
    assert_eq!(context.intent.as_deref(), Some("complaint"));
    assert!(farewell.contains("жаль"), "{farewell}");

    let mut d = Dialog::new(None);
    let o = d.say("Срочно! С карты списали деньги дважды").await;
    let (reason, context, farewell) = handoff(&o);
    assert_eq!(reason, HandoffReason::TopicPolicy);
    assert_eq!(context.intent.as_deref(), Some("urgent"));
    assert!(farewell.contains("срочно"), "{farewell}");
}

#[tokio::test]
async fn faq_questions_are_answered_from_the_knowledge_base() {
    for (text, article) in [
        ("сколько идёт доставка в Казань?", "delivery-times"),
        ("есть ли у вас рассрочка?", "installment"),
        ("как вернуть товар, если не подошёл", "return-policy"),
    ] {
        let mut d = Dialog::new(None);
        let o = d.say(text).await;
        assert_eq!(o.trace.action, DecisionAction::Answer, "{text}: {o:?}");
        assert_eq!(
            o.trace.article_ids,
            vec![article.to_string()],
            "{text}: {o:?}"
        );
        assert!(!reply_text(&o).is_empty());
    }
}

#[tokio::test]
async fn off_topic_falls_back_once_then_hands_over() {
    let mut d = Dialog::new(None);
    let first = d.say("посоветуй хороший рецепт борща").await;
    assert_eq!(first.trace.action, DecisionAction::Fallback, "{first:?}");
    let second = d.say("какая завтра погода в Москве").await;
    let (reason, _, _) = handoff(&second);
    assert_eq!(reason, HandoffReason::LowConfidence);
}

#[tokio::test]
async fn a_message_without_text_gets_a_request_for_words() {
    let mut d = Dialog::new(None);
    let o = d.say("   ").await;
    assert_eq!(o.trace.action, DecisionAction::Clarify);
    assert!(reply_text(&o).contains("вложение"));
}

#[tokio::test]
async fn greetings_get_the_configured_text() {
    let mut d = Dialog::new(None);
    let o = d.say("Добрый день!").await;
    assert_eq!(o.trace.intent.as_deref(), Some("greeting"), "{o:?}");
    assert!(reply_text(&o).contains("Домотека"));
}

#[tokio::test]
async fn the_llm_router_is_asked_only_when_the_cheaper_stages_are_unsure() {
    let routed = |m: &ScriptedModel| {
        m.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.messages[0].content.starts_with("You route"))
            .count()
    };
    // Confident without it: no routing (the one call is the operator's summary).
    let model = ScriptedModel::new(&[Ok("Клиенту дважды списали оплату.")]);
    let mut d = Dialog::new(Some(stage(model.clone())));
    let o = d.say("Срочно! С карты списали деньги дважды").await;
    handoff(&o);
    assert_eq!((routed(&model), model.calls()), (0, 1));

    let model = ScriptedModel::new(&[
        Ok(r#"{"intent":"returns","confidence":0.95}"#),
        Ok(
            r#"{"answer":"Товар можно вернуть в течение 14 дней.","article_ids":["return-policy"],"answerable":true}"#,
        ),
    ]);
    let mut d = Dialog::new(Some(stage(model.clone())));
    let o = d
        .say("купил вчера у вас штуку, она мне разонравилась, что теперь делать")
        .await;
    assert_eq!(
        (routed(&model), model.calls()),
        (1, 2),
        "router, then the grounded answer"
    );
    assert_eq!(o.trace.intent.as_deref(), Some("returns"), "{o:?}");
    assert_eq!(o.trace.stage, Some(DecisionStage::Llm));
    assert_eq!(o.trace.article_ids, vec!["return-policy".to_string()]);
    assert_eq!(reply_text(&o), "Товар можно вернуть в течение 14 дней.");
    let router = &model.requests.lock().unwrap()[0];
    assert!(router.messages[0].content.contains("order_status"));
    assert!(router.messages[1].content.contains("разонравилась"));
}

#[tokio::test]
async fn a_failing_or_slow_llm_never_blocks_the_customer() {
    // Outage: the router fails, the grounded answer is skipped; the bot clarifies or hands off.
    let model = ScriptedModel::new(&[]);
    let mut d = Dialog::new(Some(stage(model.clone())));
    let o = d.say("хм, а вот такой вопрос у меня есть").await;
    assert!(
        o.trace
            .note
            .as_deref()
            .unwrap()
            .contains("llm router failed"),
        "{o:?}"
    );
    match &o.decision {
        BotDecision::Reply { .. } => assert!(
            matches!(
                o.trace.action,
                DecisionAction::Clarify | DecisionAction::Fallback
            ),
            "{o:?}"
        ),
        BotDecision::Handoff { reason, .. } => assert_eq!(*reason, HandoffReason::LlmUnavailable),
        other => panic!("{other:?}"),
    }

    // Too slow: the stage's timeout cuts it off.
    let slow = Arc::new(ScriptedModel {
        delay: Some(Duration::from_secs(5)),
        ..ScriptedModel::default()
    });
    let mut d = Dialog::new(Some(LlmStage {
        timeout: Duration::from_millis(50),
        ..stage(slow)
    }));
    let started = std::time::Instant::now();
    let o = d.say("хм, а вот такой вопрос у меня есть").await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        o.trace
            .note
            .as_deref()
            .unwrap()
            .contains("no answer within"),
        "{o:?}"
    );
}

#[tokio::test]
async fn grounded_answers_cite_given_articles_and_invented_sources_are_discarded() {
    let model = ScriptedModel::new(&[Ok(
        r#"{"answer":"В Казань посылка идёт 2–3 дня.","article_ids":["delivery-times"],"answerable":true}"#,
    )]);
    let mut d = Dialog::new(Some(stage(model.clone())));
    let o = d.say("сколько идёт доставка в Казань?").await;
    assert_eq!(reply_text(&o), "В Казань посылка идёт 2–3 дня.");
    assert_eq!(o.trace.article_ids, vec!["delivery-times".to_string()]);
    assert_eq!(model.calls(), 1);

    let model = ScriptedModel::new(&[Ok(
        r#"{"answer":"Доставка в Казань занимает час.","article_ids":["made-up"],"answerable":true}"#,
    )]);
    let mut d = Dialog::new(Some(stage(model)));
    let o = d.say("сколько идёт доставка в Казань?").await;
    assert_ne!(reply_text(&o), "Доставка в Казань занимает час.");
    assert_eq!(o.trace.article_ids, vec!["delivery-times".to_string()]);
    assert!(
        o.trace.note.as_deref().unwrap().contains("made-up"),
        "{o:?}"
    );
}

#[tokio::test]
async fn the_handoff_summary_comes_from_the_llm_when_it_answers() {
    let model = ScriptedModel::new(&[Ok("Клиент ждёт заказ 784512 неделю.")]);
    let mut d = Dialog::new(Some(stage(model)));
    let o = d.say("позовите оператора, заказ 784512 жду неделю").await;
    let (_, context, _) = handoff(&o);
    assert_eq!(
        context.summary.as_deref(),
        Some("Клиент ждёт заказ 784512 неделю.")
    );
    assert!(
        context
            .briefing
            .as_deref()
            .unwrap()
            .contains("Клиент ждёт заказ 784512 неделю.")
    );

    // The LLM fails: the extractive summary stands in.
    let mut d = Dialog::new(Some(stage(ScriptedModel::new(&[]))));
    let o = d.say("позовите оператора, заказ 784512 жду неделю").await;
    let (_, context, _) = handoff(&o);
    assert!(context.summary.as_deref().unwrap().contains("784512"));
    assert!(
        o.trace
            .note
            .as_deref()
            .unwrap()
            .contains("llm summary failed")
    );
}

#[test]
fn streaks_count_only_the_latest_run() {
    let record = |action| DecisionRecord {
        id: DecisionId(0),
        conversation_id: ConversationId(1),
        message_id: MessageId(1),
        action,
        stage: None,
        intent: Some("order_status".into()),
        confidence: None,
        reason: None,
        article_ids: vec![],
        latency_us: 0,
        note: None,
        trace: None,
        created_at: Timestamp(0),
    };
    use DecisionAction::*;
    let s = Streak::of(&[
        record(Clarify),
        record(Answer),
        record(Clarify),
        record(AskSlot),
    ]);
    assert_eq!((s.clarify, s.fallback), (2, 0));
    assert_eq!(s.awaiting.as_deref(), Some("order_status"));
    let s = Streak::of(&[record(Fallback), record(Fallback)]);
    assert_eq!((s.clarify, s.fallback, s.awaiting), (0, 2, None));
    let s = Streak::of(&[record(Clarify), record(Fallback)]);
    assert_eq!((s.clarify, s.fallback), (0, 1));
}

/// The default workflow as the worker hands it over: version 1, no integrations.
fn default_workflow() -> frontline_lifecycle::WorkflowInput {
    frontline_lifecycle::WorkflowInput {
        workflow_id: frontline_domain::WorkflowId(1),
        version: 1,
        document: flows::DEFAULT_WORKFLOW_JSON.to_owned(),
        state: None,
        integrations: Vec::new(),
    }
}

#[tokio::test]
async fn a_workflow_runs_from_its_input_alone_and_says_where_it_waits() {
    let mut d = Dialog::new(None);
    d.workflow = Some(default_workflow());
    let asked = d.say("Где мой заказ?").await;
    assert_eq!(asked.trace.stage, Some(DecisionStage::Workflow));
    match &asked.flow {
        FlowChange::Save {
            workflow_id,
            version,
            state,
        } => {
            assert_eq!((workflow_id.0, *version), (1, 1));
            assert!(
                state.contains("order"),
                "the state names where it waits: {state}"
            );
        }
        other => panic!("a waiting workflow saves its state, got {other:?}"),
    }
    // The person wins over the workflow, and the workflow starts over next time.
    let human = d.say("позовите оператора").await;
    assert!(matches!(
        human.decision,
        BotDecision::Handoff {
            reason: HandoffReason::CustomerAsked,
            ..
        }
    ));
    assert_eq!(human.flow, FlowChange::Clear);
    assert_eq!(d.workflow.as_ref().unwrap().state, None);
}

#[tokio::test]
async fn without_a_workflow_the_cascade_leaves_flow_state_alone() {
    let mut d = Dialog::new(None);
    let out = d.say("позовите оператора").await;
    assert_eq!(out.flow, FlowChange::Keep);
}

// Issue 15's failure classes.

#[tokio::test]
async fn upset_customers_reach_a_person_without_trigger_words() {
    for (text, why) in [
        (
            "ну сколько можно, третий раз пишу и никто не отвечает",
            "ответа не получил",
        ),
        (
            "мне привезли разбитую вазу, курьер даже не извинился",
            "повреждённым",
        ),
        ("нужно как можно скорее, я сегодня вечером уезжаю", "срочно"),
        ("this is ridiculous, still no reply from you", "раздражён"),
        ("the lamp arrived smashed", "повреждённым"),
    ] {
        let mut d = Dialog::new(None);
        let o = d.say(text).await;
        let (reason, context, farewell) = handoff(&o);
        // A complaint the classifier recognises keeps its own topic (and words); the briefing
        // says why either way.
        assert!(
            reason == HandoffReason::CustomerUpset
                || (reason == HandoffReason::TopicPolicy
                    && matches!(context.intent.as_deref(), Some("complaint" | "urgent"))),
            "{text}: {o:?}"
        );
        let briefing = context.briefing.as_deref().unwrap_or_default();
        assert!(briefing.contains(why), "{text}: {briefing}");
        assert!(!farewell.is_empty());
    }
}

#[tokio::test]
async fn the_same_question_again_reaches_a_person() {
    let mut d = Dialog::new(None);
    let first = d
        .say("подскажите пожалуйста про сроки доставки в Казань")
        .await;
    assert_eq!(first.trace.action, DecisionAction::Answer, "{first:?}");
    let again = d.say("подскажите пожалуйста сроки доставки в Казань").await;
    let (reason, context, _) = handoff(&again);
    assert_eq!(reason, HandoffReason::CustomerUpset);
    assert!(
        context
            .briefing
            .as_deref()
            .unwrap_or_default()
            .contains("повторяет вопрос"),
        "{context:?}"
    );
}

#[tokio::test]
async fn an_upset_customer_leaves_the_workflow_too() {
    let mut d = Dialog::new(None);
    d.workflow = Some(default_workflow());
    let o = d.say("да вы издеваетесь, где мой заказ!!!").await;
    let (reason, _, _) = handoff(&o);
    assert_eq!(reason, HandoffReason::CustomerUpset, "{o:?}");
    assert_eq!(o.flow, FlowChange::Clear);
}

#[tokio::test]
async fn a_second_fallback_is_worded_differently_or_ends_politely() {
    // Default: a person takes over the second time.
    let mut d = Dialog::new(None);
    let first = d.say("расскажи анекдот про программистов").await;
    assert_eq!(first.trace.action, DecisionAction::Fallback);
    let (reason, _, _) = handoff(&d.say("ну а стихи умеешь писать?").await);
    assert_eq!(reason, HandoffReason::LowConfidence);

    // Configured to end: the second fallback is not the first one's words.
    let mut config = BotConfig::demo();
    config.after_fallbacks = config::AfterFallbacks::End;
    let mut d = Dialog::new(None);
    d.bot = EngineBot::new(Arc::new(config.compile().unwrap()), demo_knowledge(), None);
    let first = d.say("what is the weather like in Paris").await;
    let second = d.say("tell me a joke").await;
    assert_eq!(first.trace.action, DecisionAction::Fallback, "{first:?}");
    assert_eq!(second.trace.action, DecisionAction::Fallback, "{second:?}");
    assert_ne!(reply_text(&first), reply_text(&second));
}

#[tokio::test]
async fn the_workflows_fallback_is_recorded_as_one() {
    let mut d = Dialog::new(None);
    d.workflow = Some(default_workflow());
    let first = d.say("посоветуй фильм на вечер").await;
    assert_eq!(first.trace.action, DecisionAction::Fallback, "{first:?}");
    assert_eq!(first.trace.stage, Some(DecisionStage::Workflow));
    let (reason, _, _) = handoff(&d.say("кто выиграл чемпионат мира по футболу").await);
    assert_eq!(reason, HandoffReason::LowConfidence);
}

#[tokio::test]
async fn an_order_number_that_does_not_parse_is_asked_once_more_with_the_phone_offered() {
    let mut d = Dialog::new(None);
    d.view.customer.phone = None;
    assert_eq!(
        d.say("где мой заказ").await.trace.action,
        DecisionAction::AskSlot
    );
    let again = d.say("12").await;
    assert_eq!(again.trace.action, DecisionAction::AskSlot);
    let text = reply_text(&again);
    assert!(
        text.contains("Не нашёл заказа") && text.contains("телефон"),
        "{text}"
    );
    let last = d.say("ой не знаю").await;
    let (reason, context, _) = handoff(&last);
    assert_eq!(reason, HandoffReason::RepeatedClarify);
    assert_eq!(context.intent.as_deref(), Some("order_status"));
}

#[tokio::test]
async fn a_follow_up_question_stays_in_the_topic() {
    for (first, follow) in [
        ("сколько идёт доставка в Казань?", "а сколько стоит?"),
        ("are you open today?", "and tomorrow?"),
        ("как вернуть товар, если не подошёл", "а сроки какие"),
    ] {
        let mut d = Dialog::new(None);
        let o = d.say(first).await;
        assert_eq!(o.trace.action, DecisionAction::Answer, "{first}: {o:?}");
        let intent = o.trace.intent.clone();
        let next = d.say(follow).await;
        assert_eq!(
            next.trace.action,
            DecisionAction::Answer,
            "{follow}: {next:?}"
        );
        assert_eq!(next.trace.intent, intent, "{follow}: {next:?}");
        assert!(
            next.trace
                .note
                .as_deref()
                .unwrap_or_default()
                .contains("follow-up"),
            "{next:?}"
        );
    }
    // Without a previous answer the same words are not taken as anything in particular.
    let mut d = Dialog::new(None);
    let alone = d.say("а сколько стоит?").await;
    assert_ne!(alone.trace.action, DecisionAction::Answer, "{alone:?}");
}

#[tokio::test]
async fn schedule_questions_are_answered_from_the_configured_hours() {
    // The dialog's clock: 2025-11-21 (a Friday) about 07:40 in Moscow.
    let mut d = Dialog::new(None);
    let o = d.say("до скольки вы сегодня работаете").await;
    assert_eq!(
        reply_text(&o),
        "Сегодня, пятница, мы работаем 10:00–22:00. Откроемся в 10:00."
    );
    assert!(
        o.trace
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("schedule")
    );
    let mut d = Dialog::new(None);
    let o = d.say("are you open on january 1?").await;
    assert_eq!(
        reply_text(&o),
        "On Thursday, January 1, we are closed (Новый год)."
    );
    // The workflow hands schedule questions to the same answer.
    let mut d = Dialog::new(None);
    d.workflow = Some(default_workflow());
    let o = d.say("в субботу во сколько открываетесь?").await;
    assert_eq!(
        reply_text(&o),
        "В субботу, 22 ноября, мы работаем 10:00–22:00."
    );
}
