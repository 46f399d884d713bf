//! Conformance checks: the conversation lifecycle and its reads.

use super::*;

pub async fn ingest_creates_customer_conversation_message_events_and_bot_job(
    store: Arc<dyn Store>,
) {
    let acc = account(&*store, "Магазин").await;
    let sent = Timestamp(1_700_000_000_000);
    let photo = Attachment {
        kind: AttachmentKind::Image,
        url: "https://example.invalid/p.jpg".into(),
        name: Some("p.jpg".into()),
        mime: Some("image/jpeg".into()),
        size: Some(1234),
    };
    let got = store
        .ingest_inbound(InboundMessage {
            account_id: acc.id,
            external_chat_id: "chat-1".into(),
            external_message_id: "m-1".into(),
            customer: CustomerProfile {
                external_id: "u-1".into(),
                name: Some("Иван".into()),
                avatar_url: Some("https://example.invalid/a.png".into()),
                phone: None,
            },
            listing: Some(Listing {
                external_id: "item-9".into(),
                title: Some("Диван".into()),
                price: Some("15000".into()),
                url: None,
                image_url: None,
            }),
            text: "Где мой заказ?".into(),
            attachments: vec![photo.clone()],
            quote: None,
            link: None,
            sent_at: Some(sent),
        })
        .await
        .unwrap();
    assert!(got.new_message);
    assert!(got.new_conversation);
    assert!(got.bot_job);

    let m = &got.message;
    assert_eq!(m.direction, Direction::In);
    assert_eq!(m.author, Author::Customer);
    assert_eq!(m.status, DeliveryStatus::Delivered);
    assert_eq!(m.external_id.as_deref(), Some("m-1"));
    assert_eq!(m.text, "Где мой заказ?");
    assert_eq!(m.attachments, vec![photo]);
    assert_eq!(m.created_at, sent, "created_at is sent_at");
    assert_eq!(m.account_id, acc.id);
    assert_eq!(m.error, None);
    assert_eq!(store.message(m.id).await.unwrap().as_ref(), Some(m));

    let c = &got.conversation;
    assert_eq!(m.conversation_id, c.id);
    assert_eq!(c.account_id, acc.id);
    assert_eq!(c.external_chat_id, "chat-1");
    assert_eq!(c.lead, Lead::Bot, "new conversations are bot-led");
    assert_eq!(c.status, ConversationStatus::Open);
    assert_eq!(c.assignee, None);
    assert_eq!(c.unread_count, 1);
    let last = c.last_message.as_ref().expect("last message");
    assert_eq!(last.message_id, m.id);
    assert_eq!(last.text, "Где мой заказ?");
    assert_eq!(last.direction, Direction::In);
    assert_eq!(last.at, sent);
    let listing = c.listing.as_ref().expect("listing stored");
    assert_eq!(listing.external_id, "item-9");
    assert_eq!(listing.title.as_deref(), Some("Диван"));
    assert_eq!(listing.price.as_deref(), Some("15000"));

    let v = view(&*store, c.id).await;
    assert_eq!(&v.conversation, c, "what ingest returns is what is stored");
    assert_eq!(v.customer.id, c.customer_id);
    assert_eq!(v.customer.account_id, acc.id);
    assert_eq!(v.customer.external_id, "u-1");
    assert_eq!(v.customer.name.as_deref(), Some("Иван"));
    assert_eq!(
        v.customer.avatar_url.as_deref(),
        Some("https://example.invalid/a.png")
    );
    assert_eq!(v.customer.phone, None);
    assert_eq!(v.account_name, "Магазин");
    assert_eq!(v.account_kind, AccountKind::Api);
    assert_eq!(v.assignee_name, None);

    let events = all_events(&*store).await;
    assert_eq!(
        kinds(&events),
        vec![
            EventKind::ConversationCreated,
            EventKind::MessageCreated,
            EventKind::ConversationUpdated
        ]
    );
    assert!(events.iter().all(|e| e.conversation_id == c.id));
    assert_eq!(events[1].message_id, Some(m.id));
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));

    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 1);
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 0);
    let jobs = store
        .claim_jobs(JobKind::Bot, Timestamp::now().plus(secs(1)), secs(30), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, JobKind::Bot);
    assert_eq!(jobs[0].message_id, m.id);
    assert_eq!(jobs[0].conversation_id, c.id);

    // Without sent_at the message is stamped with the current time.
    let before = Timestamp::now();
    let now_msg = ingest(&*store, acc.id, "chat-1", "m-2", "ещё")
        .await
        .message;
    let after = Timestamp::now();
    assert!(before <= now_msg.created_at && now_msg.created_at <= after);
}

pub async fn duplicate_delivery_creates_nothing(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let first = ingest(&*store, acc.id, "chat", "same-id", "привет").await;
    let seq = latest_seq(&*store).await;
    let again = store
        .ingest_inbound(InboundMessage {
            text: "привет (redelivered)".into(),
            ..inbound(acc.id, "chat", "same-id", "")
        })
        .await
        .unwrap();
    assert!(!again.new_message);
    assert!(!again.new_conversation);
    assert!(!again.bot_job);
    assert_eq!(again.message, first.message, "returns the stored message");
    assert_eq!(again.conversation.id, first.conversation.id);
    assert_eq!(again.conversation.unread_count, 1);
    assert!(events_since(&*store, seq).await.is_empty(), "no events");
    assert_eq!(
        store.count_jobs(JobKind::Bot).await.unwrap(),
        1,
        "no new job"
    );
    let messages = store
        .list_messages(first.conversation.id, None, 100)
        .await
        .unwrap();
    assert_eq!(messages.len(), 1, "no new message");
    assert_eq!(
        view(&*store, first.conversation.id).await.conversation,
        first.conversation
    );

    // The same external id on another account is another message.
    let other = account(&*store, "b").await;
    let elsewhere = ingest(&*store, other.id, "chat", "same-id", "привет").await;
    assert!(elsewhere.new_message);
    assert_ne!(elsewhere.conversation.id, first.conversation.id);
}

pub async fn second_message_reuses_conversation(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let first = ingest(&*store, acc.id, "chat", "m1", "первое").await;
    let seq = latest_seq(&*store).await;
    let second = store
        .ingest_inbound(InboundMessage {
            sent_at: Some(first.message.created_at.plus(secs(5))),
            ..inbound(acc.id, "chat", "m2", "второе\nсообщение")
        })
        .await
        .unwrap();
    assert!(second.new_message);
    assert!(!second.new_conversation);
    assert!(second.bot_job);
    assert_eq!(second.conversation.id, first.conversation.id);
    assert_eq!(
        second.conversation.customer_id,
        first.conversation.customer_id
    );
    assert_eq!(second.conversation.unread_count, 2);
    let last = second.conversation.last_message.as_ref().unwrap();
    assert_eq!(last.message_id, second.message.id);
    assert_eq!(last.text, "второе сообщение", "preview is one line");
    assert!(second.message.id > first.message.id);

    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        vec![EventKind::MessageCreated, EventKind::ConversationUpdated]
    );
    assert_eq!(events[0].message_id, Some(second.message.id));
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 2);

    let v = view(&*store, first.conversation.id).await;
    assert_eq!(v.conversation.unread_count, 2);
    assert_eq!(
        v.conversation.last_message,
        second.conversation.last_message
    );

    // Another chat of the same customer account is another conversation.
    let other = ingest(&*store, acc.id, "chat-2", "m3", "другой чат").await;
    assert!(other.new_conversation);
    assert_ne!(other.conversation.id, first.conversation.id);
}

pub async fn ingest_updates_customer_profile_and_listing(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let profile = |name: Option<&str>, phone: Option<&str>, avatar: Option<&str>| CustomerProfile {
        external_id: "u-1".into(),
        name: name.map(Into::into),
        phone: phone.map(Into::into),
        avatar_url: avatar.map(Into::into),
    };
    let first = store
        .ingest_inbound(InboundMessage {
            customer: profile(Some("Иван"), None, None),
            ..inbound(acc.id, "chat", "m1", "a")
        })
        .await
        .unwrap();
    let cid = first.conversation.id;
    store
        .ingest_inbound(InboundMessage {
            customer: profile(
                None,
                Some("+79990000000"),
                Some("https://example.invalid/a"),
            ),
            listing: Some(Listing {
                external_id: "item-1".into(),
                title: Some("Стол".into()),
                ..Listing::default()
            }),
            ..inbound(acc.id, "chat", "m2", "b")
        })
        .await
        .unwrap();
    let v = view(&*store, cid).await;
    assert_eq!(
        v.customer.name.as_deref(),
        Some("Иван"),
        "None leaves the name alone"
    );
    assert_eq!(v.customer.phone.as_deref(), Some("+79990000000"));
    assert_eq!(
        v.customer.avatar_url.as_deref(),
        Some("https://example.invalid/a")
    );
    let listing = v
        .conversation
        .listing
        .expect("listing stored on a later message");
    assert_eq!(listing.external_id, "item-1");
    assert_eq!(listing.title.as_deref(), Some("Стол"));

    store
        .ingest_inbound(InboundMessage {
            customer: profile(Some("Иван Петров"), None, None),
            listing: Some(Listing {
                external_id: "item-2".into(),
                title: Some("Шкаф".into()),
                price: Some("900".into()),
                url: Some("https://example.invalid/item-2".into()),
                image_url: Some("https://example.invalid/item-2.jpg".into()),
            }),
            ..inbound(acc.id, "chat", "m3", "c")
        })
        .await
        .unwrap();
    let v = view(&*store, cid).await;
    assert_eq!(v.customer.name.as_deref(), Some("Иван Петров"));
    assert_eq!(v.customer.phone.as_deref(), Some("+79990000000"));
    assert_eq!(
        v.conversation.listing,
        Some(Listing {
            external_id: "item-2".into(),
            title: Some("Шкаф".into()),
            price: Some("900".into()),
            url: Some("https://example.invalid/item-2".into()),
            image_url: Some("https://example.invalid/item-2.jpg".into()),
        })
    );
    // A message without a listing leaves it alone.
    ingest(&*store, acc.id, "chat", "m4", "d").await;
    let v2 = view(&*store, cid).await;
    assert_eq!(v2.conversation.listing, v.conversation.listing);
    assert_eq!(
        v2.customer.id, first.conversation.customer_id,
        "same customer throughout"
    );
}

pub async fn inbound_reopens_resolved_conversation(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let first = ingest(&*store, acc.id, "chat", "m1", "a").await;
    let resolved = store
        .set_status(first.conversation.id, ConversationStatus::Resolved)
        .await
        .unwrap();
    assert_eq!(resolved.status, ConversationStatus::Resolved);
    let again = ingest(&*store, acc.id, "chat", "m2", "опять я").await;
    assert_eq!(again.conversation.id, first.conversation.id);
    assert_eq!(again.conversation.status, ConversationStatus::Open);
    assert_eq!(
        view(&*store, first.conversation.id)
            .await
            .conversation
            .status,
        ConversationStatus::Open
    );
}

pub async fn bot_may_not_write_into_an_operator_led_conversation(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "вопрос")
        .await
        .conversation;
    let op = operator(&*store, "olga", Role::Operator).await;
    store
        .change_lead(LeadChange {
            conversation_id: conv.id,
            to: Lead::Operator,
            reason: HandoffReason::Manual,
            actor: Author::Operator(op.id),
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;
    let jobs = store.count_jobs(JobKind::Deliver).await.unwrap();
    let refused = store
        .enqueue_outbound(outbound(conv.id, Author::Bot, "Ответ бота"))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    // Nothing was stored: no message, no job, no event.
    assert!(events_since(&*store, seq).await.is_empty());
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), jobs);
    let history = store.list_messages(conv.id, None, 10).await.unwrap();
    assert!(history.iter().all(|m| m.author != Author::Bot));
    // The operator still writes.
    store
        .enqueue_outbound(outbound(
            conv.id,
            Author::Operator(op.id),
            "Ответ оператора",
        ))
        .await
        .unwrap();
}

pub async fn outbound_by_bot_is_queued_without_takeover(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "вопрос")
        .await
        .conversation;
    let seq = latest_seq(&*store).await;
    let q = store
        .enqueue_outbound(outbound(conv.id, Author::Bot, "Ответ бота"))
        .await
        .unwrap();
    assert_eq!(q.takeover, None);
    let m = &q.message;
    assert_eq!(m.direction, Direction::Out);
    assert_eq!(m.author, Author::Bot);
    assert_eq!(m.status, DeliveryStatus::Queued);
    assert_eq!(m.external_id, None);
    assert_eq!(m.conversation_id, conv.id);
    assert_eq!(m.account_id, acc.id);
    assert_eq!(store.message(m.id).await.unwrap().as_ref(), Some(m));

    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        vec![EventKind::MessageCreated, EventKind::ConversationUpdated]
    );
    assert_eq!(events[0].message_id, Some(m.id));

    let c = view(&*store, conv.id).await.conversation;
    assert_eq!(c.lead, Lead::Bot);
    assert_eq!(c.assignee, None);
    assert_eq!(c.unread_count, 1, "outbound messages leave unread alone");
    let last = c.last_message.unwrap();
    assert_eq!(last.message_id, m.id);
    assert_eq!(last.direction, Direction::Out);
    assert_eq!(last.text, "Ответ бота");
    assert!(store.handoffs(conv.id).await.unwrap().is_empty());

    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 1);
    let jobs = store
        .claim_jobs(
            JobKind::Deliver,
            Timestamp::now().plus(secs(1)),
            secs(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].message_id, m.id);
    assert_eq!(jobs[0].conversation_id, conv.id);
    assert_eq!(jobs[0].kind, JobKind::Deliver);
}

pub async fn outbound_by_operator_takes_over_bot_led_conversation(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "позовите человека")
        .await
        .conversation;
    let slots = Slots::from([("order_number".to_string(), "123456".to_string())]);
    store
        .set_intent_and_slots(conv.id, Some("order_status".into()), slots.clone())
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;

    let q = store
        .enqueue_outbound(outbound(
            conv.id,
            Author::Operator(anna.id),
            "Здравствуйте, это Анна",
        ))
        .await
        .unwrap();
    let h = q.takeover.clone().expect("the operator took the lead");
    assert_eq!(h.conversation_id, conv.id);
    assert_eq!(h.from, Lead::Bot);
    assert_eq!(h.to, Lead::Operator);
    assert_eq!(h.reason, HandoffReason::OperatorReplied);
    assert_eq!(h.actor, Author::Operator(anna.id));
    assert_eq!(h.context.intent.as_deref(), Some("order_status"));
    assert_eq!(h.context.slots, slots);
    assert_eq!(store.handoff(h.id).await.unwrap(), Some(h.clone()));
    assert_eq!(store.handoffs(conv.id).await.unwrap(), vec![h.clone()]);
    assert_eq!(q.message.author, Author::Operator(anna.id));
    assert_eq!(q.message.direction, Direction::Out);
    assert_eq!(q.message.status, DeliveryStatus::Queued);

    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        vec![
            EventKind::LeadChanged,
            EventKind::MessageCreated,
            EventKind::ConversationUpdated
        ],
        "the lead changes before the message appears"
    );
    assert_eq!(events[0].handoff_id, Some(h.id));
    assert_eq!(events[1].message_id, Some(q.message.id));

    let v = view(&*store, conv.id).await;
    assert_eq!(v.conversation.lead, Lead::Operator);
    assert_eq!(
        v.conversation.assignee,
        Some(anna.id),
        "the author picks it up"
    );
    assert_eq!(v.assignee_name.as_deref(), Some("anna display"));
    assert_eq!(
        v.conversation.last_message.unwrap().message_id,
        q.message.id
    );
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 1);

    // Already operator-led: no second takeover, the assignee stays.
    let q2 = store
        .enqueue_outbound(outbound(conv.id, Author::Operator(bob.id), "Это Боб"))
        .await
        .unwrap();
    assert_eq!(q2.takeover, None);
    assert_eq!(
        view(&*store, conv.id).await.conversation.assignee,
        Some(anna.id)
    );
    assert_eq!(store.handoffs(conv.id).await.unwrap().len(), 1);
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 2);

    // A takeover of a conversation someone is already assigned to keeps that assignee.
    let other = ingest(&*store, acc.id, "chat-2", "m2", "hi")
        .await
        .conversation;
    store.assign(other.id, Some(bob.id)).await.unwrap();
    let q3 = store
        .enqueue_outbound(outbound(other.id, Author::Operator(anna.id), "ответ"))
        .await
        .unwrap();
    assert!(q3.takeover.is_some());
    let c = view(&*store, other.id).await.conversation;
    assert_eq!(c.lead, Lead::Operator);
    assert_eq!(c.assignee, Some(bob.id));
}

pub async fn change_lead_records_handoffs_both_ways(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "хочу вернуть товар")
        .await
        .conversation;
    let seq = latest_seq(&*store).await;

    // Bot → operator, with the bot's context: nobody is assigned yet.
    let ctx = HandoffContext {
        intent: Some("return".into()),
        summary: Some("Клиент хочет вернуть диван".into()),
        slots: Slots::from([
            ("order_number".to_string(), "42".to_string()),
            ("reason".to_string(), "не подошёл цвет".to_string()),
        ]),
        briefing: Some("Проверьте срок возврата".into()),
    };
    let h1 = store
        .change_lead(LeadChange {
            conversation_id: conv.id,
            to: Lead::Operator,
            reason: HandoffReason::LowConfidence,
            actor: Author::Bot,
            context: ctx.clone(),
        })
        .await
        .unwrap();
    assert_eq!(h1.from, Lead::Bot);
    assert_eq!(h1.to, Lead::Operator);
    assert_eq!(h1.reason, HandoffReason::LowConfidence);
    assert_eq!(h1.actor, Author::Bot);
    assert_eq!(h1.context, ctx, "the context travels intact");
    assert_eq!(store.handoff(h1.id).await.unwrap(), Some(h1.clone()));
    let c = view(&*store, conv.id).await.conversation;
    assert_eq!(c.lead, Lead::Operator);
    assert_eq!(
        c.assignee, None,
        "a bot handoff leaves it for operators to pick up"
    );
    let events = events_since(&*store, seq).await;
    assert_eq!(kinds(&events), vec![EventKind::LeadChanged]);
    assert_eq!(events[0].handoff_id, Some(h1.id));
    assert_eq!(events[0].conversation_id, conv.id);

    // Operator → bot clears the assignee.
    store.assign(conv.id, Some(anna.id)).await.unwrap();
    let h2 = store
        .change_lead(LeadChange {
            conversation_id: conv.id,
            to: Lead::Bot,
            reason: HandoffReason::Manual,
            actor: Author::Operator(anna.id),
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    assert_eq!((h2.from, h2.to), (Lead::Operator, Lead::Bot));
    assert_eq!(h2.actor, Author::Operator(anna.id));
    assert_eq!(h2.context, HandoffContext::default());
    let c = view(&*store, conv.id).await.conversation;
    assert_eq!(c.lead, Lead::Bot);
    assert_eq!(c.assignee, None);

    // An operator taking the lead themselves becomes the assignee.
    let h3 = store
        .change_lead(LeadChange {
            conversation_id: conv.id,
            to: Lead::Operator,
            reason: HandoffReason::Manual,
            actor: Author::Operator(bob.id),
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    let v = view(&*store, conv.id).await;
    assert_eq!(v.conversation.lead, Lead::Operator);
    assert_eq!(v.conversation.assignee, Some(bob.id));
    assert_eq!(v.assignee_name.as_deref(), Some("bob display"));

    // …but not over somebody who already has it.
    store
        .change_lead(LeadChange {
            conversation_id: conv.id,
            to: Lead::Bot,
            reason: HandoffReason::Manual,
            actor: Author::Operator(bob.id),
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    store.assign(conv.id, Some(anna.id)).await.unwrap();
    let h5 = store
        .change_lead(LeadChange {
            conversation_id: conv.id,
            to: Lead::Operator,
            reason: HandoffReason::Manual,
            actor: Author::Operator(bob.id),
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    assert_eq!(
        view(&*store, conv.id).await.conversation.assignee,
        Some(anna.id)
    );

    let all = store.handoffs(conv.id).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], h1, "oldest first");
    assert_eq!(all[1], h2);
    assert_eq!(all[2], h3);
    assert_eq!(all[4], h5);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
}

pub async fn change_lead_to_current_lead_conflicts(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "a")
        .await
        .conversation;
    let seq = latest_seq(&*store).await;
    let change = |to| LeadChange {
        conversation_id: conv.id,
        to,
        reason: HandoffReason::Manual,
        actor: Author::System,
        context: HandoffContext::default(),
    };
    assert_conflict("bot → bot", store.change_lead(change(Lead::Bot)).await);
    assert!(
        store.handoffs(conv.id).await.unwrap().is_empty(),
        "no handoff recorded"
    );
    assert!(events_since(&*store, seq).await.is_empty(), "no event");
    store.change_lead(change(Lead::Operator)).await.unwrap();
    assert_conflict(
        "operator → operator",
        store.change_lead(change(Lead::Operator)).await,
    );
    assert_eq!(store.handoffs(conv.id).await.unwrap().len(), 1);
}

pub async fn assign_and_unassign(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let anna = operator(&*store, "anna", Role::Operator).await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "a")
        .await
        .conversation;
    let seq = latest_seq(&*store).await;

    let c = store.assign(conv.id, Some(anna.id)).await.unwrap();
    assert_eq!(c.assignee, Some(anna.id));
    assert_eq!(c.lead, Lead::Bot, "assignment does not change the lead");
    let v = view(&*store, conv.id).await;
    assert_eq!(v.conversation.assignee, Some(anna.id));
    assert_eq!(v.assignee_name.as_deref(), Some("anna display"));
    let events = events_since(&*store, seq).await;
    assert_eq!(kinds(&events), vec![EventKind::Assigned]);
    assert_eq!(events[0].conversation_id, conv.id);

    let seq = latest_seq(&*store).await;
    let c = store.assign(conv.id, None).await.unwrap();
    assert_eq!(c.assignee, None);
    let v = view(&*store, conv.id).await;
    assert_eq!(v.conversation.assignee, None);
    assert_eq!(v.assignee_name, None);
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::Assigned]
    );

    assert_not_found(
        "assign to unknown operator",
        store.assign(conv.id, Some(OperatorId(987_654))).await,
    );
    assert_eq!(view(&*store, conv.id).await.conversation.assignee, None);
}

pub async fn set_status_appends_events_only_on_change(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "a")
        .await
        .conversation;

    let seq = latest_seq(&*store).await;
    let c = store
        .set_status(conv.id, ConversationStatus::Open)
        .await
        .unwrap();
    assert_eq!(c.status, ConversationStatus::Open);
    assert!(
        events_since(&*store, seq).await.is_empty(),
        "no change, no event"
    );

    let c = store
        .set_status(conv.id, ConversationStatus::Resolved)
        .await
        .unwrap();
    assert_eq!(c.status, ConversationStatus::Resolved);
    assert_eq!(
        view(&*store, conv.id).await.conversation.status,
        ConversationStatus::Resolved
    );
    let events = events_since(&*store, seq).await;
    assert_eq!(kinds(&events), vec![EventKind::ConversationUpdated]);
    assert_eq!(events[0].conversation_id, conv.id);

    let seq = latest_seq(&*store).await;
    store
        .set_status(conv.id, ConversationStatus::Resolved)
        .await
        .unwrap();
    assert!(events_since(&*store, seq).await.is_empty());
    let c = store
        .set_status(conv.id, ConversationStatus::Open)
        .await
        .unwrap();
    assert_eq!(c.status, ConversationStatus::Open);
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::ConversationUpdated]
    );
}

pub async fn mark_read_resets_unread(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    ingest(&*store, acc.id, "chat", "m1", "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m2", "b")
        .await
        .conversation;
    assert_eq!(conv.unread_count, 2);
    let seq = latest_seq(&*store).await;
    let c = store.mark_read(conv.id).await.unwrap();
    assert_eq!(c.unread_count, 0);
    assert_eq!(view(&*store, conv.id).await.conversation.unread_count, 0);
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::ConversationUpdated]
    );

    let seq = latest_seq(&*store).await;
    let c = store.mark_read(conv.id).await.unwrap();
    assert_eq!(c.unread_count, 0);
    assert!(
        events_since(&*store, seq).await.is_empty(),
        "already read: no event"
    );

    let c = ingest(&*store, acc.id, "chat", "m3", "c")
        .await
        .conversation;
    assert_eq!(c.unread_count, 1, "counting starts again");
}

pub async fn set_intent_and_slots_round_trip(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "a")
        .await
        .conversation;
    assert_eq!(conv.intent, None);
    assert!(conv.slots.is_empty());
    let slots = Slots::from([
        ("order_number".to_string(), "123456".to_string()),
        ("город".to_string(), "Тверь".to_string()),
    ]);
    let seq = latest_seq(&*store).await;
    let c = store
        .set_intent_and_slots(conv.id, Some("order_status".into()), slots.clone())
        .await
        .unwrap();
    assert_eq!(c.intent.as_deref(), Some("order_status"));
    assert_eq!(c.slots, slots);
    let v = view(&*store, conv.id).await;
    assert_eq!(v.conversation.intent.as_deref(), Some("order_status"));
    assert_eq!(v.conversation.slots, slots);
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::ConversationUpdated]
    );

    store
        .set_intent_and_slots(conv.id, None, Slots::new())
        .await
        .unwrap();
    let v = view(&*store, conv.id).await;
    assert_eq!(v.conversation.intent, None);
    assert!(v.conversation.slots.is_empty());
}

pub async fn unknown_ids_are_not_found(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let known = ingest(&*store, acc.id, "chat", "m1", "a").await;
    let conv = ConversationId(987_654);
    let msg = MessageId(987_654);
    let op = OperatorId(987_654);

    assert_eq!(store.operator(op).await.unwrap(), None);
    assert_eq!(store.account(AccountId(987_654)).await.unwrap(), None);
    assert_eq!(store.conversation(conv).await.unwrap(), None);
    assert_eq!(store.message(msg).await.unwrap(), None);
    assert_eq!(store.handoff(HandoffId(987_654)).await.unwrap(), None);
    assert_eq!(
        store.quick_reply(QuickReplyId(987_654)).await.unwrap(),
        None
    );

    assert_not_found(
        "update_operator",
        store.update_operator(op, OperatorPatch::default()).await,
    );
    assert_not_found(
        "update_account",
        store
            .update_account(AccountId(987_654), AccountPatch::default())
            .await,
    );
    assert_not_found(
        "delete_account",
        store.delete_account(AccountId(987_654)).await,
    );
    assert_not_found(
        "ingest into unknown account",
        store
            .ingest_inbound(inbound(AccountId(987_654), "c", "x", "t"))
            .await,
    );
    assert_not_found(
        "enqueue_outbound",
        store
            .enqueue_outbound(outbound(conv, Author::Bot, "t"))
            .await,
    );
    assert_not_found(
        "change_lead",
        store
            .change_lead(LeadChange {
                conversation_id: conv,
                to: Lead::Operator,
                reason: HandoffReason::Manual,
                actor: Author::System,
                context: HandoffContext::default(),
            })
            .await,
    );
    assert_not_found("assign", store.assign(conv, None).await);
    assert_not_found(
        "set_status",
        store.set_status(conv, ConversationStatus::Resolved).await,
    );
    assert_not_found("mark_read", store.mark_read(conv).await);
    assert_not_found(
        "set_intent_and_slots",
        store.set_intent_and_slots(conv, None, Slots::new()).await,
    );
    assert_not_found("list_messages", store.list_messages(conv, None, 10).await);
    assert_not_found("handoffs", store.handoffs(conv).await);
    assert_not_found("retry_message", store.retry_message(msg).await);
    assert_not_found(
        "set_delivery_status",
        store
            .set_delivery_status(msg, DeliveryStatus::Delivered)
            .await,
    );
    assert_not_found("complete_job", store.complete_job(JobId(987_654)).await);
    assert_not_found(
        "retry_job",
        store.retry_job(JobId(987_654), Timestamp::now(), "e").await,
    );
    assert_not_found(
        "update_quick_reply",
        store
            .update_quick_reply(QuickReplyId(987_654), "t", "x")
            .await,
    );
    assert_not_found(
        "delete_quick_reply",
        store.delete_quick_reply(QuickReplyId(987_654)).await,
    );

    // Nothing of the failed calls left a trace.
    assert_eq!(all_events(&*store).await.len(), 3);
    assert_eq!(
        store
            .list_messages(known.conversation.id, None, 10)
            .await
            .unwrap(),
        vec![known.message]
    );
}

pub async fn list_conversations_filters(store: Arc<dyn Store>) {
    let a = account(&*store, "A").await;
    let b = account(&*store, "B").await;
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let to_operator = |id| LeadChange {
        conversation_id: id,
        to: Lead::Operator,
        reason: HandoffReason::CustomerAsked,
        actor: Author::Bot,
        context: HandoffContext::default(),
    };
    // c1: A, bot, unassigned, open
    let c1 = ingest(&*store, a.id, "c1", "m1", "a").await.conversation.id;
    // c2: A, operator, anna, open
    let c2 = ingest(&*store, a.id, "c2", "m2", "a").await.conversation.id;
    store.change_lead(to_operator(c2)).await.unwrap();
    store.assign(c2, Some(anna.id)).await.unwrap();
    // c3: B, operator, unassigned, open
    let c3 = ingest(&*store, b.id, "c3", "m3", "a").await.conversation.id;
    store.change_lead(to_operator(c3)).await.unwrap();
    // c4: B, operator, bob, resolved
    let c4 = ingest(&*store, b.id, "c4", "m4", "a").await.conversation.id;
    store.change_lead(to_operator(c4)).await.unwrap();
    store.assign(c4, Some(bob.id)).await.unwrap();
    store
        .set_status(c4, ConversationStatus::Resolved)
        .await
        .unwrap();
    // c5: A, bot, anna, open
    let c5 = ingest(&*store, a.id, "c5", "m5", "a").await.conversation.id;
    store.assign(c5, Some(anna.id)).await.unwrap();

    let list = |f: ConversationFilter| {
        let store = store.clone();
        async move {
            let page = store
                .list_conversations(&ConversationFilter { limit: 100, ..f })
                .await
                .unwrap();
            // Whatever the filter, the order is activity then id, newest first.
            let keys: Vec<_> = page
                .items
                .iter()
                .map(|v| {
                    let c = &v.conversation;
                    (c.activity(), c.id)
                })
                .collect();
            assert!(
                keys.windows(2).all(|w| w[0] > w[1]),
                "ordered newest first: {keys:?}"
            );
            set_of(&ids_of(&page.items))
        }
    };
    let f = ConversationFilter::default;

    assert_eq!(list(f()).await, set_of(&[c1, c2, c3, c4, c5]));
    assert_eq!(
        list(ConversationFilter {
            lead: Some(Lead::Bot),
            ..f()
        })
        .await,
        set_of(&[c1, c5])
    );
    assert_eq!(
        list(ConversationFilter {
            lead: Some(Lead::Operator),
            ..f()
        })
        .await,
        set_of(&[c2, c3, c4])
    );
    assert_eq!(
        list(ConversationFilter {
            assignee: AssigneeFilter::Is(anna.id),
            ..f()
        })
        .await,
        set_of(&[c2, c5])
    );
    assert_eq!(
        list(ConversationFilter {
            assignee: AssigneeFilter::Is(bob.id),
            ..f()
        })
        .await,
        set_of(&[c4])
    );
    // The «Мои» tab: operator-led conversations that are mine or nobody's.
    assert_eq!(
        list(ConversationFilter {
            lead: Some(Lead::Operator),
            assignee: AssigneeFilter::IsOrUnassigned(anna.id),
            ..f()
        })
        .await,
        set_of(&[c2, c3])
    );
    // Without a lead filter too: the unassigned ones are those handed over (c3), never the bot's own
    // (c1); what is assigned to me is mine whoever leads it (c5).
    assert_eq!(
        list(ConversationFilter {
            assignee: AssigneeFilter::IsOrUnassigned(anna.id),
            ..f()
        })
        .await,
        set_of(&[c2, c3, c5])
    );
    assert_eq!(
        list(ConversationFilter {
            lead: Some(Lead::Operator),
            assignee: AssigneeFilter::IsOrUnassigned(bob.id),
            ..f()
        })
        .await,
        set_of(&[c3, c4])
    );
    assert_eq!(
        list(ConversationFilter {
            assignee: AssigneeFilter::Unassigned,
            ..f()
        })
        .await,
        set_of(&[c1, c3])
    );
    assert_eq!(
        list(ConversationFilter {
            account_ids: Some(vec![a.id]),
            ..f()
        })
        .await,
        set_of(&[c1, c2, c5])
    );
    assert_eq!(
        list(ConversationFilter {
            account_ids: Some(vec![a.id, b.id]),
            ..f()
        })
        .await,
        set_of(&[c1, c2, c3, c4, c5])
    );
    assert_eq!(
        list(ConversationFilter {
            account_ids: Some(vec![]),
            ..f()
        })
        .await,
        BTreeSet::new(),
        "an empty account list shows nothing"
    );
    assert_eq!(
        list(ConversationFilter {
            status: Some(ConversationStatus::Resolved),
            ..f()
        })
        .await,
        set_of(&[c4])
    );
    assert_eq!(
        list(ConversationFilter {
            status: Some(ConversationStatus::Open),
            ..f()
        })
        .await,
        set_of(&[c1, c2, c3, c5])
    );
    assert_eq!(
        list(ConversationFilter {
            lead: Some(Lead::Operator),
            account_ids: Some(vec![b.id]),
            status: Some(ConversationStatus::Open),
            ..f()
        })
        .await,
        set_of(&[c3])
    );

    // Rows carry their surroundings.
    let page = store
        .list_conversations(&ConversationFilter {
            assignee: AssigneeFilter::Is(bob.id),
            limit: 10,
            ..f()
        })
        .await
        .unwrap();
    assert_eq!(page.items[0], view(&*store, c4).await);
    assert_eq!(page.items[0].account_name, "B");
    assert_eq!(page.items[0].assignee_name.as_deref(), Some("bob display"));
    assert_eq!(page.items[0].customer.external_id, "cust-c4");
    assert_eq!(page.next, None, "a short page is the last one");
}

pub async fn list_conversations_pages_with_cursor(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let base = Timestamp(1_700_000_000_000);
    let mut expected = Vec::new();
    for i in 0..25u64 {
        // Groups of three share a timestamp, so the id breaks ties; creation order is not the
        // activity order.
        let at = base.plus(secs(((i * 7) % 25 / 3) * 60));
        let got = store
            .ingest_inbound(InboundMessage {
                sent_at: Some(at),
                ..inbound(acc.id, &format!("chat-{i}"), &format!("m-{i}"), "привет")
            })
            .await
            .unwrap();
        expected.push((at, got.conversation.id));
    }
    expected.sort_by(|x, y| y.cmp(x));
    let expected: Vec<ConversationId> = expected.into_iter().map(|(_, id)| id).collect();

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_conversations(&ConversationFilter {
                cursor,
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        pages += 1;
        assert!(pages <= 4, "pagination does not terminate");
        assert!(page.items.len() <= 10);
        seen.extend(ids_of(&page.items));
        if let Some(next) = page.next {
            assert_eq!(page.items.len(), 10, "only full pages have a next cursor");
            let last = &page.items.last().unwrap().conversation;
            assert_eq!(next.id, last.id);
            assert_eq!(next.activity, last.last_message.as_ref().unwrap().at);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every row exactly once, in order");

    // A cursor is exclusive and combines with filters.
    let at = view(&*store, expected[5])
        .await
        .conversation
        .last_message
        .unwrap()
        .at;
    let page = store
        .list_conversations(&ConversationFilter {
            cursor: Some(ConversationCursor {
                activity: at,
                id: expected[5],
            }),
            lead: Some(Lead::Bot),
            limit: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids_of(&page.items), expected[6..9].to_vec());

    // An outbound message moves a conversation to the top.
    let bottom = *expected.last().unwrap();
    store
        .enqueue_outbound(outbound(bottom, Author::Bot, "ответ"))
        .await
        .unwrap();
    let page = store
        .list_conversations(&ConversationFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids_of(&page.items), vec![bottom]);
}

pub async fn list_messages_pages_backwards(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let mut ids = Vec::new();
    let mut conv = None;
    for i in 0..7 {
        let got = ingest(
            &*store,
            acc.id,
            "chat",
            &format!("m{i}"),
            &format!("сообщение {i}"),
        )
        .await;
        ids.push(got.message.id);
        conv = Some(got.conversation.id);
    }
    let conv = conv.unwrap();
    // Noise in another conversation.
    ingest(&*store, acc.id, "other", "x", "шум").await;
    let page_ids = |msgs: Vec<Message>| msgs.into_iter().map(|m| m.id).collect::<Vec<_>>();

    let all = store.list_messages(conv, None, 100).await.unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[3].text, "сообщение 3");
    assert_eq!(page_ids(all), ids, "oldest first");

    let newest = page_ids(store.list_messages(conv, None, 3).await.unwrap());
    assert_eq!(newest, ids[4..7].to_vec());
    let older = page_ids(store.list_messages(conv, Some(newest[0]), 3).await.unwrap());
    assert_eq!(older, ids[1..4].to_vec());
    let oldest = page_ids(store.list_messages(conv, Some(older[0]), 3).await.unwrap());
    assert_eq!(oldest, ids[0..1].to_vec());
    assert!(
        store
            .list_messages(conv, Some(ids[0]), 3)
            .await
            .unwrap()
            .is_empty()
    );
}
