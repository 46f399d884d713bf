//! Bulk import of a channel's history.
//!
//! A batch is a handful of set-based statements over arrays (`UNNEST` of bound arrays), whatever its
//! size: customers, conversations and messages are each inserted with one statement, so loading a
//! million messages costs a few hundred round trips rather than millions. Idempotency rests on the
//! same unique keys as live ingestion, through `ON CONFLICT DO NOTHING`, and on the recorded sends of
//! our own messages (`external_sends`), whose echoes are not history to import.

use std::collections::{HashMap, HashSet};

use frontline_domain::{
    AccountId, ConversationId, ConversationStatus, CustomerProfile, DeliveryStatus, Direction,
    EventKind, Lead, Listing, Timestamp, preview_text,
};
use frontline_store::{ImportStats, ImportedMessage, Result, StoreError};
use sqlx::PgPool;

use crate::error::{db_err, map_err};
use crate::events::{Tx, append_many, begin_writer};
use crate::rows::{attachments_text, get};

type ChatKey = (i64, String);

/// What the batch says about one chat.
struct Chat {
    customer: String,
    /// The last listing given for it in the batch.
    listing: Option<Listing>,
}

/// A conversation the batch refers to, as stored before the new messages.
struct Stored {
    id: ConversationId,
    new: bool,
    last: Option<(Timestamp, i64)>,
}

pub(crate) async fn import_messages(
    pool: &PgPool,
    batch: Vec<ImportedMessage>,
) -> Result<ImportStats> {
    if batch.is_empty() {
        return Ok(ImportStats::default());
    }
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;

    check_accounts(&mut tx, &batch).await?;
    upsert_customers(&mut tx, &batch, now).await?;

    // Chats in order of first appearance, so that new conversations get ids in batch order.
    let mut chat_order: Vec<ChatKey> = Vec::new();
    let mut chats: HashMap<ChatKey, Chat> = HashMap::new();
    for m in &batch {
        let key = (m.account_id.0, m.external_chat_id.clone());
        let chat = chats.entry(key.clone()).or_insert_with(|| {
            chat_order.push(key);
            Chat {
                customer: m.customer.external_id.clone(),
                listing: None,
            }
        });
        if m.listing.is_some() {
            chat.listing.clone_from(&m.listing);
        }
    }
    let stored = upsert_conversations(&mut tx, &chat_order, &chats, now).await?;
    let conversations_created = stored.values().filter(|s| s.new).count() as u64;

    // Messages: the first of duplicates within the batch wins (the rest are skipped like stored
    // ones), and a batch is inserted in time order so that ids follow the conversation's timeline.
    let mut seen: HashSet<(i64, &str)> = HashSet::new();
    let mut fresh: Vec<&ImportedMessage> = batch
        .iter()
        .filter(|m| seen.insert((m.account_id.0, m.external_message_id.as_str())))
        .collect();
    fresh.sort_by_key(|m| m.sent_at);
    let inserted = insert_messages(&mut tx, &fresh, &stored).await?;
    let messages_created = inserted.len() as u64;

    // Bring each touched conversation's last message up to date: the newest by (time, id) of what
    // it had and what was just inserted, since history can arrive older than what is stored.
    let mut newest: HashMap<ConversationId, (Timestamp, i64, &ImportedMessage)> = HashMap::new();
    for (id, m) in &inserted {
        let conversation = stored[&(m.account_id.0, m.external_chat_id.clone())].id;
        let candidate = (m.sent_at, *id, *m);
        newest
            .entry(conversation)
            .and_modify(|cur| {
                if (candidate.0, candidate.1) > (cur.0, cur.1) {
                    *cur = candidate;
                }
            })
            .or_insert(candidate);
    }
    let mut updates = Vec::new();
    for s in stored.values() {
        if let Some(&(at, id, m)) = newest.get(&s.id)
            && s.last.is_none_or(|last| (at, id) > last)
        {
            updates.push((s.id, id, m, at));
        }
    }
    set_last_messages(&mut tx, &updates, now).await?;

    // Events, per touched conversation in batch order: created (if new), then updated.
    let mut events = Vec::new();
    for key in &chat_order {
        let s = &stored[key];
        if s.new {
            events.push((EventKind::ConversationCreated, s.id));
        }
        if s.new || newest.contains_key(&s.id) {
            events.push((EventKind::ConversationUpdated, s.id));
        }
    }
    append_many(&mut tx, &events, now).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(ImportStats {
        messages_created,
        messages_skipped: batch.len() as u64 - messages_created,
        conversations_created,
    })
}

async fn check_accounts(tx: &mut Tx, batch: &[ImportedMessage]) -> Result<()> {
    let wanted: HashSet<i64> = batch.iter().map(|m| m.account_id.0).collect();
    let wanted: Vec<i64> = wanted.into_iter().collect();
    let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = ANY($1)")
        .bind(&wanted)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
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
    .map_err(db_err)?;
    Ok(())
}

/// Listing columns as parallel arrays.
#[derive(Default)]
struct ListingArrays {
    external_id: Vec<Option<String>>,
    title: Vec<Option<String>>,
    price: Vec<Option<String>>,
    url: Vec<Option<String>>,
    image_url: Vec<Option<String>>,
}

impl ListingArrays {
    fn push(&mut self, l: Option<&Listing>) {
        self.external_id.push(l.map(|l| l.external_id.clone()));
        self.title.push(l.and_then(|l| l.title.clone()));
        self.price.push(l.and_then(|l| l.price.clone()));
        self.url.push(l.and_then(|l| l.url.clone()));
        self.image_url.push(l.and_then(|l| l.image_url.clone()));
    }
}

/// Create missing conversations (bot-led and open, like live ones), store given listings, and lock
/// and return every conversation the batch refers to.
async fn upsert_conversations(
    tx: &mut Tx,
    order: &[ChatKey],
    chats: &HashMap<ChatKey, Chat>,
    now: Timestamp,
) -> Result<HashMap<ChatKey, Stored>> {
    let accounts: Vec<i64> = order.iter().map(|k| k.0).collect();
    let chat_ids: Vec<String> = order.iter().map(|k| k.1.clone()).collect();
    let customers: Vec<String> = order.iter().map(|k| chats[k].customer.clone()).collect();
    let mut listings = ListingArrays::default();
    for k in order {
        listings.push(chats[k].listing.as_ref());
    }
    let created = sqlx::query(
        "INSERT INTO conversations (account_id, customer_id, external_chat_id, \
             listing_external_id, listing_title, listing_price, listing_url, listing_image_url, \
             lead, status, slots, unread_count, activity_at, created_at, updated_at) \
         SELECT u.account_id, cu.id, u.chat_id, u.l_id, u.l_title, u.l_price, u.l_url, u.l_image, \
             $9, $10, '{}', 0, $11, $11, $11 \
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                 $7::text[], $8::text[]) \
             WITH ORDINALITY AS u(account_id, chat_id, customer, l_id, l_title, l_price, l_url, \
                 l_image, ord) \
         JOIN customers cu ON cu.account_id = u.account_id AND cu.external_id = u.customer \
         ORDER BY u.ord \
         ON CONFLICT (account_id, external_chat_id) DO NOTHING \
         RETURNING id",
    )
    .bind(&accounts)
    .bind(&chat_ids)
    .bind(&customers)
    .bind(&listings.external_id)
    .bind(&listings.title)
    .bind(&listings.price)
    .bind(&listings.url)
    .bind(&listings.image_url)
    .bind(Lead::Bot.as_str())
    .bind(ConversationStatus::Open.as_str())
    .bind(now.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    let created: HashSet<i64> = created
        .iter()
        .map(|row| get::<i64>(row, "id"))
        .collect::<Result<_>>()?;

    let rows = sqlx::query(
        "SELECT c.id, c.account_id, c.external_chat_id, c.last_message_id, c.last_message_at \
         FROM conversations c \
         JOIN UNNEST($1::bigint[], $2::text[]) AS u(account_id, chat_id) \
             ON c.account_id = u.account_id AND c.external_chat_id = u.chat_id \
         ORDER BY c.id FOR UPDATE OF c",
    )
    .bind(&accounts)
    .bind(&chat_ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    let mut stored = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = get(row, "id")?;
        let last_id: Option<i64> = get(row, "last_message_id")?;
        let last_at: Option<i64> = get(row, "last_message_at")?;
        let key: ChatKey = (get(row, "account_id")?, get(row, "external_chat_id")?);
        stored.insert(
            key,
            Stored {
                id: ConversationId(id),
                new: created.contains(&id),
                last: last_id.map(|m| (Timestamp(last_at.unwrap_or_default()), m)),
            },
        );
    }
    if stored.len() != order.len() {
        return Err(StoreError::backend(std::io::Error::other(
            "a conversation of the import batch vanished",
        )));
    }

    // Existing conversations take the listing the batch gives them (a repeated batch changes nothing,
    // not even updated_at).
    let mut ids = Vec::new();
    let mut listings = ListingArrays::default();
    for k in order {
        if let (Some(l), false) = (&chats[k].listing, stored[k].new) {
            ids.push(stored[k].id.0);
            listings.push(Some(l));
        }
    }
    if !ids.is_empty() {
        sqlx::query(
            "UPDATE conversations c SET listing_external_id = u.l_id, listing_title = u.l_title, \
                 listing_price = u.l_price, listing_url = u.l_url, listing_image_url = u.l_image, \
                 updated_at = $7 \
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[]) AS u(id, l_id, l_title, l_price, l_url, l_image) \
             WHERE c.id = u.id AND (c.listing_external_id, c.listing_title, c.listing_price, \
                 c.listing_url, c.listing_image_url) \
                 IS DISTINCT FROM (u.l_id, u.l_title, u.l_price, u.l_url, u.l_image)",
        )
        .bind(&ids)
        .bind(&listings.external_id)
        .bind(&listings.title)
        .bind(&listings.price)
        .bind(&listings.url)
        .bind(&listings.image_url)
        .bind(now.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    Ok(stored)
}

/// Insert the messages that are not stored yet; returns the new ids with their messages.
async fn insert_messages<'a>(
    tx: &mut Tx,
    messages: &[&'a ImportedMessage],
    stored: &HashMap<ChatKey, Stored>,
) -> Result<Vec<(i64, &'a ImportedMessage)>> {
    let n = messages.len();
    let mut conversation = Vec::with_capacity(n);
    let mut account = Vec::with_capacity(n);
    let mut direction = Vec::with_capacity(n);
    let mut author_kind = Vec::with_capacity(n);
    let mut author_operator = Vec::with_capacity(n);
    let mut text = Vec::with_capacity(n);
    let mut attachments = Vec::with_capacity(n);
    let mut external_id = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut created_at = Vec::with_capacity(n);
    let mut search_terms = Vec::with_capacity(n);
    for m in messages {
        let dir = m.author.direction();
        conversation.push(stored[&(m.account_id.0, m.external_chat_id.clone())].id.0);
        account.push(m.account_id.0);
        direction.push(dir.as_str());
        author_kind.push(m.author.kind_str());
        author_operator.push(m.author.operator_id().map(|o| o.0));
        text.push(m.text.as_str());
        attachments.push(attachments_text(&m.attachments)?);
        external_id.push(m.external_message_id.as_str());
        // History was delivered: to us when inbound, through the channel when outbound.
        status.push(match dir {
            Direction::In => DeliveryStatus::Delivered.as_str(),
            Direction::Out => DeliveryStatus::Sent.as_str(),
        });
        created_at.push(m.sent_at.0);
        search_terms.push(frontline_text::index_terms(&m.text));
    }
    let rows = sqlx::query(
        "INSERT INTO messages (conversation_id, account_id, direction, author_kind, \
             author_operator_id, text, attachments, external_id, status, created_at, search_terms) \
         SELECT u.conversation_id, u.account_id, u.direction, u.author_kind, u.author_operator_id, \
             u.text, u.attachments::jsonb, u.external_id, u.status, u.created_at, u.search_terms \
         FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], \
                 $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[]) \
             WITH ORDINALITY AS u(conversation_id, account_id, direction, author_kind, \
                 author_operator_id, text, attachments, external_id, status, created_at, \
                 search_terms, ord) \
         WHERE NOT EXISTS (SELECT 1 FROM external_sends es \
             WHERE es.account_id = u.account_id AND es.external_id = u.external_id) \
         ORDER BY u.ord \
         ON CONFLICT (account_id, external_id) WHERE external_id IS NOT NULL DO NOTHING \
         RETURNING id, account_id, external_id",
    )
    .bind(&conversation)
    .bind(&account)
    .bind(&direction)
    .bind(&author_kind)
    .bind(&author_operator)
    .bind(&text)
    .bind(&attachments)
    .bind(&external_id)
    .bind(&status)
    .bind(&created_at)
    .bind(&search_terms)
    .fetch_all(&mut **tx)
    .await
    .map_err(map_err("operator"))?;

    let by_key: HashMap<(i64, &str), &ImportedMessage> = messages
        .iter()
        .map(|m| ((m.account_id.0, m.external_message_id.as_str()), *m))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let account: i64 = get(row, "account_id")?;
        let external: String = get(row, "external_id")?;
        let m = by_key.get(&(account, external.as_str())).ok_or_else(|| {
            StoreError::backend(std::io::Error::other(
                "an inserted message is not in the batch",
            ))
        })?;
        out.push((get(row, "id")?, *m));
    }
    Ok(out)
}

async fn set_last_messages(
    tx: &mut Tx,
    updates: &[(ConversationId, i64, &ImportedMessage, Timestamp)],
    now: Timestamp,
) -> Result<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = updates.iter().map(|u| u.0.0).collect();
    let messages: Vec<i64> = updates.iter().map(|u| u.1).collect();
    let texts: Vec<String> = updates
        .iter()
        .map(|u| preview_text(&u.2.text, &u.2.attachments))
        .collect();
    let directions: Vec<&str> = updates
        .iter()
        .map(|u| u.2.author.direction().as_str())
        .collect();
    let ats: Vec<i64> = updates.iter().map(|u| u.3.0).collect();
    sqlx::query(
        "UPDATE conversations c SET last_message_id = u.message_id, last_message_text = u.text, \
             last_message_direction = u.direction, last_message_at = u.at, activity_at = u.at, \
             updated_at = $6 \
         FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) \
             AS u(id, message_id, text, direction, at) \
         WHERE c.id = u.id",
    )
    .bind(&ids)
    .bind(&messages)
    .bind(&texts)
    .bind(&directions)
    .bind(&ats)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}
