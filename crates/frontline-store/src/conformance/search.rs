//! Conformance checks: message search: Russian and English word forms, filters, paging, hostile input.

use super::*;

pub async fn search_russian_morphology(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let c1 = ingest(&*store, acc.id, "c1", "m1", "Хочу узнать статус заказа").await;
    let c2 = ingest(&*store, acc.id, "c2", "m2", "Спасибо за помощь по заказу!").await;
    let c3 = ingest(&*store, acc.id, "c3", "m3", "Какие сроки доставки в Тверь?").await;
    ingest(&*store, acc.id, "c4", "m4", "Добрый день").await;

    let r = store.search_messages(&search("заказ")).await.unwrap();
    assert_eq!(r.total_conversations, 2);
    let found: BTreeSet<_> = r.hits.iter().map(|h| h.message_id).collect();
    assert_eq!(found, BTreeSet::from([c1.message.id, c2.message.id]));
    assert_eq!(r.hits[0].message_id, c2.message.id, "newest first");
    assert_eq!(r.hits[0].text, "Спасибо за помощь по заказу!");
    assert_eq!(r.hits[0].conversation_id, c2.conversation.id);
    assert_eq!(r.hits[0].created_at, c2.message.created_at);

    let r = store.search_messages(&search("доставка")).await.unwrap();
    assert_eq!(r.total_conversations, 1);
    assert_eq!(r.hits[0].message_id, c3.message.id);
    let r = store.search_messages(&search("ЗАКАЗОМ")).await.unwrap();
    assert_eq!(
        r.total_conversations, 2,
        "case and inflection do not matter"
    );
    let r = store
        .search_messages(&search("заказ доставка"))
        .await
        .unwrap();
    assert_eq!(
        r.total_conversations, 0,
        "all terms must occur in one message"
    );
    let r = store.search_messages(&search("пицца")).await.unwrap();
    assert_eq!(
        r,
        SearchResults {
            total_conversations: 0,
            hits: vec![]
        }
    );
}

pub async fn search_english_stems_and_all_terms(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let a = ingest(&*store, acc.id, "c1", "m1", "I want to track my orders").await;
    let b = ingest(&*store, acc.id, "c2", "m2", "Ordering a sofa online").await;
    ingest(&*store, acc.id, "c3", "m3", "Where is the sofa?").await;
    let n = ingest(&*store, acc.id, "c4", "m4", "Заказ 123456 не пришёл").await;

    let r = store.search_messages(&search("order")).await.unwrap();
    assert_eq!(r.total_conversations, 2);
    let found: BTreeSet<_> = r.hits.iter().map(|h| h.message_id).collect();
    assert_eq!(found, BTreeSet::from([a.message.id, b.message.id]));

    let r = store.search_messages(&search("sofa orders")).await.unwrap();
    assert_eq!(r.total_conversations, 1);
    assert_eq!(r.hits[0].message_id, b.message.id);

    let r = store.search_messages(&search("123456")).await.unwrap();
    assert_eq!(r.total_conversations, 1, "numbers are found exactly");
    assert_eq!(r.hits[0].message_id, n.message.id);
    assert_eq!(
        store
            .search_messages(&search("12345"))
            .await
            .unwrap()
            .total_conversations,
        0
    );
}

pub async fn search_one_hit_per_conversation_newest_first(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let a1 = ingest(&*store, acc.id, "a", "a1", "заказ номер один").await;
    let b1 = ingest(&*store, acc.id, "b", "b1", "где заказ").await;
    ingest(&*store, acc.id, "a", "a2", "другая тема").await;
    let a3 = ingest(&*store, acc.id, "a", "a3", "ещё про заказы").await;
    // An outbound reply counts too.
    let b2 = store
        .enqueue_outbound(outbound(
            b1.conversation.id,
            Author::Bot,
            "Ваш заказ в пути",
        ))
        .await
        .unwrap()
        .message;

    let r = store.search_messages(&search("заказ")).await.unwrap();
    assert_eq!(r.total_conversations, 2);
    assert_eq!(r.hits.len(), 2, "one hit per conversation");
    assert_eq!(
        r.hits[0].message_id, b2.id,
        "conversation b has the newest match"
    );
    assert_eq!(r.hits[0].conversation_id, b1.conversation.id);
    assert_eq!(r.hits[0].text, "Ваш заказ в пути");
    assert_eq!(
        r.hits[1].message_id, a3.message.id,
        "a's newest matching message"
    );
    assert_eq!(r.hits[1].conversation_id, a1.conversation.id);

    // A new match in a moves it to the front.
    let a4 = ingest(&*store, acc.id, "a", "a4", "заказ отменён").await;
    let r = store.search_messages(&search("заказ")).await.unwrap();
    assert_eq!(
        r.hits.iter().map(|h| h.message_id).collect::<Vec<_>>(),
        vec![a4.message.id, b2.id]
    );
    // Newer non-matching messages do not count.
    ingest(&*store, acc.id, "b", "b3", "спасибо").await;
    let r = store.search_messages(&search("заказ")).await.unwrap();
    assert_eq!(r.hits[0].message_id, a4.message.id);
}

pub async fn search_filters_by_lead_and_account(store: Arc<dyn Store>) {
    let a = account(&*store, "A").await;
    let b = account(&*store, "B").await;
    let x = ingest(&*store, a.id, "x", "x1", "возврат товара")
        .await
        .conversation
        .id;
    let y = ingest(&*store, a.id, "y", "y1", "оформить возврат")
        .await
        .conversation
        .id;
    let z = ingest(&*store, b.id, "z", "z1", "возврат денег")
        .await
        .conversation
        .id;
    store
        .change_lead(LeadChange {
            conversation_id: y,
            to: Lead::Operator,
            reason: HandoffReason::CustomerAsked,
            actor: Author::Bot,
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    let convs = |r: &SearchResults| {
        r.hits
            .iter()
            .map(|h| h.conversation_id)
            .collect::<BTreeSet<_>>()
    };

    let all = store.search_messages(&search("возврат")).await.unwrap();
    assert_eq!(all.total_conversations, 3);
    assert_eq!(convs(&all), BTreeSet::from([x, y, z]));

    let q = |lead, accounts| SearchQuery {
        lead,
        account_ids: accounts,
        ..search("возврат")
    };
    let r = store
        .search_messages(&q(Some(Lead::Operator), None))
        .await
        .unwrap();
    assert_eq!(
        (r.total_conversations, convs(&r)),
        (1, BTreeSet::from([y])),
        "the current lead counts"
    );
    let r = store
        .search_messages(&q(Some(Lead::Bot), None))
        .await
        .unwrap();
    assert_eq!(
        (r.total_conversations, convs(&r)),
        (2, BTreeSet::from([x, z]))
    );
    let r = store
        .search_messages(&q(None, Some(vec![b.id])))
        .await
        .unwrap();
    assert_eq!((r.total_conversations, convs(&r)), (1, BTreeSet::from([z])));
    let r = store
        .search_messages(&q(None, Some(vec![a.id, b.id])))
        .await
        .unwrap();
    assert_eq!(r.total_conversations, 3);
    let r = store
        .search_messages(&q(Some(Lead::Bot), Some(vec![a.id])))
        .await
        .unwrap();
    assert_eq!((r.total_conversations, convs(&r)), (1, BTreeSet::from([x])));
    let r = store.search_messages(&q(None, Some(vec![]))).await.unwrap();
    assert_eq!(
        (r.total_conversations, r.hits.len()),
        (0, 0),
        "no accounts: nothing"
    );
}

pub async fn search_pages_with_limit_and_offset(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let mut newest_first = Vec::new();
    for i in 0..5 {
        let got = ingest(
            &*store,
            acc.id,
            &format!("c{i}"),
            &format!("m{i}"),
            "нужна доставка",
        )
        .await;
        newest_first.insert(0, got.message.id);
        ingest(&*store, acc.id, &format!("c{i}"), &format!("n{i}"), "шум").await;
    }
    let page = |limit, offset| {
        let store = store.clone();
        async move {
            store
                .search_messages(&SearchQuery {
                    limit,
                    offset,
                    ..search("доставку")
                })
                .await
                .unwrap()
        }
    };
    let r = page(2, 0).await;
    assert_eq!(r.total_conversations, 5, "the total ignores paging");
    assert_eq!(
        r.hits.iter().map(|h| h.message_id).collect::<Vec<_>>(),
        newest_first[0..2].to_vec()
    );
    let r = page(2, 2).await;
    assert_eq!(r.total_conversations, 5);
    assert_eq!(
        r.hits.iter().map(|h| h.message_id).collect::<Vec<_>>(),
        newest_first[2..4].to_vec()
    );
    let r = page(2, 4).await;
    assert_eq!(
        r.hits.iter().map(|h| h.message_id).collect::<Vec<_>>(),
        newest_first[4..5].to_vec()
    );
    let r = page(2, 10).await;
    assert_eq!(
        (r.total_conversations, r.hits.len()),
        (5, 0),
        "past the end: no hits, same total"
    );
}

pub async fn search_hostile_or_empty_queries_are_harmless(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let m = ingest(&*store, acc.id, "c1", "m1", "a or b").await.message;
    ingest(&*store, acc.id, "c2", "m2", "совсем другое").await;

    // Terms are matched as plain words, never as query syntax.
    let r = store
        .search_messages(&search(r#""a" OR b*"#))
        .await
        .unwrap();
    assert_eq!(r.total_conversations, 1);
    assert_eq!(r.hits[0].message_id, m.id);
    for raw in [
        r#""a" OR b*"#,
        "a\"",
        "\"",
        "*",
        "NEAR(a b)",
        "search_terms:a",
        "a AND NOT b",
        "(",
        "^a",
        "' OR 1=1 --",
        "\\",
        "a\u{0}b",
    ] {
        let q = SearchQuery {
            terms: vec![raw.to_string()],
            limit: 10,
            ..SearchQuery::default()
        };
        let r = store.search_messages(&q).await;
        assert!(r.is_ok(), "raw term {raw:?} failed: {r:?}");
    }
    let r = store
        .search_messages(&SearchQuery {
            terms: vec![],
            limit: 10,
            ..SearchQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (r.total_conversations, r.hits.len()),
        (0, 0),
        "empty terms match nothing"
    );
    let r = store.search_messages(&search("   ")).await.unwrap();
    assert_eq!((r.total_conversations, r.hits.len()), (0, 0));
    let r = store
        .search_messages(&search("несуществующееслово"))
        .await
        .unwrap();
    assert_eq!((r.total_conversations, r.hits.len()), (0, 0));
}
