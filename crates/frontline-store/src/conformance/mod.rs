//! The one storage test suite. Every backend instantiates it unchanged with
//! [`conformance_suite!`](crate::conformance_suite), passing an async expression that yields a fresh,
//! empty, migrated store (its own database) for each test.
//!
//! Each check is a plain `async fn(Arc<dyn Store>)` so that a failure points at one behaviour of the
//! contract; the macro turns each into a `#[tokio::test]`. The checks live in one file per concept,
//! named like the contract's files, and use nothing but the [`Store`] trait: no SQL, no backend
//! specifics.

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
            operator_preferences_default_save_and_isolation,
            operator_last_seen_is_recorded_and_never_goes_back,
            accounts_crud,
            account_with_conversations_cannot_be_deleted,
            accounts_keep_channel_settings_and_sealed_secrets,
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
            import_is_idempotent_and_queues_nothing,
            import_updates_existing_conversation,
            import_records_outbound_authors_and_skips_echoes,
            quotes_and_link_previews_round_trip,
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
            channel_deliveries_lease_retry_and_finish,
            channel_deliveries_limit_order_and_accounts,
            concurrent_delivery_claims_never_share_a_delivery,
            external_sends_are_idempotent_and_exclusive,
            message_by_external_id_finds_own_ids_and_sends,
            conversation_by_external_chat_finds_the_chat,
            external_reply_takes_the_lead_from_the_bot,
            external_reply_is_idempotent_and_needs_a_conversation,
            media_round_trip_with_bytes,
            quick_replies_crud_and_visibility,
            kb_categories_upsert_and_order,
            kb_category_delete_not_found_and_conflict,
            kb_article_upsert_versions_and_tags,
            kb_articles_list_filter_and_delete,
            kb_import_counts_and_is_atomic,
            kb_categories_reorder,
            kb_article_history_records_every_write,
            kb_article_restore_writes_a_new_version,
            kb_article_save_from_a_stale_version_conflicts,
            kb_articles_move_together_or_not_at_all,
            decisions_round_trip_and_list,
            decision_counts_group_order_and_since,
            bot_turn_applies_everything_in_order,
            bot_turn_hands_off_after_its_farewell,
            bot_turn_is_all_or_nothing,
            bot_turn_of_a_finished_job_conflicts,
            bot_turn_after_a_takeover_keeps_the_decision_drops_the_words,
            voice_turns_round_trip_in_turn_order,
            voice_turn_recorded_twice_conflicts,
            conversation_voice_turns_group_calls,
            workflows_create_update_and_list,
            workflow_saves_check_the_revision,
            workflow_versions_keep_their_notes,
            workflow_publish_numbering_and_rollback,
            concurrent_publishes_get_distinct_versions,
            workflow_delete_conflicts_while_in_use,
            account_workflow_set_and_clear,
            flow_states_save_clear_and_count,
            integrations_upsert_list_and_delete,
            bot_config_draft_saves_check_the_revision,
            bot_config_publish_numbers_versions_and_clears_the_draft,
            concurrent_bot_config_publishes_get_distinct_versions,
            llm_settings_keep_replace_and_clear_the_sealed_key,
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

mod accounts;
mod bot_configs;
mod channels;
mod conversations;
mod decisions;
mod events;
mod history;
mod jobs;
mod knowledge;
mod operators;
mod quick_replies;
mod search;
mod voice;
mod workflows;

pub use accounts::*;
pub use bot_configs::*;
pub use channels::*;
pub use conversations::*;
pub use decisions::*;
pub use events::*;
pub use history::*;
pub use jobs::*;
pub use knowledge::*;
pub use operators::*;
pub use quick_replies::*;
pub use search::*;
pub use voice::*;
pub use workflows::*;

// ---- fixtures -----------------------------------------------------------------------------------

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
        quote: None,
        link: None,
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

/// Like [`assert_not_found`], and the entity named must be `name`.
pub fn assert_not_found_named<T: std::fmt::Debug>(what: &str, name: &str, r: Result<T>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(n)) if n == name),
        "{what}: expected NotFound({name:?}), got {r:?}"
    );
}

/// Long enough for the millisecond clock of stored timestamps to move on.
pub async fn tick() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}
