//! A channel's history imported in bulk.
//!
//! A batch is a handful of set-based statements over arrays (`UNNEST` of bound arrays), whatever its
//! size: customers, conversations and messages are each inserted with one statement and the touched
//! conversations are written back with one, so loading a million messages costs a few hundred round
//! trips rather than millions. In between, the conversations are changed in Rust by the domain's
//! rules like everywhere else (`update_listing`, `show_message`): history can arrive older than what
//! is stored, and only the newest message is shown. Idempotency rests on the same unique keys as live
//! ingestion, through `ON CONFLICT DO NOTHING`, and on the recorded sends of our own messages
//! (`external_sends`), whose echoes are not history to import.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use frontline_domain::{
    AccountId, Conversation, ConversationId, ConversationStatus, CustomerProfile, DeliveryStatus,
    Direction, EventKind, Lead, Message, Timestamp,
};
use frontline_store::rows::{self, CONVERSATION_COLS, MESSAGE_COLS};
use frontline_store::{HistoryStore, ImportStats, ImportedMessage, Result, StoreError, stored};

use crate::conversations::save_conversations;
use crate::error::{db, db_referencing};
use crate::events::append_events;
use crate::{PgStore, Tx};

type ChatKey = (i64, String);

/// A conversation the batch refers to.
struct Chat {
    conversation: Conversation,
    /// As it was stored before the batch: only a conversation that changed is written back.
    stored: Conversation,
    new: bool,
    /// At least one of the batch's messages was new to it.
    touched: bool,
}

#[async_trait]
impl HistoryStore for PgStore {
    async fn import_messages(&self, batch: Vec<ImportedMessage>) -> Result<ImportStats> {
        if batch.is_empty() {
            return Ok(ImportStats::default());
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;

        check_accounts(&mut tx, &batch).await?;
        upsert_customers(&mut tx, &batch, now).await?;

        // Chats in order of first appearance, so that new conversations get ids in batch order.
        let mut order: Vec<ChatKey> = Vec::new();
        let mut customers: HashMap<ChatKey, &str> = HashMap::new();
        for m in &batch {
            let key = (m.account_id.0, m.external_chat_id.clone());
            customers.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                m.customer.external_id.as_str()
            });
        }
        let created = create_conversations(&mut tx, &order, &customers, now).await?;
        let mut chats = lock_conversations(&mut tx, &order, &created).await?;
        let by_key: HashMap<&ChatKey, usize> = order.iter().zip(0..).collect();
        let by_id: HashMap<ConversationId, usize> = chats
            .iter()
            .zip(0..)
            .map(|(chat, i)| (chat.conversation.id, i))
            .collect();

        // Messages: the first of duplicates within the batch wins (the rest are skipped like stored
        // ones), and a batch is inserted in time order so that ids follow the conversation's timeline.
        let mut seen: HashSet<(i64, &str)> = HashSet::new();
        let mut fresh: Vec<&ImportedMessage> = batch
            .iter()
            .filter(|m| seen.insert((m.account_id.0, m.external_message_id.as_str())))
            .collect();
        fresh.sort_by_key(|m| m.sent_at);
        let inserted = insert_messages(&mut tx, &fresh, |m| {
            let i = by_key[&(m.account_id.0, m.external_chat_id.clone())];
            chats[i].conversation.id
        })
        .await?;
        for message in &inserted {
            let chat = &mut chats[by_id[&message.conversation_id]];
            chat.conversation.show_message(message);
            chat.touched = true;
        }
        // Listings as the new messages give them, in batch order; a message already stored (or our
        // own send echoed back) changes nothing, as in every other idempotent write.
        let new_ids: HashSet<(i64, &str)> = inserted
            .iter()
            .filter_map(|m| Some((m.account_id.0, m.external_id.as_deref()?)))
            .collect();
        for m in &batch {
            if let Some(listing) = &m.listing
                && new_ids.contains(&(m.account_id.0, m.external_message_id.as_str()))
            {
                let i = by_key[&(m.account_id.0, m.external_chat_id.clone())];
                chats[i].conversation.update_listing(listing.clone());
            }
        }

        // Only what changed is written back, so a repeated batch does not even move `updated_at`.
        let changed: Vec<Conversation> = chats
            .iter()
            .filter(|chat| chat.conversation != chat.stored)
            .map(|chat| Conversation {
                updated_at: now,
                ..chat.conversation.clone()
            })
            .collect();
        save_conversations(&mut tx, &changed).await?;

        // Events, per touched conversation in batch order: created (if new), then updated.
        let mut events = Vec::new();
        for chat in &chats {
            if chat.new {
                events.push((EventKind::ConversationCreated, chat.conversation.id));
            }
            if chat.new || chat.touched {
                events.push((EventKind::ConversationUpdated, chat.conversation.id));
            }
        }
        append_events(&mut tx, &events, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(ImportStats {
            messages_created: inserted.len() as u64,
            messages_skipped: (batch.len() - inserted.len()) as u64,
            conversations_created: created.len() as u64,
        })
    }
}

async fn check_accounts(tx: &mut Tx, batch: &[ImportedMessage]) -> Result<()> {
    let wanted: HashSet<i64> = batch.iter().map(|m| m.account_id.0).collect();
    let wanted: Vec<i64> = wanted.into_iter().collect();
    let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = ANY($1)")
        .bind(&wanted)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    if found != wanted.len() as i64 {
        return Err(StoreError::NotFound("account"));
    }
    Ok(())
}

/// Create missing customers and apply the profile fields the batch gives (later messages win).
async fn upsert_customers(tx: &mut Tx, batch: &[ImportedMessage], now: Timestamp) -> Result<()> {
    // One row per customer: ON CONFLICT DO UPDATE may not touch a row twice in one statement.
    let mut order: Vec<(AccountId, &str)> = Vec::new();
    let mut merged: HashMap<(AccountId, &str), CustomerProfile> = HashMap::new();
    for m in batch {
        let key = (m.account_id, m.customer.external_id.as_str());
        let p = merged.entry(key).or_insert_with(|| {
            order.push(key);
            CustomerProfile {
                external_id: m.customer.external_id.clone(),
                ..CustomerProfile::default()
            }
        });
        if m.customer.name.is_some() {
            p.name.clone_from(&m.customer.name);
        }
        if m.customer.avatar_url.is_some() {
            p.avatar_url.clone_from(&m.customer.avatar_url);
        }
        if m.customer.phone.is_some() {
            p.phone.clone_from(&m.customer.phone);
        }
    }
    let profiles: Vec<(AccountId, &CustomerProfile)> =
        order.iter().map(|k| (k.0, &merged[k])).collect();
    sqlx::query(
        "INSERT INTO customers (account_id, external_id, name, avatar_url, phone, created_at) \
         SELECT u.account_id, u.external_id, u.name, u.avatar_url, u.phone, $6 \
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) \
             WITH ORDINALITY AS u(account_id, external_id, name, avatar_url, phone, ord) \
         ORDER BY u.ord \
         ON CONFLICT (account_id, external_id) DO UPDATE SET \
             name = COALESCE(EXCLUDED.name, customers.name), \
             avatar_url = COALESCE(EXCLUDED.avatar_url, customers.avatar_url), \
             phone = COALESCE(EXCLUDED.phone, customers.phone)",
    )
    .bind(profiles.iter().map(|(a, _)| a.0).collect::<Vec<_>>())
    .bind(
        profiles
            .iter()
            .map(|(_, p)| p.external_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        profiles
            .iter()
            .map(|(_, p)| p.name.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        profiles
            .iter()
            .map(|(_, p)| p.avatar_url.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        profiles
            .iter()
            .map(|(_, p)| p.phone.clone())
            .collect::<Vec<_>>(),
    )
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Create the conversations that are missing (bot-led and open, like live ones); returns their ids.
async fn create_conversations(
    tx: &mut Tx,
    order: &[ChatKey],
    customers: &HashMap<ChatKey, &str>,
    now: Timestamp,
) -> Result<HashSet<i64>> {
    let accounts: Vec<i64> = order.iter().map(|k| k.0).collect();
    let chat_ids: Vec<&str> = order.iter().map(|k| k.1.as_str()).collect();
    let customers: Vec<&str> = order.iter().map(|k| customers[k]).collect();
    let created: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO conversations (account_id, customer_id, external_chat_id, lead, status, slots, \
             unread_count, activity_at, created_at, updated_at) \
         SELECT u.account_id, cu.id, u.chat_id, $4, $5, '{}', 0, $6, $6, $6 \
         FROM UNNEST($1::bigint[], $2::text[], $3::text[]) \
             WITH ORDINALITY AS u(account_id, chat_id, customer, ord) \
         JOIN customers cu ON cu.account_id = u.account_id AND cu.external_id = u.customer \
         ORDER BY u.ord \
         ON CONFLICT (account_id, external_chat_id) DO NOTHING \
         RETURNING id",
    )
    .bind(&accounts)
    .bind(&chat_ids)
    .bind(&customers)
    .bind(Lead::Bot.as_str())
    .bind(ConversationStatus::Open.as_str())
    .bind(now.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    Ok(created.into_iter().collect())
}

/// Read and lock every conversation the batch refers to, in the order of `order`.
async fn lock_conversations(
    tx: &mut Tx,
    order: &[ChatKey],
    created: &HashSet<i64>,
) -> Result<Vec<Chat>> {
    let accounts: Vec<i64> = order.iter().map(|k| k.0).collect();
    let chat_ids: Vec<&str> = order.iter().map(|k| k.1.as_str()).collect();
    // Locked by id, so that concurrent imports take the row locks in the same order.
    let rows = sqlx::query(&format!(
        "SELECT {CONVERSATION_COLS} FROM conversations c \
         JOIN UNNEST($1::bigint[], $2::text[]) AS u(account_id, chat_id) \
             ON c.account_id = u.account_id AND c.external_chat_id = u.chat_id \
         ORDER BY c.id FOR UPDATE OF c"
    ))
    .bind(&accounts)
    .bind(&chat_ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let mut found: HashMap<ChatKey, Conversation> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let c = rows::conversation(row)?;
        found.insert((c.account_id.0, c.external_chat_id.clone()), c);
    }
    order
        .iter()
        .map(|key| {
            let conversation = found.remove(key).ok_or_else(|| {
                StoreError::backend(std::io::Error::other(
                    "a conversation of the import batch vanished",
                ))
            })?;
            Ok(Chat {
                new: created.contains(&conversation.id.0),
                stored: conversation.clone(),
                conversation,
                touched: false,
            })
        })
        .collect()
}

/// Insert the messages that are not stored yet; returns them, by id.
async fn insert_messages(
    tx: &mut Tx,
    messages: &[&ImportedMessage],
    conversation_of: impl Fn(&ImportedMessage) -> ConversationId,
) -> Result<Vec<Message>> {
    let n = messages.len();
    let mut conversation = Vec::with_capacity(n);
    let mut account = Vec::with_capacity(n);
    let mut direction = Vec::with_capacity(n);
    let mut author_kind = Vec::with_capacity(n);
    let mut author_operator = Vec::with_capacity(n);
    let mut text = Vec::with_capacity(n);
    let mut attachments = Vec::with_capacity(n);
    let mut quote = Vec::with_capacity(n);
    let mut link = Vec::with_capacity(n);
    let mut external_id = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut created_at = Vec::with_capacity(n);
    let mut search_terms = Vec::with_capacity(n);
    for m in messages {
        let dir = m.author.direction();
        conversation.push(conversation_of(m).0);
        account.push(m.account_id.0);
        direction.push(dir.as_str());
        author_kind.push(m.author.kind_str());
        author_operator.push(m.author.operator_id().map(|o| o.0));
        text.push(m.text.as_str());
        // As text: an array of JSONB does not bind; the statement casts each element.
        attachments.push(stored::attachments_to_json(&m.attachments)?);
        quote.push(stored::quote_to_json(m.quote.as_ref())?);
        link.push(stored::link_to_json(m.link.as_ref())?);
        external_id.push(m.external_message_id.as_str());
        // History was delivered: to us when inbound, through the channel when outbound.
        status.push(match dir {
            Direction::In => DeliveryStatus::Delivered.as_str(),
            Direction::Out => DeliveryStatus::Sent.as_str(),
        });
        created_at.push(m.sent_at.0);
        search_terms.push(frontline_text::index_terms(&m.text));
    }
    let rows = sqlx::query(&format!(
        "INSERT INTO messages (conversation_id, account_id, direction, author_kind, \
             author_operator_id, text, attachments, quote, link_preview, external_id, status, \
             created_at, search_terms) \
         SELECT u.conversation_id, u.account_id, u.direction, u.author_kind, u.author_operator_id, \
             u.text, u.attachments::jsonb, u.quote::jsonb, u.link_preview::jsonb, u.external_id, \
             u.status, u.created_at, u.search_terms \
         FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], \
                 $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], \
                 $13::text[]) \
             WITH ORDINALITY AS u(conversation_id, account_id, direction, author_kind, \
                 author_operator_id, text, attachments, quote, link_preview, external_id, status, \
                 created_at, search_terms, ord) \
         WHERE NOT EXISTS (SELECT 1 FROM external_sends es \
             WHERE es.account_id = u.account_id AND es.external_id = u.external_id) \
         ORDER BY u.ord \
         ON CONFLICT (account_id, external_id) WHERE external_id IS NOT NULL DO NOTHING \
         RETURNING {MESSAGE_COLS}"
    ))
    .bind(&conversation)
    .bind(&account)
    .bind(&direction)
    .bind(&author_kind)
    .bind(&author_operator)
    .bind(&text)
    .bind(&attachments)
    .bind(&quote)
    .bind(&link)
    .bind(&external_id)
    .bind(&status)
    .bind(&created_at)
    .bind(&search_terms)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_referencing("operator"))?;
    let mut inserted = rows.iter().map(rows::message).collect::<Result<Vec<_>>>()?;
    // RETURNING has no order of its own; ids follow the batch's time order.
    inserted.sort_by_key(|m| m.id);
    Ok(inserted)
}
