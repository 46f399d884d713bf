//! PostgreSQL-specific behaviour beyond the shared conformance suite: tsquery safety with hostile
//! input, event order under heavy mixed concurrency, URL handling, and a clear failure when the
//! server is unreachable.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use frontline_domain::*;
use frontline_store::*;
use frontline_store_postgres::PgStore;
use frontline_store_postgres::testing::{admin_url, fresh_database};

async fn store() -> Arc<PgStore> {
    Arc::new(
        PgStore::connect(&fresh_database(&admin_url()).await)
            .await
            .unwrap(),
    )
}

async fn account(store: &PgStore) -> AccountId {
    store
        .create_account(NewAccount {
            kind: AccountKind::Api,
            name: "api".into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: None,
            sealed_secrets: None,
        })
        .await
        .unwrap()
        .id
}

fn inbound(account: AccountId, chat: &str, id: &str, text: &str) -> InboundMessage {
    InboundMessage {
        account_id: account,
        external_chat_id: chat.into(),
        external_message_id: id.into(),
        customer: CustomerProfile {
            external_id: format!("cust-{chat}"),
            ..CustomerProfile::default()
        },
        listing: None,
        text: text.into(),
        attachments: Vec::new(),
        quote: None,
        link: None,
        sent_at: None,
    }
}

fn raw(terms: &[&str]) -> SearchQuery {
    SearchQuery {
        terms: terms.iter().map(|t| t.to_string()).collect(),
        limit: 10,
        ..SearchQuery::default()
    }
}

async fn hits(store: &PgStore, terms: &[&str]) -> BTreeSet<MessageId> {
    let r = store
        .search_messages(&raw(terms))
        .await
        .unwrap_or_else(|e| panic!("{terms:?}: {e}"));
    assert_eq!(r.total_conversations as usize, r.hits.len(), "{terms:?}");
    r.hits.iter().map(|h| h.message_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tsquery_operators_in_terms_are_plain_text() {
    let store = store().await;
    let acc = account(&store).await;
    let order = store
        .ingest_inbound(inbound(acc, "c1", "m1", "где мой заказ"))
        .await
        .unwrap()
        .message
        .id;
    let other = store
        .ingest_inbound(inbound(acc, "c2", "m2", "совсем другое"))
        .await
        .unwrap()
        .message
        .id;
    let t = |s: &str| frontline_text::term(s);
    let order_term = t("заказ");
    let none = BTreeSet::new();
    let only_order = BTreeSet::from([order]);

    // `|` is no OR, `!` no NOT, `:*` no prefix, `<->` no phrase operator: every term stays a word
    // that must occur.
    assert_eq!(
        hits(&store, &[&format!("{order_term} | {}", t("другое"))]).await,
        none
    );
    assert_eq!(hits(&store, &[&format!("!{order_term}")]).await, only_order);
    assert_eq!(hits(&store, &["!нет"]).await, none, "no negation");
    assert_eq!(hits(&store, &["зак:*"]).await, none, "no prefix match");
    assert_eq!(
        hits(&store, &[&format!("{order_term}:*")]).await,
        only_order
    );
    assert_eq!(
        hits(&store, &[&format!("где <-> {order_term}")]).await,
        only_order
    );
    assert_eq!(
        hits(&store, &[&format!("{order_term}:A")]).await,
        none,
        "`a` is a word here"
    );
    assert_eq!(
        hits(&store, &[&t("совсем"), &t("другое")]).await,
        BTreeSet::from([other])
    );
    for hostile in [
        "'",
        "''",
        "'' & ''",
        "x' OR '1'='1",
        "'; DROP TABLE messages; --",
        "$1",
        "\\'",
        "&",
        "|",
        "!",
        "!!",
        "(",
        ")",
        "<->",
        "<2>",
        ":*",
        "\u{0}",
        "заказ\u{0}",
        "\u{FEFF}",
        "🙂",
    ] {
        let r = store.search_messages(&raw(&[hostile])).await;
        assert!(r.is_ok(), "{hostile:?}: {r:?}");
        let r = r.unwrap();
        assert!(r.total_conversations <= 1, "{hostile:?} matched everything");
    }
    // A term far beyond PostgreSQL's 2 KB lexeme limit is ignored, not an error.
    let long = "я".repeat(5_000);
    store.search_messages(&raw(&[&long])).await.unwrap();
    store
        .ingest_inbound(inbound(acc, "c3", "m3", &long))
        .await
        .unwrap();
    // Nothing above broke the table.
    assert_eq!(hits(&store, &[&order_term]).await, only_order);
}

/// Many writers of every kind at once, and a reader tailing the log the way the realtime stream
/// does: it must see every event exactly once, in seq order, and when it sees an event the change it
/// names must already be readable (same transaction).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tailing_reader_never_skips_events_under_mixed_concurrent_writers() {
    const WRITERS: usize = 12;
    const ROUNDS: usize = 15;
    let store = store().await;
    let acc = account(&store).await;
    let op = store
        .create_operator(NewOperator {
            login: Login::parse("anna").unwrap(),
            display_name: "Anna".into(),
            role: Role::Operator,
            password_hash: "h".into(),
        })
        .await
        .unwrap()
        .id;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let tailer = {
        let store = store.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut seen: Vec<Event> = Vec::new();
            let mut after = Seq(0);
            loop {
                // Read the flag before the batch: once writers are done and a batch is empty,
                // everything has been seen.
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let batch = store.events_after(after, 37).await.unwrap();
                if batch.is_empty() {
                    if finished {
                        break;
                    }
                    tokio::task::yield_now().await;
                    continue;
                }
                for e in batch {
                    assert!(e.seq > after, "events_after went backwards");
                    if let Some(m) = e.message_id {
                        assert!(
                            store.message(m).await.unwrap().is_some(),
                            "event {e:?} visible before its message"
                        );
                    }
                    if let Some(h) = e.handoff_id {
                        assert!(store.handoff(h).await.unwrap().is_some());
                    }
                    after = e.seq;
                    seen.push(e);
                }
            }
            seen
        })
    };

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for r in 0..ROUNDS {
                let chat = format!("chat-{}", (w + r) % 5);
                let ingested = store
                    .ingest_inbound(inbound(acc, &chat, &format!("w{w}r{r}"), "привет"))
                    .await
                    .unwrap();
                let c = ingested.conversation.id;
                match (w + r) % 4 {
                    0 => {
                        let author = if w % 2 == 0 {
                            Author::Operator(op)
                        } else {
                            Author::Bot
                        };
                        let r = store
                            .enqueue_outbound(OutboundMessage {
                                conversation_id: c,
                                author,
                                text: "ответ".into(),
                                attachments: Vec::new(),
                            })
                            .await;
                        // The bot is refused where an operator took the lead: fine here.
                        assert!(matches!(r, Ok(_) | Err(StoreError::Conflict(_))), "{r:?}");
                    }
                    1 => {
                        store.assign(c, Some(op)).await.unwrap();
                    }
                    2 => {
                        store.mark_read(c).await.unwrap();
                    }
                    _ => {
                        store
                            .import_messages(vec![ImportedMessage {
                                account_id: acc,
                                external_chat_id: format!("import-{w}-{r}"),
                                external_message_id: format!("i{w}r{r}"),
                                customer: CustomerProfile {
                                    external_id: format!("ic{w}"),
                                    ..CustomerProfile::default()
                                },
                                listing: None,
                                author: Author::Customer,
                                text: "история".into(),
                                attachments: Vec::new(),
                                quote: None,
                                link: None,
                                sent_at: Timestamp::now(),
                            }])
                            .await
                            .unwrap();
                    }
                }
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = tokio::time::timeout(Duration::from_secs(120), tailer)
        .await
        .expect("tailer finished")
        .unwrap();

    let all = store.events_after(Seq(0), 1_000_000).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(all.len() > WRITERS * ROUNDS * 3, "{} events", all.len());
    assert_eq!(
        seen.iter().map(|e| e.seq).collect::<Vec<_>>(),
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        "the tailing reader skipped or repeated events"
    );
}

#[tokio::test]
async fn connect_rejects_other_schemes() {
    for url in ["sqlite://x.db", "mysql://h/db", "", "postgres:/nope"] {
        let r = PgStore::connect(url).await;
        assert!(matches!(r, Err(StoreError::Backend(_))), "{url}");
    }
}

#[tokio::test]
#[should_panic(expected = "cannot connect to PostgreSQL for tests")]
async fn unreachable_server_fails_the_test_clearly() {
    // Port 9 (discard) on localhost: nothing listens there.
    fresh_database("postgres://postgres@127.0.0.1:9/postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_twice_migrates_once() {
    let url = fresh_database(&admin_url()).await;
    let (a, b) = tokio::join!(PgStore::connect(&url), PgStore::connect(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    a.ping().await.unwrap();
    let acc = account(&a).await;
    assert_eq!(b.account(acc).await.unwrap().unwrap().id, acc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_cannot_write_into_an_operator_led_conversation() {
    let store = store().await;
    let acc = account(&store).await;
    let c = store
        .ingest_inbound(inbound(acc, "c1", "m1", "позовите человека"))
        .await
        .unwrap()
        .conversation
        .id;
    store
        .change_lead(LeadChange {
            conversation_id: c,
            to: Lead::Operator,
            reason: HandoffReason::CustomerAsked,
            actor: Author::Bot,
            context: HandoffContext::default(),
        })
        .await
        .unwrap();
    let before = store.event_bounds().await.unwrap().latest;
    let jobs = store.count_jobs(JobKind::Deliver).await.unwrap();
    let r = store
        .enqueue_outbound(OutboundMessage {
            conversation_id: c,
            author: Author::Bot,
            text: "я бот".into(),
            attachments: Vec::new(),
        })
        .await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    assert_eq!(store.event_bounds().await.unwrap().latest, before);
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), jobs);
    assert_eq!(store.list_messages(c, None, 10).await.unwrap().len(), 1);
}
