//! A channel's history imported in bulk: one transaction, idempotent on the same keys as inbound
//! messages (our own sends echoed back are skipped), no jobs, unread counts left alone.

use crate::conversations::{
    account_exists, find_or_create_conversation, insert_message, save_conversation, upsert_customer,
};
use crate::error::db;
use crate::events::append_event;
use crate::{SqliteStore, Tx};
use async_trait::async_trait;
use frontline_domain::{AccountId, Conversation, DeliveryStatus, Direction, EventKind, Timestamp};
use frontline_store::write::NewMessage;
use frontline_store::{HistoryStore, ImportStats, ImportedMessage, Result};
use sqlx::{QueryBuilder, Sqlite};
use std::collections::{HashMap, HashSet};

/// Which `(account, external message id)` keys of `batch` are already stored, as messages' own ids
/// or as recorded sends of ours (an echo of what we sent is not history to import).
async fn stored_external_ids(
    tx: &mut Tx,
    batch: &[ImportedMessage],
) -> Result<HashSet<(AccountId, String)>> {
    const CHUNK: usize = 500;
    let mut by_account: HashMap<AccountId, Vec<&str>> = HashMap::new();
    for m in batch {
        by_account
            .entry(m.account_id)
            .or_default()
            .push(&m.external_message_id);
    }
    let mut found = HashSet::new();
    for (account, ids) in by_account {
        for table in ["messages", "external_sends"] {
            for chunk in ids.chunks(CHUNK) {
                let mut q = QueryBuilder::<Sqlite>::new(format!(
                    "SELECT external_id FROM {table} WHERE account_id = "
                ));
                q.push_bind(account.0).push(" AND external_id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                let rows: Vec<String> = q
                    .build_query_scalar()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db)?;
                found.extend(rows.into_iter().map(|id| (account, id)));
            }
        }
    }
    Ok(found)
}

/// A conversation touched by an import batch.
struct Touched {
    conv: Conversation,
    new: bool,
}

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn import_messages(&self, batch: Vec<ImportedMessage>) -> Result<ImportStats> {
        let now = Timestamp::now();
        let mut stats = ImportStats::default();
        let mut tx = self.begin().await?;
        let mut accounts: HashSet<AccountId> = HashSet::new();
        let mut customers: HashMap<(AccountId, String), i64> = HashMap::new();
        // Conversations in the order the batch first touched them, so that events come out in that order.
        let mut touched: Vec<Touched> = Vec::new();
        let mut index: HashMap<(AccountId, String), usize> = HashMap::new();

        // Keys already stored (looked up in bulk: one round trip per few hundred messages) plus the
        // ones inserted by this batch, so that a key repeated within the batch is skipped too.
        let mut stored = stored_external_ids(&mut tx, &batch).await?;
        for m in batch {
            if !stored.insert((m.account_id, m.external_message_id.clone())) {
                stats.messages_skipped += 1;
                continue;
            }
            if accounts.insert(m.account_id) {
                account_exists(&mut tx, m.account_id).await?;
            }
            let chat_key = (m.account_id, m.external_chat_id.clone());
            let slot = match index.get(&chat_key) {
                Some(&i) => i,
                None => {
                    let customer_key = (m.account_id, m.customer.external_id.clone());
                    let customer = match customers.get(&customer_key) {
                        Some(&id) => id,
                        None => {
                            let id =
                                upsert_customer(&mut tx, m.account_id, &m.customer, now).await?;
                            customers.insert(customer_key, id);
                            id
                        }
                    };
                    let (conv, new) = find_or_create_conversation(
                        &mut tx,
                        m.account_id,
                        &m.external_chat_id,
                        customer,
                        now,
                    )
                    .await?;
                    if new {
                        stats.conversations_created += 1;
                    }
                    touched.push(Touched { conv, new });
                    index.insert(chat_key, touched.len() - 1);
                    touched.len() - 1
                }
            };
            let t = &mut touched[slot];
            if let Some(listing) = m.listing {
                t.conv.update_listing(listing);
            }
            let direction = m.author.direction();
            let message = insert_message(
                &mut tx,
                NewMessage {
                    conversation: &t.conv,
                    author: m.author,
                    direction,
                    text: &m.text,
                    attachments: &m.attachments,
                    quote: m.quote.as_ref(),
                    link: m.link.as_ref(),
                    external_id: Some(&m.external_message_id),
                    // History is past: what came in reached us, what went out left through the channel.
                    status: match direction {
                        Direction::In => DeliveryStatus::Delivered,
                        Direction::Out => DeliveryStatus::Sent,
                    },
                    created_at: m.sent_at,
                },
            )
            .await?;
            t.conv.show_message(&message);
            stats.messages_created += 1;
        }

        for t in &mut touched {
            t.conv.updated_at = now;
            save_conversation(&mut tx, &t.conv).await?;
            if t.new {
                append_event(
                    &mut tx,
                    EventKind::ConversationCreated,
                    t.conv.id,
                    None,
                    None,
                    now,
                )
                .await?;
            }
            append_event(
                &mut tx,
                EventKind::ConversationUpdated,
                t.conv.id,
                None,
                None,
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(stats)
    }
}
