//! Conformance checks: history imports.

use super::*;

pub async fn import_is_idempotent_and_queues_nothing(store: Arc<dyn Store>) {
    let acc = account(&*store, "Avito").await;
    let anna = operator(&*store, "anna", Role::Operator).await;
    let base = Timestamp(1_600_000_000_000);
    let msg = |chat: &str, id: &str, author: Author, text: &str, at_min: u64| ImportedMessage {
        account_id: acc.id,
        external_chat_id: chat.into(),
        external_message_id: id.into(),
        customer: CustomerProfile {
            external_id: format!("cust-{chat}"),
            name: Some(format!("Клиент {chat}")),
            ..CustomerProfile::default()
        },
        listing: Some(Listing {
            external_id: format!("item-{chat}"),
            ..Listing::default()
        }),
        author,
        text: text.into(),
        attachments: Vec::new(),
        quote: None,
        link: None,
        sent_at: base.plus(secs(at_min * 60)),
    };
    // Out of order on purpose: the last message is the one with the latest time, not the last row.
    let batch = vec![
        msg(
            "h1",
            "h1-2",
            Author::Operator(anna.id),
            "Ваш заказ отправлен",
            2,
        ),
        msg("h1", "h1-1", Author::Customer, "Где мой заказ?", 1),
        msg("h1", "h1-3", Author::Customer, "Спасибо", 3),
        msg("h2", "h2-1", Author::Customer, "Здравствуйте", 5),
        msg("h2", "h2-2", Author::Bot, "Добрый день! Чем помочь?", 4),
    ];
    let stats = store.import_messages(batch.clone()).await.unwrap();
    assert_eq!(
        stats,
        ImportStats {
            messages_created: 5,
            messages_skipped: 0,
            conversations_created: 2
        }
    );
    assert_eq!(
        store.count_jobs(JobKind::Bot).await.unwrap(),
        0,
        "history needs no bot"
    );
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        0,
        "history is not re-sent"
    );

    let events = all_events(&*store).await;
    assert_eq!(
        events.len(),
        4,
        "per new conversation: created + one updated: {events:?}"
    );
    assert!(events.iter().all(|e| e.message_id.is_none()));
    let page = store
        .list_conversations(&ConversationFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    for v in &page.items {
        let own: Vec<_> = events
            .iter()
            .filter(|e| e.conversation_id == v.conversation.id)
            .collect();
        assert_eq!(
            own.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![
                EventKind::ConversationCreated,
                EventKind::ConversationUpdated
            ]
        );
        assert_eq!(v.conversation.unread_count, 0, "imports leave unread alone");
        assert_eq!(v.conversation.status, ConversationStatus::Open);
        assert_eq!(
            v.customer.name.as_deref(),
            Some(format!("Клиент {}", v.conversation.external_chat_id).as_str())
        );
    }
    let h1 = page
        .items
        .iter()
        .find(|v| v.conversation.external_chat_id == "h1")
        .unwrap();
    let h2 = page
        .items
        .iter()
        .find(|v| v.conversation.external_chat_id == "h2")
        .unwrap();
    assert_eq!(
        h1.conversation.listing.as_ref().unwrap().external_id,
        "item-h1"
    );
    let last = h1.conversation.last_message.as_ref().unwrap();
    assert_eq!(
        (last.text.as_str(), last.direction, last.at),
        ("Спасибо", Direction::In, base.plus(secs(180)))
    );
    let last = h2.conversation.last_message.as_ref().unwrap();
    assert_eq!(
        (last.text.as_str(), last.direction),
        ("Здравствуйте", Direction::In)
    );
    assert_eq!(
        ids_of(&page.items),
        vec![h2.conversation.id, h1.conversation.id],
        "activity order"
    );

    let messages = store
        .list_messages(h1.conversation.id, None, 10)
        .await
        .unwrap();
    assert_eq!(messages.len(), 3);
    let by_ext = |id: &str| {
        messages
            .iter()
            .find(|m| m.external_id.as_deref() == Some(id))
            .unwrap()
            .clone()
    };
    let op = by_ext("h1-2");
    assert_eq!(
        (op.direction, op.author),
        (Direction::Out, Author::Operator(anna.id))
    );
    assert_eq!(op.created_at, base.plus(secs(120)));
    assert_eq!(op.text, "Ваш заказ отправлен");
    let cust = by_ext("h1-1");
    assert_eq!(
        (cust.direction, cust.author, cust.status),
        (Direction::In, Author::Customer, DeliveryStatus::Delivered)
    );
    let bot = store
        .list_messages(h2.conversation.id, None, 10)
        .await
        .unwrap();
    let bot = bot
        .iter()
        .find(|m| m.external_id.as_deref() == Some("h2-2"))
        .unwrap();
    assert_eq!((bot.direction, bot.author), (Direction::Out, Author::Bot));

    // Imported messages are searchable.
    let r = store.search_messages(&search("заказ")).await.unwrap();
    assert_eq!(r.total_conversations, 1);
    assert_eq!(r.hits[0].conversation_id, h1.conversation.id);

    // The same batch again creates nothing at all.
    let seq = latest_seq(&*store).await;
    let stats = store.import_messages(batch).await.unwrap();
    assert_eq!(
        stats,
        ImportStats {
            messages_created: 0,
            messages_skipped: 5,
            conversations_created: 0
        }
    );
    assert!(
        events_since(&*store, seq).await.is_empty(),
        "no events for nothing"
    );
    assert_eq!(
        store
            .list_messages(h1.conversation.id, None, 10)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(view(&*store, h1.conversation.id).await, *h1);

    // Live ingestion dedupes against imported ids too.
    let dup = ingest(&*store, acc.id, "h1", "h1-3", "Спасибо").await;
    assert!(!dup.new_message);
    assert_eq!(
        store.import_messages(vec![]).await.unwrap(),
        ImportStats::default()
    );
}

pub async fn import_updates_existing_conversation(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let live = store
        .ingest_inbound(InboundMessage {
            sent_at: Some(Timestamp(1_600_000_000_000)),
            ..inbound(acc.id, "chat", "live-1", "живое сообщение")
        })
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;
    let older = ImportedMessage {
        account_id: acc.id,
        external_chat_id: "chat".into(),
        external_message_id: "old-1".into(),
        customer: CustomerProfile {
            external_id: "cust-chat".into(),
            ..CustomerProfile::default()
        },
        listing: None,
        author: Author::Customer,
        text: "старое".into(),
        attachments: Vec::new(),
        quote: None,
        link: None,
        sent_at: Timestamp(1_500_000_000_000),
    };
    let newer = ImportedMessage {
        external_message_id: "new-1".into(),
        text: "новое".into(),
        author: Author::Bot,
        sent_at: Timestamp(1_700_000_000_000),
        ..older.clone()
    };
    let stats = store.import_messages(vec![older.clone()]).await.unwrap();
    assert_eq!(
        stats,
        ImportStats {
            messages_created: 1,
            messages_skipped: 0,
            conversations_created: 0
        }
    );
    let c = view(&*store, live.conversation.id).await.conversation;
    assert_eq!(
        c.last_message, live.conversation.last_message,
        "an older message does not become the last"
    );
    assert_eq!(c.unread_count, 1);
    let events = events_since(&*store, seq).await;
    assert_eq!(kinds(&events), vec![EventKind::ConversationUpdated]);
    assert_eq!(events[0].conversation_id, live.conversation.id);

    store.import_messages(vec![newer]).await.unwrap();
    let c = view(&*store, live.conversation.id).await.conversation;
    let last = c.last_message.unwrap();
    assert_eq!(
        (last.text.as_str(), last.direction),
        ("новое", Direction::Out)
    );
    assert_eq!(c.unread_count, 1);
    assert_eq!(c.lead, Lead::Bot);
    assert_eq!(
        store.count_jobs(JobKind::Bot).await.unwrap(),
        1,
        "only the live message's job"
    );
    let texts: Vec<_> = store
        .list_messages(live.conversation.id, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts.len(), 3);
    assert!(texts.contains(&"старое".to_string()));
}

pub async fn import_records_outbound_authors_and_skips_echoes(store: Arc<dyn Store>) {
    let acc = account(&*store, "avito").await;
    let anna = operator(&*store, "anna", Role::Operator).await;
    let base = Timestamp(1_600_000_000_000);
    let msg = |id: &str, author: Author, minute: u64| ImportedMessage {
        account_id: acc.id,
        external_chat_id: "h".into(),
        external_message_id: id.into(),
        customer: CustomerProfile {
            external_id: "cust-h".into(),
            ..CustomerProfile::default()
        },
        listing: None,
        author,
        text: format!("text {id}"),
        attachments: Vec::new(),
        quote: None,
        link: None,
        sent_at: base.plus(secs(minute * 60)),
    };
    let batch = vec![
        msg("c-1", Author::Customer, 1),
        msg("x-1", Author::External, 2),
        msg("b-1", Author::Bot, 3),
        msg("o-1", Author::Operator(anna.id), 4),
        msg("x-2", Author::External, 5),
    ];
    let stats = store.import_messages(batch.clone()).await.unwrap();
    assert_eq!(stats.messages_created, 5);
    for m in &batch {
        let stored = store
            .message_by_external_id(acc.id, &m.external_message_id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{} is found by its id", m.external_message_id));
        assert_eq!(stored.author, m.author, "{}", m.external_message_id);
        assert_eq!(stored.direction, m.author.direction());
        assert_eq!(
            stored.status,
            match m.author {
                Author::Customer => DeliveryStatus::Delivered,
                _ => DeliveryStatus::Sent,
            },
            "{}: history went out",
            m.external_message_id
        );
        assert_eq!(stored.created_at, m.sent_at);
        assert_eq!(stored.text, m.text);
        assert_eq!(store.message(stored.id).await.unwrap(), Some(stored));
    }
    let conv = store
        .conversation_by_external_chat(acc.id, "h")
        .await
        .unwrap()
        .unwrap()
        .conversation;
    let last = conv.last_message.unwrap();
    assert_eq!(
        (last.direction, last.text.as_str()),
        (Direction::Out, "text x-2")
    );
    assert_eq!(conv.lead, Lead::Bot, "an import changes no lead");
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 0);

    // Our own message, sent as two parts, comes back through the channel's history and its webhook.
    let ours = store
        .enqueue_outbound(outbound(conv.id, Author::Bot, "часть 1 … часть 2"))
        .await
        .unwrap()
        .message;
    store
        .record_external_send(ours.id, 0, "echo-0")
        .await
        .unwrap();
    store
        .record_external_send(ours.id, 1, "echo-1")
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;
    let messages = store.list_messages(conv.id, None, 100).await.unwrap().len();
    let bot_jobs = store.count_jobs(JobKind::Bot).await.unwrap();

    let stats = store
        .import_messages(vec![
            msg("echo-0", Author::External, 10),
            msg("echo-1", Author::External, 11),
        ])
        .await
        .unwrap();
    assert_eq!(
        stats,
        ImportStats {
            messages_created: 0,
            messages_skipped: 2,
            conversations_created: 0
        },
        "an echo of our own send is not history"
    );
    let again = store
        .ingest_inbound(inbound(acc.id, "h", "echo-1", "часть 2"))
        .await
        .unwrap();
    assert!(!again.new_message, "nor a new inbound message");
    assert!(!again.bot_job);
    assert_eq!(again.message, ours);
    assert!(events_since(&*store, seq).await.is_empty(), "no events");
    assert_eq!(
        store.list_messages(conv.id, None, 100).await.unwrap().len(),
        messages
    );
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), bot_jobs);
    assert_eq!(
        store
            .message_by_external_id(acc.id, "echo-1")
            .await
            .unwrap(),
        Some(ours)
    );
}

/// A reply's quoted message and a link's preview card come back as they went in, from an inbound
/// message and from an imported one; a message without them has neither.
pub async fn quotes_and_link_previews_round_trip(store: Arc<dyn Store>) {
    let acc = account(&*store, "Avito").await;
    let quote = Quote {
        external_id: "q-1".into(),
        direction: Direction::Out,
        text: "Да, есть доставка".into(),
    };
    let link = LinkPreview {
        url: "https://www.avito.ru/help".into(),
        domain: Some("www.avito.ru".into()),
        title: Some("Помощь".into()),
        description: None,
        image_url: Some("https://avito.st/p/1.jpg".into()),
    };
    let ingested = store
        .ingest_inbound(InboundMessage {
            quote: Some(quote.clone()),
            link: Some(link.clone()),
            ..inbound(acc.id, "c1", "m-1", "А сколько стоит?")
        })
        .await
        .unwrap();
    assert_eq!(ingested.message.quote.as_ref(), Some(&quote));
    assert_eq!(ingested.message.link.as_ref(), Some(&link));
    ingest(&*store, acc.id, "c1", "m-2", "Просто текст").await;
    store
        .import_messages(vec![ImportedMessage {
            account_id: acc.id,
            external_chat_id: "c1".into(),
            external_message_id: "m-3".into(),
            customer: CustomerProfile {
                external_id: "cust-c1".into(),
                ..CustomerProfile::default()
            },
            listing: None,
            author: Author::Customer,
            text: "https://habr.com".into(),
            attachments: Vec::new(),
            quote: Some(Quote {
                direction: Direction::In,
                ..quote.clone()
            }),
            link: Some(LinkPreview {
                url: "https://habr.com".into(),
                domain: None,
                title: None,
                description: None,
                image_url: None,
            }),
            sent_at: Timestamp::now(),
        }])
        .await
        .unwrap();
    let listed = store
        .list_messages(ingested.conversation.id, None, 10)
        .await
        .unwrap();
    let by = |id: &str| {
        listed
            .iter()
            .find(|m| m.external_id.as_deref() == Some(id))
            .unwrap()
            .clone()
    };
    assert_eq!(by("m-1").quote, Some(quote.clone()));
    assert_eq!(by("m-1").link, Some(link));
    assert_eq!((by("m-2").quote, by("m-2").link), (None, None));
    assert_eq!(by("m-3").quote.unwrap().direction, Direction::In);
    assert_eq!(by("m-3").link.unwrap().url, "https://habr.com");
}
