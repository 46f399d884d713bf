//! Conformance checks: channel deliveries, external ids, replies from the channel's own app, and media.

use super::*;

pub async fn channel_deliveries_lease_retry_and_finish(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    assert_eq!(store.count_channel_deliveries().await.unwrap(), 0);
    assert_eq!(store.next_channel_delivery_at().await.unwrap(), None);
    assert_not_found_named(
        "a delivery for an unknown account",
        "account",
        store.save_channel_delivery(AccountId(987_654), "{}").await,
    );
    let seq = latest_seq(&*store).await;

    let body = r#"{"id":"e1","payload":{"value":{"content":{"text":"Привет \"там\""}}}}"#;
    let before = Timestamp::now();
    let saved = store.save_channel_delivery(acc.id, body).await.unwrap();
    let after = Timestamp::now();
    assert_eq!(saved.account_id, acc.id);
    assert_eq!(saved.body, body, "kept byte for byte");
    assert_eq!(saved.attempts, 0);
    assert_eq!(saved.last_error, None);
    assert!(before <= saved.received_at && saved.received_at <= after);
    assert_eq!(store.count_channel_deliveries().await.unwrap(), 1);
    let due = store
        .next_channel_delivery_at()
        .await
        .unwrap()
        .expect("due");
    assert!(before <= due && due <= after, "due at once");
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "deliveries append no events"
    );

    let now = Timestamp::now().plus(secs(1));
    let lease = secs(30);
    let claimed = store
        .claim_channel_deliveries(now, lease, 10)
        .await
        .unwrap();
    assert_eq!(
        claimed,
        vec![ChannelDelivery {
            attempts: 1,
            ..saved.clone()
        }],
        "the claim counts as an attempt"
    );

    // Leased: nobody else gets it until the lease expires.
    assert!(
        store
            .claim_channel_deliveries(now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .claim_channel_deliveries(now.plus(secs(29)), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.next_channel_delivery_at().await.unwrap(),
        Some(now.plus(lease))
    );
    assert_eq!(
        store.count_channel_deliveries().await.unwrap(),
        1,
        "a leased delivery is still pending"
    );

    // A crashed worker's delivery comes back after the lease.
    let later = now.plus(lease).plus(Duration::from_millis(1));
    let again = store
        .claim_channel_deliveries(later, lease, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, saved.id);
    assert_eq!(again[0].attempts, 2);

    // Released for a later run, with its error kept.
    let run_at = later.plus(secs(60));
    store
        .retry_channel_delivery(saved.id, run_at, "avito 503")
        .await
        .unwrap();
    assert_eq!(
        store.next_channel_delivery_at().await.unwrap(),
        Some(run_at)
    );
    assert!(
        store
            .claim_channel_deliveries(run_at.minus(Duration::from_millis(1)), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due before run_at"
    );
    let third = store
        .claim_channel_deliveries(run_at, lease, 10)
        .await
        .unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].attempts, 3);
    assert_eq!(third[0].last_error.as_deref(), Some("avito 503"));
    assert_eq!(third[0].body, body);
    assert_eq!(third[0].received_at, saved.received_at);

    store.finish_channel_delivery(saved.id).await.unwrap();
    assert_eq!(store.count_channel_deliveries().await.unwrap(), 0);
    assert_eq!(store.next_channel_delivery_at().await.unwrap(), None);
    assert!(
        store
            .claim_channel_deliveries(run_at.plus(secs(3600)), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .finish_channel_delivery(saved.id)
        .await
        .expect("finishing twice is harmless");
    assert_not_found_named(
        "retry a finished delivery",
        "channel delivery",
        store.retry_channel_delivery(saved.id, run_at, "late").await,
    );
    assert_eq!(store.count_channel_deliveries().await.unwrap(), 0);

    // A finished delivery's id is never handed out again.
    let next = store.save_channel_delivery(acc.id, "{}").await.unwrap();
    assert!(next.id > saved.id);
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "deliveries append no events"
    );
}

pub async fn channel_deliveries_limit_order_and_accounts(store: Arc<dyn Store>) {
    let a = account(&*store, "a").await;
    let b = account(&*store, "b").await;
    let mut saved = Vec::new();
    for i in 0..5 {
        let acc = if i % 2 == 0 { a.id } else { b.id };
        saved.push(
            store
                .save_channel_delivery(acc, &format!("{{\"n\":{i}}}"))
                .await
                .unwrap(),
        );
    }
    assert!(saved.windows(2).all(|w| w[0].id < w[1].id), "ids increase");
    assert_eq!(store.count_channel_deliveries().await.unwrap(), 5);
    let now = Timestamp::now().plus(secs(1));
    assert!(
        store
            .claim_channel_deliveries(now, secs(30), 0)
            .await
            .unwrap()
            .is_empty(),
        "limit 0 claims nothing"
    );

    // Due at times in no particular order (retried at different times): oldest first still means
    // by id, whatever the due times.
    for (d, early_ms) in saved.iter().zip([3, 1, 4, 0, 2]) {
        store
            .retry_channel_delivery(d.id, now.minus(Duration::from_millis(early_ms)), "boom")
            .await
            .unwrap();
    }
    let ids = |claimed: &[ChannelDelivery]| claimed.iter().map(|d| d.id).collect::<Vec<_>>();
    let first = store
        .claim_channel_deliveries(now, secs(30), 1)
        .await
        .unwrap();
    assert_eq!(ids(&first), vec![saved[0].id], "oldest first");
    let two = store
        .claim_channel_deliveries(now, secs(30), 2)
        .await
        .unwrap();
    assert_eq!(ids(&two), vec![saved[1].id, saved[2].id], "oldest first");
    assert_eq!(two[0].attempts, 1);
    assert_eq!(two[0].last_error.as_deref(), Some("boom"));
    assert_eq!(two[0].account_id, b.id);
    let rest = store
        .claim_channel_deliveries(now, secs(30), 10)
        .await
        .unwrap();
    assert_eq!(ids(&rest), ids(&saved[3..]));
    assert_eq!(
        rest.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(),
        vec![r#"{"n":3}"#, r#"{"n":4}"#]
    );
    assert_eq!(store.count_channel_deliveries().await.unwrap(), 5);

    // An account without conversations may still be deleted: its pending deliveries go with it.
    store.delete_account(b.id).await.unwrap();
    assert_eq!(store.count_channel_deliveries().await.unwrap(), 3);
    let later = now.plus(secs(3600));
    let left = store
        .claim_channel_deliveries(later, secs(30), 10)
        .await
        .unwrap();
    assert!(left.iter().all(|d| d.account_id == a.id));
    assert_eq!(left.len(), 3);
}

pub async fn concurrent_delivery_claims_never_share_a_delivery(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    const DELIVERIES: usize = 40;
    for i in 0..DELIVERIES {
        store
            .save_channel_delivery(acc.id, &format!("{i}"))
            .await
            .unwrap();
    }
    let now = Timestamp::now().plus(secs(1));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_channel_deliveries(now, secs(60), 3)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|d| d.id));
                assert!(
                    mine.len() <= DELIVERIES,
                    "more claims than deliveries: leases are not respected"
                );
                tokio::task::yield_now().await;
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a delivery was handed out twice");
    assert_eq!(all.len(), DELIVERIES, "every delivery was claimed");
}

/// A bot-led conversation on `acc` with its inbound message and one queued outbound bot message.
async fn conversation_with_reply(
    store: &dyn Store,
    acc: AccountId,
    chat: &str,
) -> (Ingested, Message) {
    let got = ingest(store, acc, chat, &format!("{chat}-in"), "вопрос").await;
    let reply = store
        .enqueue_outbound(outbound(
            got.conversation.id,
            Author::Bot,
            "длинный ответ бота",
        ))
        .await
        .unwrap()
        .message;
    (got, reply)
}

pub async fn external_sends_are_idempotent_and_exclusive(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    let (got, m1) = conversation_with_reply(&*store, acc.id, "chat").await;
    let m2 = store
        .enqueue_outbound(outbound(got.conversation.id, Author::Bot, "ещё"))
        .await
        .unwrap()
        .message;
    assert_eq!(store.external_sends(m1.id).await.unwrap(), vec![]);
    let seq = latest_seq(&*store).await;

    // Parts in any order, listed by part.
    store.record_external_send(m1.id, 1, "ext-b").await.unwrap();
    store.record_external_send(m1.id, 0, "ext-a").await.unwrap();
    store.record_external_send(m1.id, 2, "ext-c").await.unwrap();
    let sends = vec![
        (0, "ext-a".to_string()),
        (1, "ext-b".to_string()),
        (2, "ext-c".to_string()),
    ];
    assert_eq!(store.external_sends(m1.id).await.unwrap(), sends);

    // The same send again is a no-op.
    store.record_external_send(m1.id, 1, "ext-b").await.unwrap();
    assert_eq!(store.external_sends(m1.id).await.unwrap(), sends);

    // An id belongs to one message and part of the account.
    assert_conflict(
        "the id for another message",
        store.record_external_send(m2.id, 0, "ext-a").await,
    );
    assert_conflict(
        "the id for another part",
        store.record_external_send(m1.id, 3, "ext-a").await,
    );
    assert_conflict(
        "another id for a recorded part",
        store.record_external_send(m1.id, 0, "ext-z").await,
    );
    assert_conflict(
        "an inbound message's id",
        store.record_external_send(m2.id, 0, "chat-in").await,
    );
    assert_eq!(store.external_sends(m1.id).await.unwrap(), sends);
    assert_eq!(store.external_sends(m2.id).await.unwrap(), vec![]);
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "recording sends appends no events"
    );

    // A message's own id may be recorded as one of its parts (the channel reports it both ways).
    let job = store
        .claim_jobs(
            JobKind::Deliver,
            Timestamp::now().plus(secs(1)),
            secs(30),
            10,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.message_id == m2.id)
        .unwrap();
    store
        .delivery_succeeded(job.id, m2.id, Some("ext-m2".into()))
        .await
        .unwrap();
    store
        .record_external_send(m2.id, 0, "ext-m2")
        .await
        .unwrap();
    assert_conflict(
        "another message's own id",
        store.record_external_send(m1.id, 3, "ext-m2").await,
    );
    assert_eq!(
        store.external_sends(m2.id).await.unwrap(),
        vec![(0, "ext-m2".to_string())]
    );

    // Ids are per account.
    let other = account(&*store, "other").await;
    let (_, o1) = conversation_with_reply(&*store, other.id, "chat").await;
    store.record_external_send(o1.id, 0, "ext-a").await.unwrap();
    assert_eq!(
        store.external_sends(o1.id).await.unwrap(),
        vec![(0, "ext-a".to_string())]
    );

    assert_not_found_named(
        "record for an unknown message",
        "message",
        store.record_external_send(MessageId(987_654), 0, "x").await,
    );
    assert_not_found_named(
        "sends of an unknown message",
        "message",
        store.external_sends(MessageId(987_654)).await,
    );
}

pub async fn message_by_external_id_finds_own_ids_and_sends(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    let other = account(&*store, "other").await;
    let (got, reply) = conversation_with_reply(&*store, acc.id, "chat").await;
    let find = |account: AccountId, id: &'static str| {
        let store = store.clone();
        async move { store.message_by_external_id(account, id).await.unwrap() }
    };

    assert_eq!(find(acc.id, "chat-in").await, Some(got.message.clone()));
    assert_eq!(find(other.id, "chat-in").await, None, "per account");
    assert_eq!(find(acc.id, "nothing").await, None);

    // The id the channel gave on delivery.
    let job = store
        .claim_jobs(
            JobKind::Deliver,
            Timestamp::now().plus(secs(1)),
            secs(30),
            10,
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(find(acc.id, "part-0").await, None);
    let sent = store
        .delivery_succeeded(job.id, reply.id, Some("part-0".into()))
        .await
        .unwrap();
    assert_eq!(find(acc.id, "part-0").await, Some(sent.clone()));

    // The ids of the other parts, recorded as sends.
    assert_eq!(find(acc.id, "part-1").await, None);
    store
        .record_external_send(reply.id, 0, "part-0")
        .await
        .unwrap();
    store
        .record_external_send(reply.id, 1, "part-1")
        .await
        .unwrap();
    assert_eq!(find(acc.id, "part-1").await, Some(sent.clone()));
    assert_eq!(find(acc.id, "part-0").await, Some(sent.clone()));
    assert_eq!(find(other.id, "part-1").await, None, "per account");

    // A send recorded before the channel confirmed delivery finds the queued message.
    let queued = store
        .enqueue_outbound(outbound(got.conversation.id, Author::Bot, "второй"))
        .await
        .unwrap()
        .message;
    store
        .record_external_send(queued.id, 0, "q-0")
        .await
        .unwrap();
    assert_eq!(find(acc.id, "q-0").await, Some(queued));
}

pub async fn conversation_by_external_chat_finds_the_chat(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    let other = account(&*store, "other").await;
    let got = ingest(&*store, acc.id, "chat-7", "m1", "привет").await;
    ingest(&*store, other.id, "chat-8", "m1", "привет").await;
    let found = store
        .conversation_by_external_chat(acc.id, "chat-7")
        .await
        .unwrap();
    assert_eq!(found, Some(view(&*store, got.conversation.id).await));
    assert_eq!(
        store
            .conversation_by_external_chat(other.id, "chat-7")
            .await
            .unwrap(),
        None,
        "per account"
    );
    assert_eq!(
        store
            .conversation_by_external_chat(acc.id, "chat-8")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .conversation_by_external_chat(AccountId(987_654), "chat-7")
            .await
            .unwrap(),
        None
    );
}

fn external_reply(account: AccountId, chat: &str, id: &str, text: &str) -> ExternalReply {
    ExternalReply {
        account_id: account,
        external_chat_id: chat.into(),
        external_message_id: id.into(),
        text: text.into(),
        attachments: Vec::new(),
        sent_at: None,
    }
}

pub async fn external_reply_takes_the_lead_from_the_bot(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let got = ingest(&*store, acc.id, "chat", "m1", "есть в наличии?").await;
    let conv = got.conversation.id;
    store
        .set_intent_and_slots(
            conv,
            Some("availability".into()),
            Slots::from([("item".to_string(), "диван".to_string())]),
        )
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;

    let sent_at = got.message.created_at.plus(secs(30));
    let photo = Attachment {
        kind: AttachmentKind::Image,
        url: "https://example.invalid/sofa.jpg".into(),
        name: None,
        mime: Some("image/jpeg".into()),
        size: None,
    };
    let recorded = store
        .record_external_reply(ExternalReply {
            attachments: vec![photo.clone()],
            sent_at: Some(sent_at),
            ..external_reply(acc.id, "chat", "ext-1", "Да, есть")
        })
        .await
        .unwrap();
    assert!(recorded.new_message);
    let m = &recorded.message;
    assert_eq!(m.author, Author::External);
    assert_eq!(m.direction, Direction::Out);
    assert_eq!(m.status, DeliveryStatus::Sent);
    assert_eq!(m.external_id.as_deref(), Some("ext-1"));
    assert_eq!(m.text, "Да, есть");
    assert_eq!(m.attachments, vec![photo]);
    assert_eq!(m.created_at, sent_at, "created_at is sent_at");
    assert_eq!((m.conversation_id, m.account_id), (conv, acc.id));
    assert_eq!(m.error, None);
    assert_eq!(store.message(m.id).await.unwrap().as_ref(), Some(m));

    let h = recorded.handoff.clone().expect("the bot was leading");
    assert_eq!(h.conversation_id, conv);
    assert_eq!((h.from, h.to), (Lead::Bot, Lead::Operator));
    assert_eq!(h.reason, HandoffReason::ExternalReply);
    assert_eq!(h.actor, Author::External);
    assert_eq!(h.context, HandoffContext::default(), "no context");
    assert_eq!(store.handoffs(conv).await.unwrap(), vec![h.clone()]);

    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        vec![
            EventKind::MessageCreated,
            EventKind::LeadChanged,
            EventKind::ConversationUpdated
        ]
    );
    assert!(events.iter().all(|e| e.conversation_id == conv));
    assert_eq!(events[0].message_id, Some(m.id));
    assert_eq!(events[1].handoff_id, Some(h.id));

    let c = view(&*store, conv).await.conversation;
    assert_eq!(c.lead, Lead::Operator);
    assert_eq!(c.assignee, None, "nobody in frontline picked it up");
    assert_eq!(c.unread_count, 1, "unread count stays");
    let last = c.last_message.unwrap();
    assert_eq!(
        (last.message_id, last.direction, last.at, last.text.as_str()),
        (m.id, Direction::Out, sent_at, "Да, есть")
    );
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        0,
        "it was sent already: nothing to deliver"
    );

    // Operator-led already: no second handoff; without sent_at the message is stamped now.
    let seq = latest_seq(&*store).await;
    let before = Timestamp::now();
    let second = store
        .record_external_reply(external_reply(acc.id, "chat", "ext-2", "Ещё вопросы?"))
        .await
        .unwrap();
    let after = Timestamp::now();
    assert!(second.new_message);
    assert_eq!(second.handoff, None);
    assert!(before <= second.message.created_at && second.message.created_at <= after);
    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        vec![EventKind::MessageCreated, EventKind::ConversationUpdated]
    );
    assert_eq!(events[0].message_id, Some(second.message.id));
    assert_eq!(store.handoffs(conv).await.unwrap().len(), 1);

    // A bot-led conversation somebody is assigned to keeps its assignee.
    let other = ingest(&*store, acc.id, "chat-2", "m2", "а доставка?")
        .await
        .conversation;
    store.assign(other.id, Some(bob.id)).await.unwrap();
    let third = store
        .record_external_reply(external_reply(acc.id, "chat-2", "ext-3", "Есть"))
        .await
        .unwrap();
    assert!(third.handoff.is_some());
    let c = view(&*store, other.id).await.conversation;
    assert_eq!((c.lead, c.assignee), (Lead::Operator, Some(bob.id)));

    // The bot can no longer answer there.
    assert_conflict(
        "the bot after an external reply",
        store
            .enqueue_outbound(outbound(other.id, Author::Bot, "Бот"))
            .await,
    );
}

pub async fn external_reply_is_idempotent_and_needs_a_conversation(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    let (got, ours) = conversation_with_reply(&*store, acc.id, "chat").await;
    let conv = got.conversation.id;
    let first = store
        .record_external_reply(external_reply(acc.id, "chat", "ext-1", "Да"))
        .await
        .unwrap();
    store
        .change_lead(LeadChange {
            conversation_id: conv,
            to: Lead::Bot,
            reason: HandoffReason::Manual,
            actor: Author::System,
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    let before = view(&*store, conv).await;
    let handoffs = store.handoffs(conv).await.unwrap().len();
    let seq = latest_seq(&*store).await;
    let count = store.list_messages(conv, None, 100).await.unwrap().len();

    // The same answer reported again.
    let again = store
        .record_external_reply(external_reply(acc.id, "chat", "ext-1", "Да (again)"))
        .await
        .unwrap();
    assert!(!again.new_message);
    assert_eq!(again.message, first.message, "returns the stored message");
    assert_eq!(again.handoff, None);

    // The echo of one of our own sends is ours, not a person's answer: the bot keeps the lead.
    store
        .record_external_send(ours.id, 1, "ours-1")
        .await
        .unwrap();
    let echo = store
        .record_external_reply(external_reply(acc.id, "chat", "ours-1", "длинный"))
        .await
        .unwrap();
    assert!(!echo.new_message);
    assert_eq!(echo.message, ours);
    assert_eq!(echo.handoff, None);

    // An inbound message's id is taken as well.
    let inbound_id = store
        .record_external_reply(external_reply(acc.id, "chat", "chat-in", "?"))
        .await
        .unwrap();
    assert!(!inbound_id.new_message);
    assert_eq!(inbound_id.message, got.message);

    assert!(events_since(&*store, seq).await.is_empty(), "no events");
    assert_eq!(view(&*store, conv).await, before, "nothing changed");
    assert_eq!(store.handoffs(conv).await.unwrap().len(), handoffs);
    assert_eq!(
        store.list_messages(conv, None, 100).await.unwrap().len(),
        count
    );

    assert_not_found_named(
        "a chat without a conversation",
        "conversation",
        store
            .record_external_reply(external_reply(acc.id, "elsewhere", "ext-9", "Да"))
            .await,
    );
    assert_not_found_named(
        "an unknown account",
        "conversation",
        store
            .record_external_reply(external_reply(AccountId(987_654), "chat", "ext-9", "Да"))
            .await,
    );
    assert!(events_since(&*store, seq).await.is_empty());
    assert_eq!(
        store.message_by_external_id(acc.id, "ext-9").await.unwrap(),
        None
    );

    // Reported late: stored, but an older answer does not become the last message.
    let last = view(&*store, conv).await.conversation.last_message.unwrap();
    let late = store
        .record_external_reply(ExternalReply {
            sent_at: Some(last.at.minus(secs(60))),
            ..external_reply(acc.id, "chat", "ext-old", "давнее")
        })
        .await
        .unwrap();
    assert!(late.new_message);
    assert_eq!(
        view(&*store, conv).await.conversation.last_message,
        Some(last),
        "the newer message stays the last"
    );
}

pub async fn media_round_trip_with_bytes(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    let seq = latest_seq(&*store).await;
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 0xff, b'\\', b'\'']).collect();
    let before = Timestamp::now();
    let saved = store
        .save_media(NewMedia {
            account_id: Some(acc.id),
            mime: "image/png".into(),
            name: Some("фото 1.png".into()),
            bytes: bytes.clone(),
        })
        .await
        .unwrap();
    assert_eq!(saved.account_id, Some(acc.id));
    assert_eq!(saved.mime, "image/png");
    assert_eq!(saved.name.as_deref(), Some("фото 1.png"));
    assert_eq!(saved.size, bytes.len() as i64);
    assert_eq!(saved.bytes, bytes);
    assert!(before <= saved.created_at && saved.created_at <= Timestamp::now());
    assert_eq!(store.media(saved.id).await.unwrap(), Some(saved.clone()));

    let empty = store
        .save_media(NewMedia {
            account_id: None,
            mime: "application/octet-stream".into(),
            name: None,
            bytes: Vec::new(),
        })
        .await
        .unwrap();
    assert_ne!(empty.id, saved.id);
    assert_eq!((empty.size, empty.bytes.len()), (0, 0));
    assert_eq!(store.media(empty.id).await.unwrap(), Some(empty));

    // A megabyte comes back whole.
    let big: Vec<u8> = (0..1_048_576u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let stored = store
        .save_media(NewMedia {
            account_id: Some(acc.id),
            mime: "image/jpeg".into(),
            name: None,
            bytes: big.clone(),
        })
        .await
        .unwrap();
    let loaded = store.media(stored.id).await.unwrap().unwrap();
    assert_eq!(loaded.size, 1_048_576);
    assert!(loaded.bytes == big, "the bytes differ");

    assert_eq!(store.media(MediaId(987_654)).await.unwrap(), None);
    assert_not_found_named(
        "media of an unknown account",
        "account",
        store
            .save_media(NewMedia {
                account_id: Some(AccountId(987_654)),
                mime: "image/png".into(),
                name: None,
                bytes: vec![1],
            })
            .await,
    );
    assert_eq!(latest_seq(&*store).await, seq, "media append no events");

    // A file outlives its account.
    store.delete_account(acc.id).await.unwrap();
    assert_eq!(
        store.media(saved.id).await.unwrap(),
        Some(Media {
            account_id: None,
            ..saved
        })
    );
}
