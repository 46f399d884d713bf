//! Conformance checks: the event log: order, limits, pruning, and seq order under concurrent writers.

use super::*;

pub async fn events_after_orders_and_limits(store: Arc<dyn Store>) {
    assert_eq!(store.event_bounds().await.unwrap(), EventBounds::default());
    assert!(all_events(&*store).await.is_empty());
    let acc = account(&*store, "a").await;
    let before = Timestamp::now();
    let m1 = ingest(&*store, acc.id, "chat", "m1", "a").await.message;
    let m2 = ingest(&*store, acc.id, "chat", "m2", "b").await.message;
    let m3 = ingest(&*store, acc.id, "chat", "m3", "c").await.message;
    let after = Timestamp::now();
    let all = all_events(&*store).await;
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "seq order");
    assert!(
        all.iter()
            .all(|e| before <= e.created_at && e.created_at <= after)
    );
    let created: Vec<_> = all
        .iter()
        .filter(|e| e.kind == EventKind::MessageCreated)
        .map(|e| e.message_id.unwrap())
        .collect();
    assert_eq!(created, vec![m1.id, m2.id, m3.id]);

    let first = store.events_after(Seq(0), 3).await.unwrap();
    assert_eq!(first, all[0..3].to_vec());
    let rest = store.events_after(first[2].seq, 100).await.unwrap();
    assert_eq!(rest, all[3..].to_vec());
    let middle = store.events_after(all[1].seq, 2).await.unwrap();
    assert_eq!(middle, all[2..4].to_vec());
    assert!(store.events_after(all[6].seq, 10).await.unwrap().is_empty());
    assert_eq!(
        store.event_bounds().await.unwrap(),
        EventBounds {
            latest: all[6].seq,
            pruned_through: Seq(0)
        }
    );
}

pub async fn concurrent_ingests_keep_seq_in_commit_order(store: Arc<dyn Store>) {
    const TASKS: usize = 8;
    const PER_TASK: usize = 25;
    const CHATS: usize = 4;
    // Per message: message.created + conversation.updated; per chat: conversation.created.
    const EXPECTED: usize = TASKS * PER_TASK * 2 + CHATS;
    let acc = account(&*store, "a").await.id;

    // A reader tails the log while the writers run, as the realtime stream does. If an event with a
    // smaller seq could commit after one with a larger seq, the tailer would step over it for good.
    let tailer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut seen: Vec<Event> = Vec::new();
            let mut after = Seq(0);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while seen.len() < EXPECTED && tokio::time::Instant::now() < deadline {
                let batch = store.events_after(after, 50).await.unwrap();
                if batch.is_empty() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                for e in batch {
                    assert!(e.seq > after, "events_after went backwards");
                    after = e.seq;
                    seen.push(e);
                }
            }
            seen
        })
    };

    let mut writers = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..PER_TASK {
                let chat = format!("chat-{}", (t + i) % CHATS);
                ingest(
                    &*store,
                    acc,
                    &chat,
                    &format!("t{t}-m{i}"),
                    &format!("сообщение {t} {i}"),
                )
                .await;
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let seen = tailer.await.unwrap();

    let all = all_events(&*store).await;
    assert_eq!(all.len(), EXPECTED);
    assert!(
        all.windows(2).all(|w| w[0].seq < w[1].seq),
        "strictly increasing, no duplicates"
    );
    let message_ids: HashSet<MessageId> = all
        .iter()
        .filter(|e| e.kind == EventKind::MessageCreated)
        .map(|e| e.message_id.unwrap())
        .collect();
    assert_eq!(
        message_ids.len(),
        TASKS * PER_TASK,
        "one message.created per message"
    );
    assert_eq!(
        all.iter()
            .filter(|e| e.kind == EventKind::ConversationCreated)
            .count(),
        CHATS
    );
    assert_eq!(seen, all, "the tailer saw every event, in order");

    // Each conversation's events are well formed: created first, then message/updated pairs.
    let mut unread = 0;
    let page = store
        .list_conversations(&ConversationFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    for v in &page.items {
        let own: Vec<_> = all
            .iter()
            .filter(|e| e.conversation_id == v.conversation.id)
            .collect();
        assert_eq!(own[0].kind, EventKind::ConversationCreated);
        unread += v.conversation.unread_count;
    }
    assert_eq!(
        unread as usize,
        TASKS * PER_TASK,
        "no lost updates of unread counts"
    );
}

pub async fn prune_events_keeps_latest_and_advances_bound(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    assert_eq!(
        store
            .prune_events(Timestamp::now().plus(secs(3600)))
            .await
            .unwrap(),
        0,
        "empty log"
    );
    ingest(&*store, acc.id, "chat", "m1", "a").await;
    ingest(&*store, acc.id, "chat", "m2", "b").await;
    let old = all_events(&*store).await;
    assert_eq!(old.len(), 5);
    // Make sure the next events are strictly younger than the cutoff.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = Timestamp::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    ingest(&*store, acc.id, "chat", "m3", "c").await;
    let young = events_since(&*store, old[4].seq).await;
    assert_eq!(young.len(), 2);

    assert_eq!(
        store.prune_events(old[0].created_at).await.unwrap(),
        0,
        "nothing older than the oldest"
    );
    assert_eq!(store.event_bounds().await.unwrap().pruned_through, Seq(0));

    assert_eq!(store.prune_events(cutoff).await.unwrap(), 5);
    assert_eq!(
        all_events(&*store).await,
        young,
        "only the young events remain"
    );
    let bounds = store.event_bounds().await.unwrap();
    assert_eq!(bounds.latest, young[1].seq);
    assert!(
        bounds.pruned_through >= old[4].seq,
        "every pruned seq is covered: {bounds:?}"
    );
    assert!(
        bounds.pruned_through < young[0].seq,
        "no kept seq is covered: {bounds:?}"
    );

    // Pruning everything still keeps the latest event, so `latest` never goes back.
    assert_eq!(
        store
            .prune_events(Timestamp::now().plus(secs(3600)))
            .await
            .unwrap(),
        1
    );
    let remaining = all_events(&*store).await;
    assert_eq!(remaining, vec![young[1].clone()]);
    let bounds = store.event_bounds().await.unwrap();
    assert_eq!(bounds.latest, young[1].seq);
    assert!(bounds.pruned_through >= young[0].seq && bounds.pruned_through < young[1].seq);
    assert_eq!(
        store
            .prune_events(Timestamp::now().plus(secs(3600)))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.event_bounds().await.unwrap(),
        bounds,
        "pruned_through never goes back"
    );

    // New events continue above everything ever appended.
    ingest(&*store, acc.id, "chat", "m4", "d").await;
    let next = events_since(&*store, young[1].seq).await;
    assert_eq!(next.len(), 2);
    assert!(next[0].seq > young[1].seq);
}
