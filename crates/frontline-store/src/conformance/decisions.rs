//! Conformance checks: bot turns (applied all or nothing) and their recorded decisions.

use super::*;

/// A decision with every optional field empty.
pub fn decision(
    conversation: ConversationId,
    message: MessageId,
    action: DecisionAction,
) -> NewDecisionRecord {
    NewDecisionRecord {
        conversation_id: conversation,
        message_id: message,
        action,
        stage: None,
        intent: None,
        confidence: None,
        reason: None,
        article_ids: Vec::new(),
        latency_us: 0,
        note: None,
        trace: None,
    }
}

/// The bot job of a fresh customer message in `conversation`, as a worker would hold it.
pub async fn bot_job(
    store: &dyn Store,
    conversation: ConversationId,
    text: &str,
) -> (Message, JobId) {
    let v = view(store, conversation).await;
    let n = store
        .list_messages(conversation, None, 10_000)
        .await
        .unwrap()
        .len();
    let got = ingest(
        store,
        v.conversation.account_id,
        &v.conversation.external_chat_id,
        &format!("turn-{}-{n}", conversation.0),
        text,
    )
    .await;
    assert!(got.bot_job, "a bot-led conversation queues a bot job");
    let jobs = store
        .claim_jobs(JobKind::Bot, Timestamp::now(), secs(60), 10_000)
        .await
        .unwrap();
    let job = jobs
        .iter()
        .find(|j| j.message_id == got.message.id)
        .expect("the new message's bot job")
        .id;
    (got.message, job)
}

/// A turn that only records `decision`.
pub fn quiet_turn(job: JobId, decision: NewDecisionRecord) -> BotTurn {
    BotTurn {
        job,
        decision,
        learned: None,
        reply: None,
        handoff: None,
        flow: FlowChange::Keep,
    }
}

/// Record a decision the way the bot does: as a turn of a fresh bot job that changes nothing else.
async fn record(store: &dyn Store, new: NewDecisionRecord) -> DecisionRecord {
    let (_, job) = bot_job(store, new.conversation_id, "ещё вопрос").await;
    store
        .apply_bot_turn(quiet_turn(job, new))
        .await
        .unwrap()
        .decision
}

/// `new` as the store should give it back.
fn assert_recorded(new: &NewDecisionRecord, got: &DecisionRecord) {
    let expected = DecisionRecord {
        id: got.id,
        conversation_id: new.conversation_id,
        message_id: new.message_id,
        action: new.action,
        stage: new.stage,
        intent: new.intent.clone(),
        confidence: new.confidence,
        reason: new.reason,
        article_ids: new.article_ids.clone(),
        latency_us: new.latency_us,
        note: new.note.clone(),
        trace: new.trace.clone(),
        created_at: got.created_at,
    };
    assert_eq!(got, &expected);
}

pub async fn decisions_round_trip_and_list(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let first = ingest(&*store, acc.id, "chat", "m1", "где мой заказ?").await;
    let other = ingest(&*store, acc.id, "other", "o1", "привет").await;
    let conv = first.conversation.id;

    let full = NewDecisionRecord {
        conversation_id: conv,
        message_id: first.message.id,
        action: DecisionAction::Handoff,
        stage: Some(DecisionStage::Llm),
        intent: Some("order_status".into()),
        // Not a short decimal: a lossy round trip (text, f64 rounding) would show.
        confidence: Some(0.823_456_7),
        reason: Some(HandoffReason::LowConfidence),
        article_ids: vec!["z-last".into(), "a-first".into(), "middle".into()],
        latency_us: 12_345_678,
        note: Some("llm timed out".into()),
        trace: Some(r#"[{"node_id":"ask","micros":12}]"#.into()),
    };
    let before = Timestamp::now();
    let seq = latest_seq(&*store).await;
    let a = store
        .apply_bot_turn(quiet_turn(first_job(&*store, conv).await, full.clone()))
        .await
        .unwrap()
        .decision;
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "a turn that only decides appends no events"
    );
    assert_recorded(&full, &a);
    assert!(a.created_at >= before && a.created_at <= Timestamp::now());
    assert_eq!(a.confidence, Some(0.823_456_7_f32));
    assert_eq!(a.article_ids, ["z-last", "a-first", "middle"]);

    let empty = decision(conv, first.message.id, DecisionAction::Answer);
    let b = record(&*store, empty.clone()).await;
    assert_recorded(&empty, &b);
    assert!(b.id > a.id, "ids increase with insertion");
    let zero = NewDecisionRecord {
        confidence: Some(0.0),
        stage: Some(DecisionStage::Timeout),
        ..decision(conv, first.message.id, DecisionAction::Ignore)
    };
    let c = record(&*store, zero.clone()).await;
    assert_recorded(&zero, &c);

    assert_eq!(
        store.list_decisions(conv, 10).await.unwrap(),
        vec![a.clone(), b.clone(), c.clone()],
        "read back as recorded, oldest first"
    );
    assert!(
        store
            .list_decisions(other.conversation.id, 10)
            .await
            .unwrap()
            .is_empty(),
        "another conversation's decisions are not listed"
    );

    // The newest `limit`, returned oldest first.
    let mut recorded = vec![a, b, c];
    for i in 0..4 {
        let new = NewDecisionRecord {
            latency_us: i,
            ..decision(conv, first.message.id, DecisionAction::Clarify)
        };
        recorded.push(record(&*store, new).await);
    }
    assert_eq!(
        store.list_decisions(conv, 3).await.unwrap(),
        recorded[4..].to_vec()
    );
    assert_eq!(
        store.list_decisions(conv, 1).await.unwrap(),
        recorded[6..].to_vec()
    );
    assert_eq!(store.list_decisions(conv, 100).await.unwrap(), recorded);
    assert!(store.list_decisions(conv, 0).await.unwrap().is_empty());

    // A decision for a conversation or message that does not exist rolls the whole turn back:
    // the job that carried it is still there to run again.
    let unknown = ConversationId(987_654);
    let (_, job) = bot_job(&*store, other.conversation.id, "ещё").await;
    assert_not_found_named(
        "record into an unknown conversation",
        "conversation",
        store
            .apply_bot_turn(quiet_turn(
                job,
                decision(unknown, first.message.id, DecisionAction::Answer),
            ))
            .await,
    );
    assert_not_found(
        "record for an unknown message",
        store
            .apply_bot_turn(quiet_turn(
                job,
                decision(conv, MessageId(987_654), DecisionAction::Answer),
            ))
            .await,
    );
    assert_not_found_named(
        "list an unknown conversation",
        "conversation",
        store.list_decisions(unknown, 10).await,
    );
    assert_eq!(store.list_decisions(conv, 100).await.unwrap(), recorded);
    assert!(
        store
            .apply_bot_turn(quiet_turn(
                job,
                decision(
                    other.conversation.id,
                    other.message.id,
                    DecisionAction::Answer
                ),
            ))
            .await
            .is_ok(),
        "the job survived both failed turns"
    );
}

/// The bot job of the first message of a conversation (queued by its ingest).
async fn first_job(store: &dyn Store, conversation: ConversationId) -> JobId {
    let jobs = store
        .claim_jobs(JobKind::Bot, Timestamp::now(), secs(60), 10_000)
        .await
        .unwrap();
    jobs.iter()
        .find(|j| j.conversation_id == conversation)
        .expect("the conversation's bot job")
        .id
}

pub async fn decision_counts_group_order_and_since(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let one = ingest(&*store, acc.id, "one", "m1", "раз").await;
    let two = ingest(&*store, acc.id, "two", "m2", "два").await;
    let record = |conv: &Ingested, intent: Option<&str>, action: DecisionAction| {
        let new = NewDecisionRecord {
            intent: intent.map(str::to_owned),
            ..decision(conv.conversation.id, conv.message.id, action)
        };
        let store = store.clone();
        async move { record(&*store, new).await }
    };
    assert!(
        store
            .decision_counts(Timestamp(0))
            .await
            .unwrap()
            .is_empty()
    );

    // Before the bound: not counted.
    let old = record(&one, Some("order_status"), DecisionAction::Answer).await;
    record(&two, Some("refund"), DecisionAction::Clarify).await;
    tick().await;

    // The first decision at the bound counts (the bound is inclusive); it is alone in its group.
    let at_bound = record(&two, Some("delivery_time"), DecisionAction::Answer).await;
    assert!(at_bound.created_at > old.created_at);
    let since = at_bound.created_at;
    // Recorded in an order that is neither the result's nor grouped.
    record(&one, Some("order_status"), DecisionAction::Answer).await;
    record(&one, None, DecisionAction::Handoff).await;
    record(&two, Some("order_status"), DecisionAction::AskSlot).await;
    record(&two, Some("order_status"), DecisionAction::Answer).await;
    record(&one, None, DecisionAction::Fallback).await;
    record(&two, None, DecisionAction::Handoff).await;
    record(&one, Some("order_status"), DecisionAction::Answer).await;

    let count = |intent: Option<&str>, action, count| DecisionCount {
        intent: intent.map(str::to_owned),
        action,
        count,
    };
    // No intent first; actions by name, so `fallback` before `handoff` and `answer` before
    // `ask_slot`.
    assert_eq!(
        store.decision_counts(since).await.unwrap(),
        vec![
            count(None, DecisionAction::Fallback, 1),
            count(None, DecisionAction::Handoff, 2),
            count(Some("delivery_time"), DecisionAction::Answer, 1),
            count(Some("order_status"), DecisionAction::Answer, 3),
            count(Some("order_status"), DecisionAction::AskSlot, 1),
        ]
    );
    assert_eq!(
        store.decision_counts(Timestamp(0)).await.unwrap(),
        vec![
            count(None, DecisionAction::Fallback, 1),
            count(None, DecisionAction::Handoff, 2),
            count(Some("delivery_time"), DecisionAction::Answer, 1),
            count(Some("order_status"), DecisionAction::Answer, 4),
            count(Some("order_status"), DecisionAction::AskSlot, 1),
            count(Some("refund"), DecisionAction::Clarify, 1),
        ]
    );
    assert!(
        store
            .decision_counts(Timestamp::now().plus(secs(60)))
            .await
            .unwrap()
            .is_empty()
    );
}

/// A published workflow with a trivial document, for flow states to refer to.
async fn some_workflow(store: &dyn Store) -> WorkflowId {
    let w = store
        .create_workflow(workflow_draft(
            "w",
            r#"{"version":1,"nodes":[],"edges":[]}"#,
        ))
        .await
        .unwrap();
    store.publish_workflow(w.id, None, None).await.unwrap();
    w.id
}

fn answered(conversation: ConversationId, message: MessageId) -> NewDecisionRecord {
    NewDecisionRecord {
        stage: Some(DecisionStage::Workflow),
        intent: Some("order_status".into()),
        confidence: Some(0.9),
        ..decision(conversation, message, DecisionAction::AskSlot)
    }
}

pub async fn bot_turn_applies_everything_in_order(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let got = ingest(&*store, acc.id, "chat", "m1", "где мой заказ?").await;
    let conv = got.conversation.id;
    let wf = some_workflow(&*store).await;
    let job = first_job(&*store, conv).await;
    let seq = latest_seq(&*store).await;

    let applied = store
        .apply_bot_turn(BotTurn {
            job,
            decision: answered(conv, got.message.id),
            learned: Some(Learned {
                intent: Some("order_status".into()),
                slots: Slots::from([("phone".into(), "+79990001122".into())]),
            }),
            reply: Some("Подскажите номер заказа.".into()),
            handoff: None,
            flow: FlowChange::Save {
                workflow_id: wf,
                version: 1,
                state: r#"{"at":"ask"}"#.into(),
            },
        })
        .await
        .unwrap();

    assert!(!applied.overtaken);
    assert!(applied.handoff.is_none());
    let reply = applied.reply.expect("the reply is queued");
    assert_eq!(reply.author, Author::Bot);
    assert_eq!(reply.direction, Direction::Out);
    assert_eq!(reply.status, DeliveryStatus::Queued);
    assert_eq!(reply.text, "Подскажите номер заказа.");
    assert_eq!(applied.conversation.intent.as_deref(), Some("order_status"));
    assert_eq!(applied.conversation.slots["phone"], "+79990001122");
    assert_eq!(applied.conversation.lead, Lead::Bot);
    assert_eq!(
        applied
            .conversation
            .last_message
            .as_ref()
            .map(|m| m.message_id),
        Some(reply.id)
    );

    let v = view(&*store, conv).await;
    assert_eq!(v.conversation, applied.conversation, "as stored");
    assert_eq!(
        store.list_decisions(conv, 10).await.unwrap(),
        vec![applied.decision.clone()]
    );
    assert_eq!(
        store.count_jobs(JobKind::Bot).await.unwrap(),
        0,
        "the bot job is finished"
    );
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        1,
        "the reply's delivery job"
    );
    let state = store
        .flow_state(conv)
        .await
        .unwrap()
        .expect("flow state saved");
    assert_eq!((state.workflow_id, state.version), (wf, 1));
    assert_eq!(state.state, r#"{"at":"ask"}"#);

    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        [
            EventKind::ConversationUpdated,
            EventKind::MessageCreated,
            EventKind::ConversationUpdated,
        ]
    );
    assert_eq!(events[1].message_id, Some(reply.id));
    assert!(events.iter().all(|e| e.conversation_id == conv));
}

pub async fn bot_turn_hands_off_after_its_farewell(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let got = ingest(&*store, acc.id, "chat", "m1", "у меня сломался заказ").await;
    let conv = got.conversation.id;
    let wf = some_workflow(&*store).await;
    store
        .save_flow_state(flow(conv, wf, 1, r#"{"at":"ask"}"#))
        .await
        .unwrap();
    let job = first_job(&*store, conv).await;
    let seq = latest_seq(&*store).await;
    let context = HandoffContext {
        intent: Some("complaint".into()),
        summary: Some("товар пришёл сломанным".into()),
        slots: Slots::from([("order_number".into(), "123456".into())]),
        briefing: Some("Переключаю клиента".into()),
    };

    let applied = store
        .apply_bot_turn(BotTurn {
            job,
            decision: NewDecisionRecord {
                reason: Some(HandoffReason::TopicPolicy),
                ..decision(conv, got.message.id, DecisionAction::Handoff)
            },
            learned: Some(Learned {
                intent: context.intent.clone(),
                slots: context.slots.clone(),
            }),
            reply: Some("Передаю ваш вопрос специалисту.".into()),
            handoff: Some((HandoffReason::TopicPolicy, context.clone())),
            flow: FlowChange::Clear,
        })
        .await
        .unwrap();

    let handoff = applied.handoff.expect("handed off");
    assert_eq!((handoff.from, handoff.to), (Lead::Bot, Lead::Operator));
    assert_eq!(handoff.reason, HandoffReason::TopicPolicy);
    assert_eq!(handoff.actor, Author::Bot);
    assert_eq!(handoff.context, context);
    assert_eq!(applied.conversation.lead, Lead::Operator);
    assert_eq!(store.handoffs(conv).await.unwrap(), vec![handoff.clone()]);
    let farewell = applied
        .reply
        .expect("the farewell is queued before the handoff");
    assert_eq!(farewell.author, Author::Bot);
    assert!(
        store.flow_state(conv).await.unwrap().is_none(),
        "flow state cleared"
    );
    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        [
            EventKind::ConversationUpdated,
            EventKind::MessageCreated,
            EventKind::ConversationUpdated,
            EventKind::LeadChanged,
        ]
    );
    assert_eq!(events[3].handoff_id, Some(handoff.id));
}

pub async fn bot_turn_is_all_or_nothing(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let got = ingest(&*store, acc.id, "chat", "m1", "где мой заказ?").await;
    let conv = got.conversation.id;
    let job = first_job(&*store, conv).await;
    let before = view(&*store, conv).await;
    let seq = latest_seq(&*store).await;
    let turn = |flow| BotTurn {
        job,
        decision: answered(conv, got.message.id),
        learned: Some(Learned {
            intent: Some("order_status".into()),
            slots: Slots::from([("order_number".into(), "123456".into())]),
        }),
        reply: Some("Передаю оператору.".into()),
        handoff: Some((HandoffReason::LowConfidence, HandoffContext::default())),
        flow,
    };

    // Its last step fails (the workflow does not exist): everything before it is rolled back.
    let unknown = FlowChange::Save {
        workflow_id: WorkflowId(987_654),
        version: 1,
        state: "{}".into(),
    };
    assert_not_found_named(
        "a turn whose flow state names an unknown workflow",
        "workflow",
        store.apply_bot_turn(turn(unknown)).await,
    );
    assert_eq!(view(&*store, conv).await, before, "conversation untouched");
    assert!(
        store.list_decisions(conv, 10).await.unwrap().is_empty(),
        "no decision"
    );
    assert!(store.handoffs(conv).await.unwrap().is_empty(), "no handoff");
    assert_eq!(
        store.list_messages(conv, None, 10).await.unwrap(),
        vec![got.message.clone()],
        "no reply"
    );
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        0,
        "no delivery job"
    );
    assert_eq!(
        store.count_jobs(JobKind::Bot).await.unwrap(),
        1,
        "the bot job is still there"
    );
    assert_eq!(latest_seq(&*store).await, seq, "no events");
    assert!(store.flow_state(conv).await.unwrap().is_none());

    // The same turn with a valid flow change applies whole.
    let applied = store.apply_bot_turn(turn(FlowChange::Clear)).await.unwrap();
    assert!(applied.reply.is_some() && applied.handoff.is_some());
    assert_eq!(store.list_decisions(conv, 10).await.unwrap().len(), 1);
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
}

pub async fn bot_turn_of_a_finished_job_conflicts(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let got = ingest(&*store, acc.id, "chat", "m1", "привет").await;
    let conv = got.conversation.id;
    let job = first_job(&*store, conv).await;
    let turn = BotTurn {
        reply: Some("Здравствуйте!".into()),
        ..quiet_turn(job, decision(conv, got.message.id, DecisionAction::Answer))
    };
    store.apply_bot_turn(turn.clone()).await.unwrap();
    let seq = latest_seq(&*store).await;

    // A second worker that claimed the job after the first one's lease ran out finishes late.
    assert_conflict(
        "the same job applied twice",
        store.apply_bot_turn(turn).await,
    );
    assert_eq!(
        store.list_decisions(conv, 10).await.unwrap().len(),
        1,
        "one decision"
    );
    assert_eq!(
        store.list_messages(conv, None, 10).await.unwrap().len(),
        2,
        "one reply"
    );
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 1);
    assert_eq!(latest_seq(&*store).await, seq, "no events");
}

pub async fn bot_turn_after_a_takeover_keeps_the_decision_drops_the_words(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let op = operator(&*store, "olga", Role::Operator).await;
    let got = ingest(&*store, acc.id, "chat", "m1", "где мой заказ?").await;
    let conv = got.conversation.id;
    let job = first_job(&*store, conv).await;
    // An operator takes over while the bot is thinking.
    store
        .change_lead(LeadChange {
            conversation_id: conv,
            to: Lead::Operator,
            reason: HandoffReason::Manual,
            actor: Author::Operator(op.id),
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;

    let applied = store
        .apply_bot_turn(BotTurn {
            job,
            decision: answered(conv, got.message.id),
            learned: Some(Learned {
                intent: Some("order_status".into()),
                slots: Slots::new(),
            }),
            reply: Some("Подскажите номер заказа.".into()),
            handoff: Some((HandoffReason::LowConfidence, HandoffContext::default())),
            flow: FlowChange::Keep,
        })
        .await
        .unwrap();
    assert!(applied.overtaken);
    assert!(applied.reply.is_none() && applied.handoff.is_none());
    assert_eq!(applied.conversation.intent.as_deref(), Some("order_status"));
    assert_eq!(store.list_decisions(conv, 10).await.unwrap().len(), 1);
    assert_eq!(
        store.handoffs(conv).await.unwrap().len(),
        1,
        "only the operator's"
    );
    assert_eq!(store.list_messages(conv, None, 10).await.unwrap().len(), 1);
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 0);
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        [EventKind::ConversationUpdated],
        "only what it learned"
    );
}
