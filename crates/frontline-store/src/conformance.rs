//! The one storage test suite. Every backend instantiates it unchanged with
//! [`conformance_suite!`](crate::conformance_suite), passing an async expression that yields a fresh,
//! empty, migrated store (its own database) for each test.
//!
//! Each check is a plain `async fn(Arc<dyn Store>)` so that a failure points at one behaviour of the
//! contract in `lib.rs`; the macro turns each into a `#[tokio::test]`. The checks use nothing but the
//! [`Store`] trait: no SQL, no backend specifics.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use frontline_domain::*;

use crate::*;

/// Instantiate every conformance check as a test. `$fresh` is an async expression evaluating to
/// `Arc<dyn Store>`, evaluated once per test.
#[macro_export]
macro_rules! conformance_suite {
    ($fresh:expr) => {
        $crate::conformance_suite!(@tests $fresh;
            operators_and_sessions,
            operators_crud,
            operator_sessions_are_deleted_together,
            accounts_crud,
            account_with_conversations_cannot_be_deleted,
            ingest_creates_customer_conversation_message_events_and_bot_job,
            duplicate_delivery_creates_nothing,
            second_message_reuses_conversation,
            ingest_updates_customer_profile_and_listing,
            inbound_reopens_resolved_conversation,
            bot_may_not_write_into_an_operator_led_conversation,
            outbound_by_bot_is_queued_without_takeover,
            outbound_by_operator_takes_over_bot_led_conversation,
            change_lead_records_handoffs_both_ways,
            change_lead_to_current_lead_conflicts,
            assign_and_unassign,
            set_status_appends_events_only_on_change,
            mark_read_resets_unread,
            set_intent_and_slots_round_trip,
            unknown_ids_are_not_found,
            list_conversations_filters,
            list_conversations_pages_with_cursor,
            list_messages_pages_backwards,
            claim_jobs_leases,
            claim_jobs_limit_order_and_counts,
            concurrent_claims_never_share_a_job,
            delivery_succeeded_marks_sent,
            delivery_failed_retries_then_fails,
            retry_message_only_for_failed_outbound,
            set_delivery_status_records_receipts,
            stale_delivery_reports_are_rejected,
            events_after_orders_and_limits,
            concurrent_ingests_keep_seq_in_commit_order,
            prune_events_keeps_latest_and_advances_bound,
            search_russian_morphology,
            search_english_stems_and_all_terms,
            search_one_hit_per_conversation_newest_first,
            search_filters_by_lead_and_account,
            search_pages_with_limit_and_offset,
            search_hostile_or_empty_queries_are_harmless,
            import_is_idempotent_and_queues_nothing,
            import_updates_existing_conversation,
            quick_replies_crud_and_visibility,
            operator_preferences_default_save_and_isolation,
            kb_categories_upsert_and_order,
            kb_category_delete_not_found_and_conflict,
            kb_article_upsert_versions_and_tags,
            kb_articles_list_filter_and_delete,
            kb_import_counts_and_is_atomic,
            decisions_round_trip_and_list,
            decision_counts_group_order_and_since,
            voice_turns_round_trip_in_turn_order,
            voice_turn_recorded_twice_conflicts,
            conversation_voice_turns_group_calls,
            workflows_create_update_and_list,
            workflow_publish_numbering_and_rollback,
            concurrent_publishes_get_distinct_versions,
            workflow_delete_conflicts_while_in_use,
            account_workflow_set_and_clear,
            flow_states_save_clear_and_count,
            integrations_upsert_list_and_delete,
            accounts_keep_channel_settings_and_sealed_secrets,
            channel_deliveries_lease_retry_and_finish,
            channel_deliveries_limit_order_and_accounts,
            concurrent_delivery_claims_never_share_a_delivery,
            external_sends_are_idempotent_and_exclusive,
            message_by_external_id_finds_own_ids_and_sends,
            conversation_by_external_chat_finds_the_chat,
            external_reply_takes_the_lead_from_the_bot,
            external_reply_is_idempotent_and_needs_a_conversation,
            media_round_trip_with_bytes,
            import_records_outbound_authors_and_skips_echoes,
        );
    };
    (@tests $fresh:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: std::sync::Arc<dyn $crate::Store> = $fresh.await;
                $crate::conformance::$name(store).await;
            }
        )+
    };
}

// ---- fixtures -----------------------------------------------------------------------------------

pub async fn operator(store: &dyn Store, login: &str, role: Role) -> Operator {
    store
        .create_operator(NewOperator {
            login: Login::parse(login).unwrap(),
            display_name: format!("{login} display"),
            role,
            password_hash: "hash".into(),
        })
        .await
        .unwrap()
}

pub async fn account(store: &dyn Store, name: &str) -> Account {
    store
        .create_account(NewAccount {
            kind: AccountKind::Api,
            name: name.into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: None,
            sealed_secrets: None,
        })
        .await
        .unwrap()
}

/// An inbound message in chat `chat` from customer `cust-<chat>`.
pub fn inbound(account: AccountId, chat: &str, external_id: &str, text: &str) -> InboundMessage {
    InboundMessage {
        account_id: account,
        external_chat_id: chat.into(),
        external_message_id: external_id.into(),
        customer: CustomerProfile {
            external_id: format!("cust-{chat}"),
            ..CustomerProfile::default()
        },
        listing: None,
        text: text.into(),
        attachments: Vec::new(),
        sent_at: None,
    }
}

/// Ingest a text message; returns the result.
pub async fn ingest(
    store: &dyn Store,
    account: AccountId,
    chat: &str,
    external_id: &str,
    text: &str,
) -> Ingested {
    store
        .ingest_inbound(inbound(account, chat, external_id, text))
        .await
        .unwrap()
}

/// An outbound message.
pub fn outbound(conversation: ConversationId, author: Author, text: &str) -> OutboundMessage {
    OutboundMessage {
        conversation_id: conversation,
        author,
        text: text.into(),
        attachments: Vec::new(),
    }
}

/// Every event in the log, oldest first.
pub async fn all_events(store: &dyn Store) -> Vec<Event> {
    store.events_after(Seq(0), 1_000_000).await.unwrap()
}

/// The events appended after `after`.
pub async fn events_since(store: &dyn Store, after: Seq) -> Vec<Event> {
    store.events_after(after, 1_000_000).await.unwrap()
}

pub async fn latest_seq(store: &dyn Store) -> Seq {
    store.event_bounds().await.unwrap().latest
}

pub fn kinds(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind).collect()
}

pub async fn view(store: &dyn Store, id: ConversationId) -> ConversationView {
    store
        .conversation(id)
        .await
        .unwrap()
        .expect("conversation exists")
}

pub fn assert_not_found<T: std::fmt::Debug>(what: &str, r: Result<T>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(_))),
        "{what}: expected NotFound, got {r:?}"
    );
}

pub fn assert_conflict<T: std::fmt::Debug>(what: &str, r: Result<T>) {
    assert!(
        matches!(r, Err(StoreError::Conflict(_))),
        "{what}: expected Conflict, got {r:?}"
    );
}

/// The search terms of a user's query, as callers build them.
pub fn search(q: &str) -> SearchQuery {
    SearchQuery {
        terms: frontline_text::query_terms(q),
        limit: 50,
        ..SearchQuery::default()
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ids_of(page: &[ConversationView]) -> Vec<ConversationId> {
    page.iter().map(|v| v.conversation.id).collect()
}

fn set_of(ids: &[ConversationId]) -> BTreeSet<ConversationId> {
    ids.iter().copied().collect()
}

// ---- operators, sessions, accounts --------------------------------------------------------------

pub async fn operators_and_sessions(store: Arc<dyn Store>) {
    assert_eq!(store.count_operators().await.unwrap(), 0);
    let anna = operator(&*store, "anna", Role::Admin).await;
    assert_eq!(anna.login, "anna");
    assert!(anna.active);
    assert_eq!(store.count_operators().await.unwrap(), 1);
    let dup = store
        .create_operator(NewOperator {
            login: Login::parse("Anna").unwrap(),
            display_name: "x".into(),
            role: Role::Operator,
            password_hash: "h".into(),
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

    let now = Timestamp::now();
    store
        .create_session(
            "tokhash",
            anna.id,
            now.plus(std::time::Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let who = store
        .session_operator("tokhash", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.id, anna.id);
    // Expired sessions do not authenticate.
    let later = now.plus(std::time::Duration::from_secs(120));
    assert!(
        store
            .session_operator("tokhash", later)
            .await
            .unwrap()
            .is_none()
    );
    // Deactivated operators do not authenticate.
    store
        .update_operator(
            anna.id,
            OperatorPatch {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        store
            .session_operator("tokhash", now)
            .await
            .unwrap()
            .is_none()
    );
    store.delete_session("tokhash").await.unwrap();
    store.delete_session("tokhash").await.unwrap();
}

pub async fn operators_crud(store: Arc<dyn Store>) {
    let bob = operator(&*store, "bob", Role::Operator).await;
    let anna = operator(&*store, "anna", Role::Admin).await;
    assert!(bob.id < anna.id);
    assert_eq!(bob.display_name, "bob display");
    assert_eq!(bob.role, Role::Operator);
    assert_eq!(bob.password_hash, "hash");

    let listed = store.list_operators().await.unwrap();
    assert_eq!(listed, vec![bob.clone(), anna.clone()], "ordered by id");
    assert_eq!(store.operator(anna.id).await.unwrap(), Some(anna.clone()));
    assert_eq!(
        store.operator_by_login("bob").await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.operator_by_login("nobody").await.unwrap(), None);

    let patched = store
        .update_operator(
            bob.id,
            OperatorPatch {
                display_name: Some("Боб".into()),
                role: Some(Role::Admin),
                password_hash: Some("new-hash".into()),
                active: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.display_name, "Боб");
    assert_eq!(patched.role, Role::Admin);
    assert_eq!(patched.password_hash, "new-hash");
    assert!(patched.active, "fields left out of the patch are kept");
    assert_eq!(patched.login, "bob");
    assert_eq!(patched.created_at, bob.created_at);
    assert_eq!(store.operator(bob.id).await.unwrap(), Some(patched.clone()));

    // An empty patch changes nothing.
    let same = store
        .update_operator(bob.id, OperatorPatch::default())
        .await
        .unwrap();
    assert_eq!(same, patched);
    assert_eq!(store.count_operators().await.unwrap(), 2);
}

pub async fn operator_sessions_are_deleted_together(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let now = Timestamp::now();
    let until = now.plus(secs(3600));
    store.create_session("a1", anna.id, until).await.unwrap();
    store.create_session("a2", anna.id, until).await.unwrap();
    store.create_session("b1", bob.id, until).await.unwrap();
    assert_eq!(
        store
            .session_operator("a2", now)
            .await
            .unwrap()
            .map(|o| o.id),
        Some(anna.id)
    );

    store.delete_operator_sessions(anna.id).await.unwrap();
    store.delete_operator_sessions(anna.id).await.unwrap();
    assert!(store.session_operator("a1", now).await.unwrap().is_none());
    assert!(store.session_operator("a2", now).await.unwrap().is_none());
    assert_eq!(
        store
            .session_operator("b1", now)
            .await
            .unwrap()
            .map(|o| o.id),
        Some(bob.id)
    );

    store.delete_session("b1").await.unwrap();
    assert!(store.session_operator("b1", now).await.unwrap().is_none());
    assert!(
        store
            .session_operator("never-issued", now)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn accounts_crud(store: Arc<dyn Store>) {
    assert!(store.list_accounts().await.unwrap().is_empty());
    let api = store
        .create_account(NewAccount {
            kind: AccountKind::Api,
            name: "Сайт".into(),
            callback_url: Some("http://127.0.0.1:9/hook".into()),
            inbound_token_hash: Some("abc123".into()),
            settings: None,
            sealed_secrets: None,
        })
        .await
        .unwrap();
    assert_eq!(api.kind, AccountKind::Api);
    assert_eq!(api.name, "Сайт");
    assert!(api.enabled, "new accounts are enabled");
    assert_eq!(api.callback_url.as_deref(), Some("http://127.0.0.1:9/hook"));
    assert_eq!(api.inbound_token_hash.as_deref(), Some("abc123"));
    let avito = store
        .create_account(NewAccount {
            kind: AccountKind::Avito,
            name: "Avito".into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: None,
            sealed_secrets: None,
        })
        .await
        .unwrap();
    assert_eq!(store.account(api.id).await.unwrap(), Some(api.clone()));
    assert_eq!(
        store.list_accounts().await.unwrap(),
        vec![api.clone(), avito.clone()]
    );

    let patched = store
        .update_account(
            api.id,
            AccountPatch {
                name: Some("Сайт 2".into()),
                enabled: Some(false),
                callback_url: Some(None),
                inbound_token_hash: None,
                settings: None,
                sealed_secrets: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.name, "Сайт 2");
    assert!(!patched.enabled);
    assert_eq!(patched.callback_url, None, "Some(None) clears");
    assert_eq!(
        patched.inbound_token_hash.as_deref(),
        Some("abc123"),
        "None keeps"
    );
    assert_eq!(patched.kind, AccountKind::Api);
    assert_eq!(store.account(api.id).await.unwrap(), Some(patched.clone()));
    let patched = store
        .update_account(
            api.id,
            AccountPatch {
                callback_url: Some(Some("http://127.0.0.1:9/new".into())),
                inbound_token_hash: Some(Some("def".into())),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        patched.callback_url.as_deref(),
        Some("http://127.0.0.1:9/new")
    );
    assert_eq!(patched.inbound_token_hash.as_deref(), Some("def"));
    assert_eq!(patched.name, "Сайт 2");
    assert!(!patched.enabled);

    store.delete_account(avito.id).await.unwrap();
    assert_eq!(store.account(avito.id).await.unwrap(), None);
    assert_eq!(store.list_accounts().await.unwrap(), vec![patched]);
    assert_not_found(
        "delete deleted account",
        store.delete_account(avito.id).await,
    );
}

pub async fn account_with_conversations_cannot_be_deleted(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    ingest(&*store, acc.id, "chat", "m1", "hello").await;
    assert_conflict(
        "delete account with history",
        store.delete_account(acc.id).await,
    );
    assert!(
        store.account(acc.id).await.unwrap().is_some(),
        "still there"
    );
    // Disabling is the way out, and it keeps the history.
    let disabled = store
        .update_account(
            acc.id,
            AccountPatch {
                enabled: Some(false),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(!disabled.enabled);
    let page = store
        .list_conversations(&ConversationFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

// ---- the conversation lifecycle -----------------------------------------------------------------

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

// ---- lists --------------------------------------------------------------------------------------

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
                    (c.last_message.as_ref().map_or(c.created_at, |m| m.at), c.id)
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

// ---- jobs ---------------------------------------------------------------------------------------

pub async fn claim_jobs_leases(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let got = ingest(&*store, acc.id, "chat", "m1", "a").await;
    let now = Timestamp::now().plus(secs(1));
    let lease = secs(30);

    let jobs = store
        .claim_jobs(JobKind::Bot, now, lease, 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let job = jobs[0].clone();
    assert_eq!(job.attempts, 1, "the claim counts as an attempt");
    assert_eq!(job.last_error, None);
    assert_eq!(job.message_id, got.message.id);
    assert!(
        store
            .claim_jobs(JobKind::Deliver, now, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "kinds are separate queues"
    );

    // Leased: nobody else gets it until the lease expires.
    assert!(
        store
            .claim_jobs(JobKind::Bot, now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .claim_jobs(JobKind::Bot, now.plus(secs(29)), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.next_job_at(JobKind::Bot).await.unwrap(),
        Some(now.plus(lease))
    );
    assert_eq!(
        store.count_jobs(JobKind::Bot).await.unwrap(),
        1,
        "a leased job is still pending"
    );

    // A crashed worker's job comes back after the lease.
    let later = now.plus(lease).plus(Duration::from_millis(1));
    let again = store
        .claim_jobs(JobKind::Bot, later, lease, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, job.id);
    assert_eq!(again[0].attempts, 2);

    // Released for a later run, with its error kept.
    let run_at = later.plus(secs(60));
    store
        .retry_job(job.id, run_at, "llm timeout")
        .await
        .unwrap();
    assert_eq!(store.next_job_at(JobKind::Bot).await.unwrap(), Some(run_at));
    assert!(
        store
            .claim_jobs(
                JobKind::Bot,
                run_at.minus(Duration::from_millis(1)),
                lease,
                10
            )
            .await
            .unwrap()
            .is_empty(),
        "not due before run_at"
    );
    let third = store
        .claim_jobs(JobKind::Bot, run_at, lease, 10)
        .await
        .unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].attempts, 3);
    assert_eq!(third[0].last_error.as_deref(), Some("llm timeout"));

    store.complete_job(job.id).await.unwrap();
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
    assert_eq!(store.next_job_at(JobKind::Bot).await.unwrap(), None);
    assert!(
        store
            .claim_jobs(JobKind::Bot, run_at.plus(secs(3600)), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found("complete twice", store.complete_job(job.id).await);
}

pub async fn claim_jobs_limit_order_and_counts(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    assert_eq!(store.next_job_at(JobKind::Bot).await.unwrap(), None);
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
    let before = Timestamp::now();
    let mut messages = Vec::new();
    for i in 0..5 {
        messages.push(
            ingest(
                &*store,
                acc.id,
                &format!("chat-{}", i % 2),
                &format!("m{i}"),
                "a",
            )
            .await
            .message
            .id,
        );
    }
    let after = Timestamp::now();
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 5);
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 0);
    let next = store.next_job_at(JobKind::Bot).await.unwrap().expect("due");
    assert!(before <= next && next <= after, "new jobs are due at once");

    let now = Timestamp::now().plus(secs(1));
    let first = store
        .claim_jobs(JobKind::Bot, now, secs(30), 2)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|j| j.message_id).collect::<Vec<_>>(),
        messages[0..2].to_vec(),
        "oldest first"
    );
    let rest = store
        .claim_jobs(JobKind::Bot, now, secs(30), 10)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|j| j.message_id).collect::<Vec<_>>(),
        messages[2..5].to_vec()
    );
    assert!(
        store
            .claim_jobs(JobKind::Bot, now, secs(30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 5);
    for j in first.iter().chain(&rest) {
        store.complete_job(j.id).await.unwrap();
    }
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
}

pub async fn concurrent_claims_never_share_a_job(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    const JOBS: usize = 40;
    for i in 0..JOBS {
        ingest(
            &*store,
            acc.id,
            &format!("chat-{}", i % 5),
            &format!("m{i}"),
            "a",
        )
        .await;
    }
    let now = Timestamp::now().plus(secs(1));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_jobs(JobKind::Bot, now, secs(60), 3)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|j| j.id));
                // Leases that do not hold would hand the same jobs out forever.
                assert!(
                    mine.len() <= JOBS,
                    "more claims than jobs: leases are not respected"
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
    let distinct: HashSet<JobId> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a job was handed out twice");
    assert_eq!(all.len(), JOBS, "every job was claimed");
}

/// A bot-led conversation with one queued outbound message, and that message's claimed job.
async fn claimed_delivery(store: &dyn Store) -> (Message, Job, Timestamp) {
    let acc = account(store, "a").await;
    let conv = ingest(store, acc.id, "chat", "in-1", "вопрос")
        .await
        .conversation;
    let m = store
        .enqueue_outbound(outbound(conv.id, Author::Bot, "ответ"))
        .await
        .unwrap()
        .message;
    let now = Timestamp::now().plus(secs(1));
    let jobs = store
        .claim_jobs(JobKind::Deliver, now, secs(30), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].message_id, m.id);
    (m, jobs[0].clone(), now)
}

pub async fn delivery_succeeded_marks_sent(store: Arc<dyn Store>) {
    let (m, job, _) = claimed_delivery(&*store).await;
    let seq = latest_seq(&*store).await;
    let sent = store
        .delivery_succeeded(job.id, m.id, Some("ext-out-1".into()))
        .await
        .unwrap();
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(sent.external_id.as_deref(), Some("ext-out-1"));
    assert_eq!(sent.error, None);
    assert_eq!(sent.text, m.text);
    assert_eq!(store.message(m.id).await.unwrap(), Some(sent.clone()));
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        0,
        "the job is gone"
    );
    let events = events_since(&*store, seq).await;
    assert_eq!(kinds(&events), vec![EventKind::MessageUpdated]);
    assert_eq!(events[0].message_id, Some(m.id));
    assert_eq!(events[0].conversation_id, m.conversation_id);

    // A channel that assigns no id.
    let conv = m.conversation_id;
    let m2 = store
        .enqueue_outbound(outbound(conv, Author::Bot, "ещё"))
        .await
        .unwrap()
        .message;
    let job2 = store
        .claim_jobs(
            JobKind::Deliver,
            Timestamp::now().plus(secs(1)),
            secs(30),
            10,
        )
        .await
        .unwrap()
        .remove(0);
    let sent2 = store
        .delivery_succeeded(job2.id, m2.id, None)
        .await
        .unwrap();
    assert_eq!(sent2.status, DeliveryStatus::Sent);
    assert_eq!(sent2.external_id, None);
}

pub async fn delivery_failed_retries_then_fails(store: Arc<dyn Store>) {
    let (m, job, now) = claimed_delivery(&*store).await;
    let retry_at = now.plus(secs(10));
    let seq = latest_seq(&*store).await;
    let retrying = store
        .delivery_failed(job.id, m.id, "HTTP 503", Some(retry_at))
        .await
        .unwrap();
    assert_eq!(retrying.status, DeliveryStatus::Queued, "still on its way");
    assert_eq!(
        retrying.error.as_deref(),
        Some("HTTP 503"),
        "the error is visible meanwhile"
    );
    assert_eq!(store.message(m.id).await.unwrap(), Some(retrying.clone()));
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::MessageUpdated]
    );
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 1);
    assert_eq!(
        store.next_job_at(JobKind::Deliver).await.unwrap(),
        Some(retry_at)
    );
    assert!(
        store
            .claim_jobs(JobKind::Deliver, now, secs(30), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let again = store
        .claim_jobs(JobKind::Deliver, retry_at, secs(30), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, job.id);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("HTTP 503"));

    let seq = latest_seq(&*store).await;
    let failed = store
        .delivery_failed(job.id, m.id, "HTTP 400", None)
        .await
        .unwrap();
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("HTTP 400"));
    assert_eq!(store.message(m.id).await.unwrap(), Some(failed));
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        0,
        "no more attempts"
    );
    assert_eq!(store.next_job_at(JobKind::Deliver).await.unwrap(), None);
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::MessageUpdated]
    );
}

pub async fn retry_message_only_for_failed_outbound(store: Arc<dyn Store>) {
    let (m, job, _) = claimed_delivery(&*store).await;
    assert_conflict("retry a queued message", store.retry_message(m.id).await);
    store
        .delivery_failed(job.id, m.id, "boom", None)
        .await
        .unwrap();

    let seq = latest_seq(&*store).await;
    let queued = store.retry_message(m.id).await.unwrap();
    assert_eq!(queued.status, DeliveryStatus::Queued);
    assert_eq!(
        store.message(m.id).await.unwrap().unwrap().status,
        DeliveryStatus::Queued
    );
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::MessageUpdated]
    );
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 1);
    assert_conflict("retry twice", store.retry_message(m.id).await);

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
    let sent = store
        .delivery_succeeded(jobs[0].id, m.id, None)
        .await
        .unwrap();
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_conflict("retry a sent message", store.retry_message(m.id).await);

    // Inbound messages are never retried.
    let inbound_id = store
        .list_messages(m.conversation_id, None, 10)
        .await
        .unwrap()[0]
        .id;
    assert_conflict(
        "retry an inbound message",
        store.retry_message(inbound_id).await,
    );
}

pub async fn set_delivery_status_records_receipts(store: Arc<dyn Store>) {
    let (m, job, _) = claimed_delivery(&*store).await;
    store
        .delivery_succeeded(job.id, m.id, Some("ext-9".into()))
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;
    let d = store
        .set_delivery_status(m.id, DeliveryStatus::Delivered)
        .await
        .unwrap();
    assert_eq!(d.status, DeliveryStatus::Delivered);
    assert_eq!(d.external_id.as_deref(), Some("ext-9"));
    let r = store
        .set_delivery_status(m.id, DeliveryStatus::Read)
        .await
        .unwrap();
    assert_eq!(r.status, DeliveryStatus::Read);
    assert_eq!(store.message(m.id).await.unwrap(), Some(r));
    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        vec![EventKind::MessageUpdated, EventKind::MessageUpdated]
    );
    assert!(events.iter().all(|e| e.message_id == Some(m.id)));
}

pub async fn stale_delivery_reports_are_rejected(store: Arc<dyn Store>) {
    // Once a job is finished, a late report about it (a worker whose lease expired) changes nothing.
    let (m, job, _) = claimed_delivery(&*store).await;
    store
        .delivery_succeeded(job.id, m.id, Some("ext-1".into()))
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;
    assert_not_found(
        "succeeded twice",
        store.delivery_succeeded(job.id, m.id, None).await,
    );
    assert_not_found(
        "failed after success",
        store
            .delivery_failed(job.id, m.id, "late", Some(Timestamp::now()))
            .await,
    );
    assert_not_found(
        "failed for good after success",
        store.delivery_failed(job.id, m.id, "late", None).await,
    );
    let stored = store.message(m.id).await.unwrap().unwrap();
    assert_eq!(stored.status, DeliveryStatus::Sent);
    assert_eq!(stored.error, None);
    assert_eq!(stored.external_id.as_deref(), Some("ext-1"));
    assert!(events_since(&*store, seq).await.is_empty());
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 0);
}

// ---- the event log ------------------------------------------------------------------------------

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

// ---- search -------------------------------------------------------------------------------------

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

// ---- import -------------------------------------------------------------------------------------

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

// ---- operator preferences -----------------------------------------------------------------------

pub async fn operator_preferences_default_save_and_isolation(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let a = account(&*store, "Авито: мебель").await;
    let b = account(&*store, "Авито: техника").await;

    assert_eq!(
        store.operator_preferences(anna.id).await.unwrap(),
        OperatorPreferences::default(),
        "nothing saved yet: every account shown, sound on, default language"
    );

    let saved = store
        .save_operator_preferences(
            anna.id,
            OperatorPreferences {
                hidden_accounts: vec![b.id, a.id, b.id],
                sound_muted: true,
                language: Some("en".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        saved.hidden_accounts,
        vec![a.id, b.id],
        "sorted, no repeats"
    );
    assert_eq!(store.operator_preferences(anna.id).await.unwrap(), saved);
    assert_eq!(
        store.operator_preferences(bob.id).await.unwrap(),
        OperatorPreferences::default(),
        "one operator's choice is not another's"
    );

    // Saving again replaces everything, including clearing the list and the language.
    let cleared = OperatorPreferences {
        hidden_accounts: vec![],
        sound_muted: false,
        language: None,
    };
    store
        .save_operator_preferences(anna.id, cleared.clone())
        .await
        .unwrap();
    assert_eq!(store.operator_preferences(anna.id).await.unwrap(), cleared);

    assert_not_found(
        "preferences of an unknown operator",
        store.operator_preferences(OperatorId(987_654)).await,
    );
    assert_not_found(
        "saving for an unknown operator",
        store
            .save_operator_preferences(OperatorId(987_654), OperatorPreferences::default())
            .await,
    );
}

// ---- quick replies ------------------------------------------------------------------------------

pub async fn quick_replies_crud_and_visibility(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let greet = store
        .create_quick_reply("Приветствие", "Здравствуйте!", None)
        .await
        .unwrap();
    let addr = store
        .create_quick_reply("Адрес", "ул. Ленина, 1", Some(anna.id))
        .await
        .unwrap();
    let bobs = store
        .create_quick_reply("Боб", "личное Боба", Some(bob.id))
        .await
        .unwrap();
    let thanks = store
        .create_quick_reply("Адрес", "второй с тем же названием", None)
        .await
        .unwrap();
    assert_eq!(greet.title, "Приветствие");
    assert_eq!(greet.text, "Здравствуйте!");
    assert_eq!(greet.owner, None);
    assert_eq!(addr.owner, Some(anna.id));
    assert_eq!(
        store.quick_reply(addr.id).await.unwrap(),
        Some(addr.clone())
    );

    let for_anna = store.list_quick_replies(anna.id).await.unwrap();
    assert_eq!(
        for_anna,
        vec![addr.clone(), thanks.clone(), greet.clone()],
        "shared and own, by title then id"
    );
    let for_bob = store.list_quick_replies(bob.id).await.unwrap();
    assert_eq!(for_bob, vec![thanks.clone(), bobs.clone(), greet.clone()]);
    assert!(for_bob.iter().all(|q| q.visible_to(bob.id)));

    let edited = store
        .update_quick_reply(greet.id, "Привет", "Добрый день!")
        .await
        .unwrap();
    assert_eq!(
        (edited.title.as_str(), edited.text.as_str()),
        ("Привет", "Добрый день!")
    );
    assert_eq!(edited.owner, None);
    assert_eq!(edited.created_at, greet.created_at);
    assert_eq!(store.quick_reply(greet.id).await.unwrap(), Some(edited));

    store.delete_quick_reply(addr.id).await.unwrap();
    assert_eq!(store.quick_reply(addr.id).await.unwrap(), None);
    assert_not_found("delete twice", store.delete_quick_reply(addr.id).await);
    assert_eq!(store.list_quick_replies(anna.id).await.unwrap().len(), 2);
}

// ---- the knowledge base -------------------------------------------------------------------------

/// A category draft as callers pass it: cleaned.
pub fn kb_category_draft(key: &str, title: &str) -> KbCategoryDraft {
    KbCategoryDraft {
        key: key.into(),
        title: title.into(),
    }
    .cleaned()
    .unwrap()
}

/// A published article draft as callers pass it: cleaned.
pub fn kb_article_draft(key: &str, category: &str, title: &str, tags: &[&str]) -> KbArticleDraft {
    KbArticleDraft {
        key: key.into(),
        category: category.into(),
        title: title.into(),
        body: format!("{title}: текст статьи"),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        published: true,
    }
    .cleaned()
    .unwrap()
}

/// Like [`assert_not_found`], and the entity named must be `name`.
pub fn assert_not_found_named<T: std::fmt::Debug>(what: &str, name: &str, r: Result<T>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(n)) if n == name),
        "{what}: expected NotFound({name:?}), got {r:?}"
    );
}

/// Long enough for the millisecond clock of stored timestamps to move on.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

fn keys_of(articles: &[KbArticle]) -> Vec<&str> {
    articles.iter().map(|a| a.key.as_str()).collect()
}

pub async fn kb_categories_upsert_and_order(store: Arc<dyn Store>) {
    assert!(store.list_kb_categories().await.unwrap().is_empty());
    let before = Timestamp::now();
    let (returns, write) = store
        .upsert_kb_category(kb_category_draft("returns", "Возврат"))
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Created);
    assert_eq!(
        (returns.key.as_str(), returns.title.as_str()),
        ("returns", "Возврат")
    );
    assert!(returns.created_at >= before && returns.created_at <= Timestamp::now());
    assert_eq!(returns.updated_at, returns.created_at);
    // Keys sort by code point: `-` < digits < `_` < letters.
    let mut created = vec![returns.clone()];
    for (key, title) in [
        ("a_z", "Подчёркивание"),
        ("delivery", "Доставка"),
        ("a-z", "Дефис"),
    ] {
        let (c, write) = store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
        assert_eq!(write, KbWrite::Created, "{key}");
        created.push(c);
    }

    // The same title again writes nothing.
    tick().await;
    let (same, write) = store
        .upsert_kb_category(kb_category_draft("returns", "Возврат"))
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Unchanged);
    assert_eq!(same, returns, "updated_at stays when nothing changes");

    // A new title retitles the category and moves updated_at only.
    let (retitled, write) = store
        .upsert_kb_category(kb_category_draft("returns", "Возврат и обмен"))
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!(retitled.key, "returns");
    assert_eq!(retitled.title, "Возврат и обмен");
    assert_eq!(retitled.created_at, returns.created_at);
    assert!(retitled.updated_at > returns.updated_at, "{retitled:?}");
    created[0] = retitled;

    let listed = store.list_kb_categories().await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        ["a-z", "a_z", "delivery", "returns"],
        "ordered by key"
    );
    created.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(listed, created, "listed as returned by the upserts");
}

pub async fn kb_category_delete_not_found_and_conflict(store: Arc<dyn Store>) {
    assert_not_found_named(
        "delete unknown category",
        "category",
        store.delete_kb_category("nowhere").await,
    );
    for (key, title) in [("delivery", "Доставка"), ("empty", "Пустая")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    let (article, _) = store
        .upsert_kb_article(kb_article_draft("terms", "delivery", "Сроки", &[]))
        .await
        .unwrap();

    assert_conflict(
        "delete a category with articles",
        store.delete_kb_category("delivery").await,
    );
    assert_eq!(
        store.kb_article("terms").await.unwrap(),
        Some(article),
        "the article survives the refused delete"
    );

    // An empty category goes; the other one stays.
    store.delete_kb_category("empty").await.unwrap();
    let keys: Vec<String> = store
        .list_kb_categories()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.key)
        .collect();
    assert_eq!(keys, ["delivery"]);

    // Once its last article is gone, so can the category be.
    store.delete_kb_article("terms").await.unwrap();
    store.delete_kb_category("delivery").await.unwrap();
    assert!(store.list_kb_categories().await.unwrap().is_empty());
    assert_not_found_named(
        "delete twice",
        "category",
        store.delete_kb_category("delivery").await,
    );
}

pub async fn kb_article_upsert_versions_and_tags(store: Arc<dyn Store>) {
    for (key, title) in [("delivery", "Доставка"), ("payment", "Оплата")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    // Tags deliberately out of any sorted order.
    let draft = kb_article_draft(
        "terms",
        "delivery",
        "Сроки",
        &["сроки", "Доставка", "курьер", "a"],
    );
    let before = Timestamp::now();
    let (created, write) = store.upsert_kb_article(draft.clone()).await.unwrap();
    assert_eq!(write, KbWrite::Created);
    assert_eq!(
        created,
        KbArticle {
            key: "terms".into(),
            category: "delivery".into(),
            title: "Сроки".into(),
            body: draft.body.clone(),
            tags: draft.tags.clone(),
            published: true,
            version: 1,
            created_at: created.created_at,
            updated_at: created.created_at,
        }
    );
    assert_eq!(
        created.tags,
        ["сроки", "Доставка", "курьер", "a"],
        "tag order kept"
    );
    assert!(created.created_at >= before && created.created_at <= Timestamp::now());
    assert_eq!(
        store.kb_article("terms").await.unwrap(),
        Some(created.clone())
    );

    // The identical draft writes nothing.
    tick().await;
    let (same, write) = store.upsert_kb_article(draft.clone()).await.unwrap();
    assert_eq!(write, KbWrite::Unchanged);
    assert_eq!(same, created, "version and updated_at stay");
    assert_eq!(
        store.kb_article("terms").await.unwrap(),
        Some(created.clone())
    );

    // Any changed field bumps the version and updated_at, never created_at.
    let body = KbArticleDraft {
        body: "Доставка занимает 2–3 дня.".into(),
        ..draft.clone()
    };
    let (v2, write) = store.upsert_kb_article(body.clone()).await.unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.body, "Доставка занимает 2–3 дня.");
    assert_eq!(v2.created_at, created.created_at);
    assert!(v2.updated_at > created.updated_at, "{v2:?}");
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v2.clone()));

    // Tag order alone is a change, and it is kept.
    tick().await;
    let reordered = KbArticleDraft {
        tags: vec![
            "a".into(),
            "курьер".into(),
            "Доставка".into(),
            "сроки".into(),
        ],
        ..body.clone()
    };
    let (v3, write) = store.upsert_kb_article(reordered.clone()).await.unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!((v3.version, v3.tags.clone()), (3, reordered.tags.clone()));
    assert!(v3.updated_at > v2.updated_at);

    // The published flag round-trips both ways and counts as a change.
    let hidden = KbArticleDraft {
        published: false,
        ..reordered.clone()
    };
    let (v4, write) = store.upsert_kb_article(hidden.clone()).await.unwrap();
    assert_eq!(
        (write, v4.version, v4.published),
        (KbWrite::Updated, 4, false)
    );
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v4.clone()));
    let (same, write) = store.upsert_kb_article(hidden.clone()).await.unwrap();
    assert_eq!((write, same), (KbWrite::Unchanged, v4.clone()));
    let (v5, _) = store.upsert_kb_article(reordered.clone()).await.unwrap();
    assert_eq!((v5.version, v5.published), (5, true));

    // Moving to another category, and emptying the tags.
    let moved = KbArticleDraft {
        category: "payment".into(),
        tags: Vec::new(),
        ..reordered.clone()
    };
    let (v6, write) = store.upsert_kb_article(moved).await.unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!((v6.version, v6.category.as_str()), (6, "payment"));
    assert!(v6.tags.is_empty());
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v6.clone()));

    // Unknown categories: neither a new article nor a move is stored.
    assert_not_found_named(
        "create in unknown category",
        "category",
        store
            .upsert_kb_article(kb_article_draft("other", "nowhere", "Другое", &[]))
            .await,
    );
    assert_eq!(store.kb_article("other").await.unwrap(), None);
    assert_not_found_named(
        "move to unknown category",
        "category",
        store
            .upsert_kb_article(KbArticleDraft {
                category: "nowhere".into(),
                ..reordered
            })
            .await,
    );
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v6));
    assert_eq!(store.kb_article("missing").await.unwrap(), None);
}

pub async fn kb_articles_list_filter_and_delete(store: Arc<dyn Store>) {
    for (key, title) in [
        ("delivery", "Доставка"),
        ("payment", "Оплата"),
        ("empty", "Пустая"),
    ] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    // Inserted out of key order; `-` < digits < `_` < letters by code point.
    let mut stored = Vec::new();
    for (key, category) in [
        ("pay-card", "payment"),
        ("delivery_time", "delivery"),
        ("a_1", "payment"),
        ("a-1", "delivery"),
        ("a0", "delivery"),
    ] {
        let mut draft = kb_article_draft(key, category, &format!("Статья {key}"), &["t"]);
        draft.published = key != "a0";
        stored.push(store.upsert_kb_article(draft).await.unwrap().0);
    }

    let all = store.list_kb_articles(None).await.unwrap();
    assert_eq!(
        keys_of(&all),
        ["a-1", "a0", "a_1", "delivery_time", "pay-card"],
        "every article, published or not, by key"
    );
    stored.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(all, stored, "listed as returned by the upserts");
    assert!(!all[1].published, "the unpublished one is listed too");
    assert_eq!(
        keys_of(&store.list_kb_articles(Some("delivery")).await.unwrap()),
        ["a-1", "a0", "delivery_time"]
    );
    assert_eq!(
        keys_of(&store.list_kb_articles(Some("payment")).await.unwrap()),
        ["a_1", "pay-card"]
    );
    assert!(
        store
            .list_kb_articles(Some("empty"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found_named(
        "list an unknown category",
        "category",
        store.list_kb_articles(Some("nowhere")).await,
    );

    let deleted = store.delete_kb_article("a0").await.unwrap();
    assert_eq!(deleted, all[1], "the deleted article is returned whole");
    assert_eq!(store.kb_article("a0").await.unwrap(), None);
    assert_not_found_named(
        "delete twice",
        "article",
        store.delete_kb_article("a0").await,
    );
    assert_not_found_named(
        "delete unknown",
        "article",
        store.delete_kb_article("never").await,
    );
    assert_eq!(
        keys_of(&store.list_kb_articles(Some("delivery")).await.unwrap()),
        ["a-1", "delivery_time"]
    );
    assert_eq!(store.list_kb_articles(None).await.unwrap().len(), 4);
}

pub async fn kb_import_counts_and_is_atomic(store: Arc<dyn Store>) {
    assert_eq!(
        store.import_kb(KbImport::default()).await.unwrap(),
        KbImportStats::default()
    );
    for (key, title) in [("delivery", "Доставка"), ("old", "Старое")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    let (kept, _) = store
        .upsert_kb_article(kb_article_draft(
            "kept",
            "delivery",
            "Без изменений",
            &["x"],
        ))
        .await
        .unwrap();
    let (edited, _) = store
        .upsert_kb_article(kb_article_draft("edited", "old", "Было", &["x"]))
        .await
        .unwrap();

    let import = KbImport {
        categories: vec![
            kb_category_draft("delivery", "Доставка и самовывоз"),
            kb_category_draft("old", "Старое"),
            kb_category_draft("payment", "Оплата"),
        ],
        articles: vec![
            kb_article_draft("kept", "delivery", "Без изменений", &["x"]),
            // In a category that only this import creates.
            kb_article_draft("card", "payment", "Картой", &["карта", "visa"]),
            kb_article_draft("edited", "old", "Стало", &["x"]),
        ],
    };
    let stats = store.import_kb(import.clone()).await.unwrap();
    assert_eq!(
        stats,
        KbImportStats {
            categories_created: 1,
            categories_updated: 1,
            articles_created: 1,
            articles_updated: 1,
            articles_unchanged: 1,
        }
    );
    let titles: Vec<(String, String)> = store
        .list_kb_categories()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.key, c.title))
        .collect();
    assert_eq!(
        titles,
        [
            ("delivery".to_string(), "Доставка и самовывоз".to_string()),
            ("old".into(), "Старое".into()),
            ("payment".into(), "Оплата".into()),
        ]
    );
    assert_eq!(store.kb_article("kept").await.unwrap(), Some(kept.clone()));
    let after = store.kb_article("edited").await.unwrap().unwrap();
    assert_eq!((after.title.as_str(), after.version), ("Стало", 2));
    assert_eq!(after.created_at, edited.created_at);
    let card = store.kb_article("card").await.unwrap().unwrap();
    assert_eq!(
        (card.category.as_str(), card.version, card.tags.clone()),
        ("payment", 1, vec!["карта".to_string(), "visa".to_string()])
    );

    // The same import again changes nothing.
    assert_eq!(
        store.import_kb(import).await.unwrap(),
        KbImportStats {
            articles_unchanged: 3,
            ..KbImportStats::default()
        }
    );

    // One article in a category nobody has: the whole import stores nothing, not even the new
    // category and articles that come before it.
    let categories_before = store.list_kb_categories().await.unwrap();
    let articles_before = store.list_kb_articles(None).await.unwrap();
    let broken = KbImport {
        categories: vec![
            kb_category_draft("gifts", "Подарки"),
            kb_category_draft("delivery", "Доставка (новое)"),
        ],
        articles: vec![
            kb_article_draft("gift-card", "gifts", "Подарочная карта", &[]),
            kb_article_draft("kept", "delivery", "Изменено", &["x"]),
            kb_article_draft("stray", "nowhere", "Потерянная", &[]),
        ],
    };
    assert_not_found_named(
        "import with an unknown category",
        "category",
        store.import_kb(broken).await,
    );
    assert_eq!(store.list_kb_categories().await.unwrap(), categories_before);
    assert_eq!(store.list_kb_articles(None).await.unwrap(), articles_before);
    assert_eq!(store.kb_article("gift-card").await.unwrap(), None);
}

// ---- bot decisions ------------------------------------------------------------------------------

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
    let seq = latest_seq(&*store).await;

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
    let a = store.record_decision(full.clone()).await.unwrap();
    assert_recorded(&full, &a);
    assert!(a.created_at >= before && a.created_at <= Timestamp::now());
    assert_eq!(a.confidence, Some(0.823_456_7_f32));
    assert_eq!(a.article_ids, ["z-last", "a-first", "middle"]);

    let empty = decision(conv, first.message.id, DecisionAction::Answer);
    let b = store.record_decision(empty.clone()).await.unwrap();
    assert_recorded(&empty, &b);
    assert!(b.id > a.id, "ids increase with insertion");
    let zero = NewDecisionRecord {
        confidence: Some(0.0),
        stage: Some(DecisionStage::Timeout),
        ..decision(conv, first.message.id, DecisionAction::Ignore)
    };
    let c = store.record_decision(zero.clone()).await.unwrap();
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
    assert_eq!(latest_seq(&*store).await, seq, "decisions append no events");

    // The newest `limit`, returned oldest first.
    let mut recorded = vec![a, b, c];
    for i in 0..4 {
        let new = NewDecisionRecord {
            latency_us: i,
            ..decision(conv, first.message.id, DecisionAction::Clarify)
        };
        recorded.push(store.record_decision(new).await.unwrap());
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

    let unknown = ConversationId(987_654);
    assert_not_found_named(
        "record into an unknown conversation",
        "conversation",
        store
            .record_decision(decision(unknown, first.message.id, DecisionAction::Answer))
            .await,
    );
    assert_not_found_named(
        "list an unknown conversation",
        "conversation",
        store.list_decisions(unknown, 10).await,
    );
    assert_not_found(
        "record for an unknown message",
        store
            .record_decision(decision(conv, MessageId(987_654), DecisionAction::Answer))
            .await,
    );
    assert_eq!(store.list_decisions(conv, 100).await.unwrap(), recorded);
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
        async move { store.record_decision(new).await.unwrap() }
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

// ---- voice calls --------------------------------------------------------------------------------

/// A speech turn with nothing optional set.
pub fn voice_turn(conversation: ConversationId, call: &str, turn: i32) -> NewVoiceTurn {
    NewVoiceTurn {
        conversation_id: conversation,
        call_id: call.into(),
        turn,
        recognised: format!("turn {turn} of {call}"),
        answer: None,
        intent: None,
        speech_ms: 1_000 + i64::from(turn),
        end_of_speech_to_audio_ms: None,
        recognition_ms: 300,
        engine_ms: None,
        synthesis_ms: None,
        barge_in: false,
        dtmf: false,
    }
}

/// What the store must return for `new`: everything as given, plus the store's id and time.
fn assert_voice_turn(new: &NewVoiceTurn, got: &VoiceTurn) {
    let expected = VoiceTurn {
        id: got.id,
        conversation_id: new.conversation_id,
        call_id: new.call_id.clone(),
        turn: new.turn,
        recognised: new.recognised.clone(),
        answer: new.answer.clone(),
        intent: new.intent.clone(),
        speech_ms: new.speech_ms,
        end_of_speech_to_audio_ms: new.end_of_speech_to_audio_ms,
        recognition_ms: new.recognition_ms,
        engine_ms: new.engine_ms,
        synthesis_ms: new.synthesis_ms,
        barge_in: new.barge_in,
        dtmf: new.dtmf,
        created_at: got.created_at,
    };
    assert_eq!(got, &expected);
}

fn voice_keys(turns: &[VoiceTurn]) -> Vec<(&str, i32)> {
    turns.iter().map(|t| (t.call_id.as_str(), t.turn)).collect()
}

pub async fn voice_turns_round_trip_in_turn_order(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "phone", "m1", "звонок")
        .await
        .conversation
        .id;
    let seq = latest_seq(&*store).await;

    // Every field set, each to a distinct value (a swapped column would show), the durations beyond
    // 32 bits (a narrow column would show), text with quotes and Cyrillic.
    let full = NewVoiceTurn {
        conversation_id: conv,
        call_id: "1722945600.42".into(),
        turn: 2,
        recognised: "где мой заказ «12345»? it's late".into(),
        answer: Some("Заказ 12345 в пути, будет завтра.".into()),
        intent: Some("order_status".into()),
        speech_ms: 5_000_000_001,
        end_of_speech_to_audio_ms: Some(5_000_000_002),
        recognition_ms: 5_000_000_003,
        engine_ms: Some(5_000_000_004),
        synthesis_ms: Some(5_000_000_005),
        barge_in: true,
        dtmf: false,
    };
    let before = Timestamp::now();
    let second = store.record_voice_turn(full.clone()).await.unwrap();
    assert_voice_turn(&full, &second);
    assert!(second.created_at >= before && second.created_at <= Timestamp::now());

    // Recorded after turn 2, but read back before it: a call's turns come by turn number.
    let digits = NewVoiceTurn {
        recognised: "12345#".into(),
        dtmf: true,
        ..voice_turn(conv, "1722945600.42", 1)
    };
    let first = store.record_voice_turn(digits.clone()).await.unwrap();
    assert_voice_turn(&digits, &first);
    assert!(first.id > second.id, "ids increase with insertion");
    let third = store
        .record_voice_turn(voice_turn(conv, "1722945600.42", 10))
        .await
        .unwrap();
    // Another call of the same conversation stays out of this call's turns.
    store
        .record_voice_turn(voice_turn(conv, "other-call", 0))
        .await
        .unwrap();

    assert_eq!(
        store.voice_turns("1722945600.42").await.unwrap(),
        vec![first, second, third],
        "read back as recorded, by turn number (10 after 2: numeric, not text order)"
    );
    assert!(
        store.voice_turns("no-such-call").await.unwrap().is_empty(),
        "an unknown call has no turns"
    );
    assert!(
        store.voice_turns("1722945600").await.unwrap().is_empty(),
        "call ids match exactly, not by prefix"
    );
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "voice turns append no events"
    );
}

pub async fn voice_turn_recorded_twice_conflicts(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let one = ingest(&*store, acc.id, "one", "m1", "раз")
        .await
        .conversation
        .id;
    let two = ingest(&*store, acc.id, "two", "m2", "два")
        .await
        .conversation
        .id;
    let stored = store
        .record_voice_turn(voice_turn(one, "call", 1))
        .await
        .unwrap();

    let again = NewVoiceTurn {
        recognised: "something else".into(),
        ..voice_turn(one, "call", 1)
    };
    assert_conflict(
        "the same turn of a call again",
        store.record_voice_turn(again).await,
    );
    // The key is the call and the turn, whatever the conversation says.
    assert_conflict(
        "the same turn of a call from another conversation",
        store.record_voice_turn(voice_turn(two, "call", 1)).await,
    );
    assert_eq!(
        store.voice_turns("call").await.unwrap(),
        vec![stored.clone()],
        "a refused turn changes nothing"
    );

    // The same number in another call, and the next number in this one, are new turns.
    let other = store
        .record_voice_turn(voice_turn(one, "call-2", 1))
        .await
        .unwrap();
    let next = store
        .record_voice_turn(voice_turn(one, "call", 2))
        .await
        .unwrap();
    assert_eq!(store.voice_turns("call").await.unwrap(), vec![stored, next]);
    assert_eq!(store.voice_turns("call-2").await.unwrap(), vec![other]);
}

pub async fn conversation_voice_turns_group_calls(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "phone", "m1", "алло")
        .await
        .conversation
        .id;
    let other = ingest(&*store, acc.id, "other", "m2", "алло")
        .await
        .conversation
        .id;
    assert!(
        store
            .conversation_voice_turns(conv)
            .await
            .unwrap()
            .is_empty(),
        "a conversation without calls has no turns"
    );

    // Interleaved writes of two calls, out of turn order; call "b" is named so that sorting by call
    // id would put it first, and its first turn is recorded before call "c"'s.
    for (call, turn) in [("c", 2), ("b", 5), ("c", 1), ("b", 3), ("c", 3)] {
        store
            .record_voice_turn(voice_turn(conv, call, turn))
            .await
            .unwrap();
    }
    store
        .record_voice_turn(voice_turn(other, "a", 1))
        .await
        .unwrap();

    let turns = store.conversation_voice_turns(conv).await.unwrap();
    assert_eq!(
        voice_keys(&turns),
        [("c", 1), ("c", 2), ("c", 3), ("b", 3), ("b", 5)],
        "calls in the order their first turn was recorded, each by turn number"
    );
    assert!(turns.iter().all(|t| t.conversation_id == conv));
    assert_eq!(
        store.voice_turns("c").await.unwrap(),
        turns[..3].to_vec(),
        "the same rows as the call's own list"
    );
    assert_eq!(
        voice_keys(&store.conversation_voice_turns(other).await.unwrap()),
        [("a", 1)]
    );

    let unknown = ConversationId(987_654);
    assert_not_found_named(
        "record into an unknown conversation",
        "conversation",
        store
            .record_voice_turn(voice_turn(unknown, "lost", 1))
            .await,
    );
    assert!(store.voice_turns("lost").await.unwrap().is_empty());
    assert_not_found_named(
        "list an unknown conversation",
        "conversation",
        store.conversation_voice_turns(unknown).await,
    );
}

// ---- workflows ----------------------------------------------------------------------------------

/// A workflow draft as callers pass it: cleaned, with an empty test suite.
pub fn workflow_draft(name: &str, draft: &str) -> WorkflowDraft {
    WorkflowDraft {
        name: name.into(),
        draft: draft.into(),
        tests: "[]".into(),
    }
    .cleaned()
    .unwrap()
}

/// A flow state as the interpreter hands it over (the store sets `updated_at`).
pub fn flow(
    conversation: ConversationId,
    workflow: WorkflowId,
    version: i32,
    state: &str,
) -> FlowState {
    FlowState {
        conversation_id: conversation,
        workflow_id: workflow,
        version,
        state: state.into(),
        updated_at: Timestamp(0),
    }
}

async fn published(store: &dyn Store, id: WorkflowId) -> Option<i32> {
    store
        .workflow(id)
        .await
        .unwrap()
        .expect("workflow exists")
        .published_version
}

fn version_numbers(versions: &[WorkflowVersion]) -> Vec<i32> {
    versions.iter().map(|v| v.version).collect()
}

pub async fn workflows_create_update_and_list(store: Arc<dyn Store>) {
    assert!(store.list_workflows().await.unwrap().is_empty());
    let before = Timestamp::now();
    let orders = store
        .create_workflow(WorkflowDraft {
            tests: r#"[{"name":"greets"}]"#.into(),
            ..workflow_draft("  Заказы  ", r#"{"version":1,"nodes":[]}"#)
        })
        .await
        .unwrap();
    assert_eq!(orders.name, "Заказы");
    assert_eq!(orders.draft, r#"{"version":1,"nodes":[]}"#);
    assert_eq!(orders.tests, r#"[{"name":"greets"}]"#);
    assert_eq!(
        orders.published_version, None,
        "unpublished until published"
    );
    assert!(orders.created_at >= before && orders.created_at <= Timestamp::now());
    assert_eq!(orders.updated_at, orders.created_at);
    assert_eq!(
        store.workflow(orders.id).await.unwrap(),
        Some(orders.clone())
    );

    let returns = store
        .create_workflow(workflow_draft("Возвраты", "{}"))
        .await
        .unwrap();
    // Created in the other order of names: the list is by id, not by name.
    let again = store
        .create_workflow(workflow_draft("Авторизация", "{}"))
        .await
        .unwrap();
    assert!(orders.id < returns.id && returns.id < again.id);
    assert_eq!(
        store.list_workflows().await.unwrap(),
        vec![orders.clone(), returns.clone(), again.clone()],
        "ordered by id"
    );

    // Editing replaces name, draft and tests, moves updated_at, and leaves what is published alone.
    let v1 = store.publish_workflow(orders.id, None).await.unwrap();
    let orders = store.workflow(orders.id).await.unwrap().unwrap();
    tick().await;
    // Documents are kept byte for byte (JSON whitespace and key order included).
    let new_draft = "{\"version\":1,\n  \"nodes\": [\"ответ\"], \"a\": 1}";
    let updated = store
        .update_workflow(
            orders.id,
            WorkflowDraft {
                tests: "[]".into(),
                ..workflow_draft("Заказы и доставка", new_draft)
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.id, orders.id);
    assert_eq!(updated.name, "Заказы и доставка");
    assert_eq!(updated.draft, new_draft);
    assert_eq!(updated.tests, "[]");
    assert_eq!(updated.created_at, orders.created_at);
    assert!(updated.updated_at > orders.updated_at, "{updated:?}");
    assert_eq!(updated.published_version, Some(1), "published untouched");
    assert_eq!(
        store.workflow(orders.id).await.unwrap(),
        Some(updated.clone())
    );
    assert_eq!(
        store.workflow_version(orders.id, 1).await.unwrap(),
        Some(v1),
        "the published version keeps the old document"
    );
    assert_eq!(
        store.list_workflows().await.unwrap(),
        vec![updated, returns, again]
    );

    assert_not_found_named(
        "update an unknown workflow",
        "workflow",
        store
            .update_workflow(WorkflowId(987_654), workflow_draft("x", "{}"))
            .await,
    );
    assert_eq!(store.list_workflows().await.unwrap().len(), 3);
    assert_eq!(
        latest_seq(&*store).await,
        Seq(0),
        "workflows append no events"
    );
}

pub async fn workflow_publish_numbering_and_rollback(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Admin).await;
    let wf = store
        .create_workflow(workflow_draft("Заказы", r#"{"d":1}"#))
        .await
        .unwrap();
    assert!(
        store
            .list_workflow_versions(wf.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.workflow_version(wf.id, 1).await.unwrap(), None);

    let before = Timestamp::now();
    let v1 = store.publish_workflow(wf.id, Some(anna.id)).await.unwrap();
    assert_eq!(v1.workflow_id, wf.id);
    assert_eq!(v1.version, 1, "numbering starts at 1");
    assert_eq!(v1.document, r#"{"d":1}"#, "the draft is copied");
    assert_eq!(v1.published_by, Some(anna.id));
    assert!(v1.published_at >= before && v1.published_at <= Timestamp::now());
    let after_publish = store.workflow(wf.id).await.unwrap().unwrap();
    assert_eq!(after_publish.published_version, Some(1));
    assert_eq!(
        after_publish.updated_at, wf.updated_at,
        "updated_at dates the draft; publishing does not move it"
    );
    assert_eq!(after_publish.draft, wf.draft, "the draft stays as it was");

    // Each publish copies the draft as it is at that moment.
    let mut versions = vec![v1.clone()];
    for d in [r#"{"d":2}"#, r#"{"d":3}"#] {
        store
            .update_workflow(wf.id, workflow_draft("Заказы", d))
            .await
            .unwrap();
        let v = store.publish_workflow(wf.id, None).await.unwrap();
        assert_eq!(v.document, d);
        assert_eq!(v.published_by, None);
        versions.push(v);
    }
    assert_eq!(version_numbers(&versions), [1, 2, 3]);
    assert_eq!(published(&*store, wf.id).await, Some(3));
    // An edit after publishing changes no version.
    let edited = store
        .update_workflow(wf.id, workflow_draft("Заказы", r#"{"d":4}"#))
        .await
        .unwrap();
    for v in &versions {
        assert_eq!(
            store
                .workflow_version(wf.id, v.version)
                .await
                .unwrap()
                .as_ref(),
            Some(v),
            "version {} is immutable",
            v.version
        );
    }
    let mut newest_first = versions.clone();
    newest_first.reverse();
    assert_eq!(
        store.list_workflow_versions(wf.id).await.unwrap(),
        newest_first,
        "newest first"
    );

    // Rolling back re-publishes an old version and nothing else.
    let rolled = store.rollback_workflow(wf.id, 1).await.unwrap();
    assert_eq!(
        rolled,
        Workflow {
            published_version: Some(1),
            ..edited.clone()
        },
        "only the published version changes"
    );
    assert_eq!(store.workflow(wf.id).await.unwrap(), Some(rolled));
    assert_eq!(store.list_workflow_versions(wf.id).await.unwrap().len(), 3);
    // Rolling back to the version already published is allowed and changes nothing.
    store.rollback_workflow(wf.id, 1).await.unwrap();
    assert_eq!(published(&*store, wf.id).await, Some(1));

    // The next publish continues after the highest version, not after the published one.
    let v4 = store.publish_workflow(wf.id, Some(anna.id)).await.unwrap();
    assert_eq!(v4.version, 4);
    assert_eq!(v4.document, r#"{"d":4}"#);
    assert_eq!(published(&*store, wf.id).await, Some(4));

    for unknown in [0, 5, -1] {
        assert_not_found_named(
            "roll back to an unknown version",
            "workflow version",
            store.rollback_workflow(wf.id, unknown).await,
        );
    }
    assert_eq!(
        published(&*store, wf.id).await,
        Some(4),
        "a refused rollback changes nothing"
    );

    // An unknown publisher stores nothing.
    assert_not_found(
        "publish by an unknown operator",
        store
            .publish_workflow(wf.id, Some(OperatorId(987_654)))
            .await,
    );
    assert_eq!(
        version_numbers(&store.list_workflow_versions(wf.id).await.unwrap()),
        [4, 3, 2, 1]
    );
    assert_eq!(published(&*store, wf.id).await, Some(4));

    // Numbering is per workflow; another workflow's versions are not listed.
    let other = store
        .create_workflow(workflow_draft("Другой", "{}"))
        .await
        .unwrap();
    assert_eq!(
        store
            .publish_workflow(other.id, None)
            .await
            .unwrap()
            .version,
        1
    );
    assert_eq!(store.workflow_version(other.id, 2).await.unwrap(), None);
    assert_eq!(
        store.list_workflow_versions(other.id).await.unwrap().len(),
        1
    );
    assert_eq!(store.list_workflow_versions(wf.id).await.unwrap().len(), 4);
    assert_not_found_named(
        "roll back another workflow's version",
        "workflow version",
        store.rollback_workflow(other.id, 3).await,
    );

    let unknown = WorkflowId(987_654);
    assert_not_found_named(
        "publish an unknown workflow",
        "workflow",
        store.publish_workflow(unknown, None).await,
    );
    assert_not_found_named(
        "roll back an unknown workflow",
        "workflow",
        store.rollback_workflow(unknown, 1).await,
    );
    assert_not_found_named(
        "versions of an unknown workflow",
        "workflow",
        store.list_workflow_versions(unknown).await,
    );
    assert_eq!(store.workflow_version(unknown, 1).await.unwrap(), None);
}

pub async fn concurrent_publishes_get_distinct_versions(store: Arc<dyn Store>) {
    let wf = store
        .create_workflow(workflow_draft("Заказы", "{}"))
        .await
        .unwrap();
    const PUBLISHES: i32 = 8;
    let tasks: Vec<_> = (0..PUBLISHES)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.publish_workflow(wf.id, None).await })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(
            t.await
                .unwrap()
                .expect("a concurrent publish fails")
                .version,
        );
    }
    got.sort_unstable();
    assert_eq!(
        got,
        (1..=PUBLISHES).collect::<Vec<_>>(),
        "distinct versions"
    );
    // The last publish to commit has the highest version, and it is the published one.
    assert_eq!(published(&*store, wf.id).await, Some(PUBLISHES));
    assert_eq!(
        store.list_workflow_versions(wf.id).await.unwrap().len(),
        PUBLISHES as usize
    );
}

pub async fn workflow_delete_conflicts_while_in_use(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "привет")
        .await
        .conversation
        .id;
    let wf = store
        .create_workflow(workflow_draft("Заказы", "{}"))
        .await
        .unwrap();
    let v1 = store.publish_workflow(wf.id, None).await.unwrap();
    store
        .set_account_workflow(acc.id, Some(wf.id))
        .await
        .unwrap();
    let state = store
        .save_flow_state(flow(conv, wf.id, 1, r#"{"at":"start"}"#))
        .await
        .unwrap();

    assert_conflict(
        "delete a workflow an account runs",
        store.delete_workflow(wf.id).await,
    );
    assert!(store.workflow(wf.id).await.unwrap().is_some());
    assert_eq!(store.workflow_version(wf.id, 1).await.unwrap(), Some(v1));
    assert_eq!(store.flow_state(conv).await.unwrap(), Some(state), "kept");
    assert_eq!(store.account_workflow(acc.id).await.unwrap(), Some(wf.id));

    // Once no account runs it, it goes with its versions and the flow states on it.
    store.set_account_workflow(acc.id, None).await.unwrap();
    store.delete_workflow(wf.id).await.unwrap();
    assert_eq!(store.workflow(wf.id).await.unwrap(), None);
    assert!(store.list_workflows().await.unwrap().is_empty());
    assert_eq!(store.workflow_version(wf.id, 1).await.unwrap(), None);
    assert_not_found_named(
        "versions of a deleted workflow",
        "workflow",
        store.list_workflow_versions(wf.id).await,
    );
    assert_eq!(store.flow_state(conv).await.unwrap(), None);
    assert_not_found_named(
        "versions in use of a deleted workflow",
        "workflow",
        store.flow_versions_in_use(wf.id).await,
    );
    assert_not_found_named(
        "delete twice",
        "workflow",
        store.delete_workflow(wf.id).await,
    );
    // The conversation itself is untouched, and can start on another workflow.
    assert_eq!(view(&*store, conv).await.conversation.id, conv);
    let next = store
        .create_workflow(workflow_draft("Следующий", "{}"))
        .await
        .unwrap();
    store
        .save_flow_state(flow(conv, next.id, 1, "{}"))
        .await
        .unwrap();

    // Deleting an account without conversations drops its choice of workflow, which frees it.
    let idle = account(&*store, "idle").await;
    store
        .set_account_workflow(idle.id, Some(next.id))
        .await
        .unwrap();
    assert_conflict(
        "in use by the idle account",
        store.delete_workflow(next.id).await,
    );
    store.delete_account(idle.id).await.unwrap();
    store.delete_workflow(next.id).await.unwrap();
    assert_eq!(store.flow_state(conv).await.unwrap(), None);
}

pub async fn account_workflow_set_and_clear(store: Arc<dyn Store>) {
    let a = account(&*store, "a").await;
    let b = account(&*store, "b").await;
    let w1 = store
        .create_workflow(workflow_draft("Первый", "{}"))
        .await
        .unwrap();
    let w2 = store
        .create_workflow(workflow_draft("Второй", "{}"))
        .await
        .unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), None);

    store.set_account_workflow(a.id, Some(w1.id)).await.unwrap();
    store.set_account_workflow(b.id, Some(w1.id)).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), Some(w1.id));
    assert_eq!(store.account_workflow(b.id).await.unwrap(), Some(w1.id));
    // Choosing again replaces the choice of that account only.
    store.set_account_workflow(a.id, Some(w2.id)).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), Some(w2.id));
    assert_eq!(store.account_workflow(b.id).await.unwrap(), Some(w1.id));
    store.set_account_workflow(a.id, Some(w2.id)).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), Some(w2.id));

    let unknown_account = AccountId(987_654);
    let unknown_workflow = WorkflowId(987_654);
    assert_not_found_named(
        "run an unknown workflow",
        "workflow",
        store
            .set_account_workflow(a.id, Some(unknown_workflow))
            .await,
    );
    assert_eq!(
        store.account_workflow(a.id).await.unwrap(),
        Some(w2.id),
        "a refused choice changes nothing"
    );
    assert_not_found_named(
        "choose for an unknown account",
        "account",
        store
            .set_account_workflow(unknown_account, Some(w1.id))
            .await,
    );
    assert_not_found_named(
        "clear for an unknown account",
        "account",
        store.set_account_workflow(unknown_account, None).await,
    );
    assert_not_found_named(
        "the workflow of an unknown account",
        "account",
        store.account_workflow(unknown_account).await,
    );

    // Clearing is idempotent and leaves other accounts alone.
    store.set_account_workflow(a.id, None).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), None);
    store.set_account_workflow(a.id, None).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), None);
    assert_eq!(store.account_workflow(b.id).await.unwrap(), Some(w1.id));
    // w2 is no longer in use; w1 still is.
    store.delete_workflow(w2.id).await.unwrap();
    assert_conflict("w1 still runs on b", store.delete_workflow(w1.id).await);
    assert_eq!(latest_seq(&*store).await, Seq(0), "no events");
}

pub async fn flow_states_save_clear_and_count(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let mut convs = Vec::new();
    for chat in ["one", "two", "three"] {
        convs.push(
            ingest(&*store, acc.id, chat, chat, "привет")
                .await
                .conversation
                .id,
        );
    }
    let seq = latest_seq(&*store).await;
    let (c1, c2, c3) = (convs[0], convs[1], convs[2]);
    let wf = store
        .create_workflow(workflow_draft("Заказы", "{}"))
        .await
        .unwrap();
    let other = store
        .create_workflow(workflow_draft("Другой", "{}"))
        .await
        .unwrap();
    for id in [wf.id, wf.id, other.id] {
        store.publish_workflow(id, None).await.unwrap();
    }
    assert_eq!(store.flow_state(c1).await.unwrap(), None);
    assert!(store.flow_versions_in_use(wf.id).await.unwrap().is_empty());

    // Insert: updated_at is the store's, whatever the caller passed.
    let before = Timestamp::now();
    let first = store
        .save_flow_state(flow(c1, wf.id, 1, r#"{"at":"ask_order","vars":{"n":"1"}}"#))
        .await
        .unwrap();
    assert_eq!(
        first,
        FlowState {
            updated_at: first.updated_at,
            ..flow(c1, wf.id, 1, r#"{"at":"ask_order","vars":{"n":"1"}}"#)
        }
    );
    assert!(first.updated_at >= before && first.updated_at <= Timestamp::now());
    assert_eq!(store.flow_state(c1).await.unwrap(), Some(first.clone()));

    // Replace: one state per conversation, every field taken from the new one.
    tick().await;
    let second = store
        .save_flow_state(flow(c1, wf.id, 2, r#"{"at":"done"}"#))
        .await
        .unwrap();
    assert_eq!(
        (second.version, second.state.as_str()),
        (2, r#"{"at":"done"}"#)
    );
    assert!(second.updated_at > first.updated_at);
    assert_eq!(store.flow_state(c1).await.unwrap(), Some(second.clone()));

    store
        .save_flow_state(flow(c2, wf.id, 1, "{}"))
        .await
        .unwrap();
    store
        .save_flow_state(flow(c3, wf.id, 2, "{}"))
        .await
        .unwrap();
    assert_eq!(
        store.flow_versions_in_use(wf.id).await.unwrap(),
        [(1, 1), (2, 2)],
        "counted by version, ascending"
    );
    assert!(
        store
            .flow_versions_in_use(other.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Moving a conversation to another workflow moves its count.
    store
        .save_flow_state(flow(c3, other.id, 1, "{}"))
        .await
        .unwrap();
    assert_eq!(
        store.flow_versions_in_use(wf.id).await.unwrap(),
        [(1, 1), (2, 1)]
    );
    assert_eq!(
        store.flow_versions_in_use(other.id).await.unwrap(),
        [(1, 1)]
    );

    // Clearing is idempotent.
    store.clear_flow_state(c2).await.unwrap();
    assert_eq!(store.flow_state(c2).await.unwrap(), None);
    store.clear_flow_state(c2).await.unwrap();
    store
        .clear_flow_state(ConversationId(987_654))
        .await
        .unwrap();
    assert_eq!(store.flow_versions_in_use(wf.id).await.unwrap(), [(2, 1)]);
    assert_eq!(store.flow_state(c1).await.unwrap(), Some(second.clone()));

    assert_not_found_named(
        "save for an unknown conversation",
        "conversation",
        store
            .save_flow_state(flow(ConversationId(987_654), wf.id, 1, "{}"))
            .await,
    );
    assert_not_found_named(
        "save on an unknown workflow",
        "workflow",
        store
            .save_flow_state(flow(c1, WorkflowId(987_654), 1, "{}"))
            .await,
    );
    assert_eq!(
        store.flow_state(c1).await.unwrap(),
        Some(second),
        "a refused save changes nothing"
    );
    assert_not_found_named(
        "the state of an unknown conversation",
        "conversation",
        store.flow_state(ConversationId(987_654)).await,
    );
    assert_not_found_named(
        "versions in use of an unknown workflow",
        "workflow",
        store.flow_versions_in_use(WorkflowId(987_654)).await,
    );
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "flow states append no events"
    );
}

pub async fn integrations_upsert_list_and_delete(store: Arc<dyn Store>) {
    assert!(store.list_integrations().await.unwrap().is_empty());
    assert_eq!(store.integration("shop").await.unwrap(), None);

    let headers = std::collections::BTreeMap::from([
        (
            "Authorization".to_string(),
            "Bearer s3cr\u{e9}t".to_string(),
        ),
        ("X-Api-Key".to_string(), "ключ \"с кавычками\"".to_string()),
        ("x-empty".to_string(), String::new()),
    ]);
    let before = Timestamp::now();
    let shop = store
        .upsert_integration("shop", "https://shop.example/api", headers.clone())
        .await
        .unwrap();
    assert_eq!(shop.name, "shop");
    assert_eq!(shop.base_url, "https://shop.example/api");
    assert_eq!(shop.headers, headers, "headers round-trip");
    assert!(shop.created_at >= before && shop.created_at <= Timestamp::now());
    assert_eq!(shop.updated_at, shop.created_at);
    assert_eq!(store.integration("shop").await.unwrap(), Some(shop.clone()));

    // Replacing keeps created_at, moves updated_at, and replaces the headers (no merge).
    tick().await;
    let only = std::collections::BTreeMap::from([("X-Token".to_string(), "t".to_string())]);
    let replaced = store
        .upsert_integration("shop", "https://shop.example/v2", only.clone())
        .await
        .unwrap();
    assert_eq!(replaced.base_url, "https://shop.example/v2");
    assert_eq!(replaced.headers, only);
    assert_eq!(replaced.created_at, shop.created_at, "created_at kept");
    assert!(replaced.updated_at > shop.updated_at);
    assert_eq!(
        store.integration("shop").await.unwrap(),
        Some(replaced.clone())
    );
    let emptied = store
        .upsert_integration("shop", "https://shop.example/v2", Default::default())
        .await
        .unwrap();
    assert!(emptied.headers.is_empty());

    // Names sort by code point: `-` < `_` < letters.
    for name in ["crm", "a_b", "a-b"] {
        store
            .upsert_integration(name, "http://127.0.0.1:9", Default::default())
            .await
            .unwrap();
    }
    let names = |list: Vec<Integration>| list.into_iter().map(|i| i.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_integrations().await.unwrap()),
        ["a-b", "a_b", "crm", "shop"]
    );

    store.delete_integration("crm").await.unwrap();
    assert_eq!(store.integration("crm").await.unwrap(), None);
    assert_eq!(
        names(store.list_integrations().await.unwrap()),
        ["a-b", "a_b", "shop"]
    );
    assert_not_found_named(
        "delete twice",
        "integration",
        store.delete_integration("crm").await,
    );
    assert_not_found_named(
        "delete an unknown integration",
        "integration",
        store.delete_integration("nowhere").await,
    );
    assert_eq!(store.integration("shop").await.unwrap(), Some(emptied));
}

// ---- channels -----------------------------------------------------------------------------------

pub async fn accounts_keep_channel_settings_and_sealed_secrets(store: Arc<dyn Store>) {
    let settings = r#"{"user_id": 42, "client_id": "абв"}"#;
    let sealed = "v1.bm9uY2U.Y2lwaGVydGV4dA==";
    let avito = store
        .create_account(NewAccount {
            kind: AccountKind::Avito,
            name: "Avito".into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: Some(settings.into()),
            sealed_secrets: Some(sealed.into()),
        })
        .await
        .unwrap();
    assert_eq!(
        avito.settings.as_deref(),
        Some(settings),
        "kept byte for byte"
    );
    assert_eq!(avito.sealed_secrets.as_deref(), Some(sealed));
    assert_eq!(store.account(avito.id).await.unwrap(), Some(avito.clone()));
    let plain = account(&*store, "api").await;
    assert_eq!((plain.settings, plain.sealed_secrets), (None, None));
    assert_eq!(
        store.list_accounts().await.unwrap()[0],
        avito,
        "listed with them"
    );

    // None keeps both; other fields change alone.
    let renamed = store
        .update_account(
            avito.id,
            AccountPatch {
                name: Some("Avito 2".into()),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.settings.as_deref(), Some(settings), "None keeps");
    assert_eq!(
        renamed.sealed_secrets.as_deref(),
        Some(sealed),
        "None keeps"
    );

    // Each is set on its own.
    let resealed = store
        .update_account(
            avito.id,
            AccountPatch {
                sealed_secrets: Some(Some("v1.new".into())),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(resealed.sealed_secrets.as_deref(), Some("v1.new"));
    assert_eq!(resealed.settings.as_deref(), Some(settings));
    let reset = store
        .update_account(
            avito.id,
            AccountPatch {
                settings: Some(Some("{}".into())),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reset.settings.as_deref(), Some("{}"));
    assert_eq!(reset.sealed_secrets.as_deref(), Some("v1.new"));
    assert_eq!(reset.name, "Avito 2");

    // Some(None) clears.
    let cleared = store
        .update_account(
            avito.id,
            AccountPatch {
                settings: Some(None),
                sealed_secrets: Some(None),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            cleared.settings.as_deref(),
            cleared.sealed_secrets.as_deref()
        ),
        (None, None)
    );
    assert_eq!(store.account(avito.id).await.unwrap(), Some(cleared));
}

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
