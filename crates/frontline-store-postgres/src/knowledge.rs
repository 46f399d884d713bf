//! The knowledge base as stored (categories and articles) and the record of the bot's decisions.
//!
//! None of this appends events, so nothing here takes the event log lock. Knowledge-base writers take
//! their own transaction-level advisory lock, [`KB_LOCK`], instead: editors and imports are rare and
//! small, and running them one at a time makes "read the stored row, compare in Rust, write only what
//! changed" race-free (two concurrent first saves of a key cannot both insert, an article cannot be
//! added to a category between the emptiness check and its deletion). [`import_kb`] reuses exactly the
//! steps of the single upserts inside its one transaction, so an import and an editor's save can never
//! disagree about what counts as a change. These transactions lock nothing else first and touch only
//! the `kb_` tables, so they cannot deadlock with the event writers.

use frontline_domain::{
    ConversationId, DecisionAction, DecisionCount, DecisionId, DecisionRecord, DecisionStage,
    HandoffReason, KbArticle, KbArticleDraft, KbCategory, KbCategoryDraft, KbImport, KbImportStats,
    KbWrite, MessageId, NewDecisionRecord, Timestamp,
};
use frontline_store::{Result, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::error::{corrupt, db_err, map_err};
use crate::events::{Tx, limit_i64};
use crate::rows::{get, ts};

/// Keys of the advisory lock that serialises knowledge-base writers: the two-key space of the event
/// log lock (`(0x6672_6f6e, 1)`, see the `events` module), with its own second key.
const KB_LOCK: (i32, i32) = (0x6672_6f6e, 2);

const CATEGORY_COLUMNS: &str = "key, title, created_at, updated_at";

const ARTICLE_COLUMNS: &str =
    "key, category, title, body, tags, published, version, created_at, updated_at";

const DECISION_COLUMNS: &str = "id, conversation_id, message_id, action, stage, intent, \
    confidence, reason, article_ids, latency_us, note, trace, created_at";

fn category(row: &PgRow) -> Result<KbCategory> {
    Ok(KbCategory {
        key: get(row, "key")?,
        title: get(row, "title")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn article(row: &PgRow) -> Result<KbArticle> {
    Ok(KbArticle {
        key: get(row, "key")?,
        category: get(row, "category")?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        tags: get(row, "tags")?,
        published: get(row, "published")?,
        version: get(row, "version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn decision(row: &PgRow) -> Result<DecisionRecord> {
    Ok(DecisionRecord {
        id: DecisionId(get(row, "id")?),
        conversation_id: ConversationId(get(row, "conversation_id")?),
        message_id: MessageId(get(row, "message_id")?),
        action: DecisionAction::parse(&get::<String>(row, "action")?).map_err(corrupt)?,
        stage: get::<Option<String>>(row, "stage")?
            .map(|s| DecisionStage::parse(&s).map_err(corrupt))
            .transpose()?,
        intent: get(row, "intent")?,
        confidence: get(row, "confidence")?,
        reason: get::<Option<String>>(row, "reason")?
            .map(|r| HandoffReason::parse(&r).map_err(corrupt))
            .transpose()?,
        article_ids: get(row, "article_ids")?,
        latency_us: get(row, "latency_us")?,
        note: get(row, "note")?,
        trace: get(row, "trace")?,
        created_at: ts(row, "created_at")?,
    })
}

/// Begin a knowledge-base write, holding [`KB_LOCK`] until it commits or rolls back.
async fn begin_kb_writer(pool: &PgPool) -> Result<Tx> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(KB_LOCK.0)
        .bind(KB_LOCK.1)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(tx)
}

// ---- categories ---------------------------------------------------------------------------------

pub(crate) async fn list_categories(pool: &PgPool) -> Result<Vec<KbCategory>> {
    // The key columns are COLLATE "C" (see the migration): code-point order, as on SQLite.
    let rows = sqlx::query(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM kb_categories ORDER BY key"
    ))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(category).collect()
}

pub(crate) async fn upsert_category(
    pool: &PgPool,
    draft: KbCategoryDraft,
) -> Result<(KbCategory, KbWrite)> {
    let mut tx = begin_kb_writer(pool).await?;
    let written = put_category(&mut tx, &draft, Timestamp::now()).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(written)
}

async fn load_category(tx: &mut Tx, key: &str) -> Result<Option<KbCategory>> {
    let row = sqlx::query(&format!(
        "SELECT {CATEGORY_COLUMNS} FROM kb_categories WHERE key = $1"
    ))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    row.as_ref().map(category).transpose()
}

/// Create or retitle one category; an unchanged title writes nothing, so `updated_at` stays.
async fn put_category(
    tx: &mut Tx,
    draft: &KbCategoryDraft,
    now: Timestamp,
) -> Result<(KbCategory, KbWrite)> {
    let (sql, write) = match load_category(tx, &draft.key).await? {
        Some(stored) if stored.title == draft.title => return Ok((stored, KbWrite::Unchanged)),
        Some(_) => (
            format!(
                "UPDATE kb_categories SET title = $2, updated_at = $3 WHERE key = $1 \
                 RETURNING {CATEGORY_COLUMNS}"
            ),
            KbWrite::Updated,
        ),
        None => (
            format!(
                "INSERT INTO kb_categories (key, title, created_at, updated_at) \
                 VALUES ($1, $2, $3, $3) RETURNING {CATEGORY_COLUMNS}"
            ),
            KbWrite::Created,
        ),
    };
    let row = sqlx::query(&sql)
        .bind(&draft.key)
        .bind(&draft.title)
        .bind(now.0)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok((category(&row)?, write))
}

pub(crate) async fn delete_category(pool: &PgPool, key: &str) -> Result<()> {
    let mut tx = begin_kb_writer(pool).await?;
    if load_category(&mut tx, key).await?.is_none() {
        return Err(StoreError::NotFound("category"));
    }
    let articles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kb_articles WHERE category = $1")
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    if articles > 0 {
        return Err(StoreError::Conflict(format!(
            "the category has {articles} articles; move or delete them first"
        )));
    }
    sqlx::query("DELETE FROM kb_categories WHERE key = $1")
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)
}

async fn category_exists(executor: impl sqlx::PgExecutor<'_>, key: &str) -> Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM kb_categories WHERE key = $1)")
        .bind(key)
        .fetch_one(executor)
        .await
        .map_err(db_err)
}

// ---- articles -----------------------------------------------------------------------------------

pub(crate) async fn list_articles(pool: &PgPool, category: Option<&str>) -> Result<Vec<KbArticle>> {
    let rows = sqlx::query(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE $1::text IS NULL OR category = $1 \
         ORDER BY key"
    ))
    .bind(category)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    // An empty list of an unknown category would hide a typo in the caller: say it does not exist.
    if rows.is_empty()
        && let Some(key) = category
        && !category_exists(pool, key).await?
    {
        return Err(StoreError::NotFound("category"));
    }
    rows.iter().map(article).collect()
}

pub(crate) async fn article_by_key(pool: &PgPool, key: &str) -> Result<Option<KbArticle>> {
    let row = sqlx::query(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE key = $1"
    ))
    .bind(key)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(article).transpose()
}

pub(crate) async fn upsert_article(
    pool: &PgPool,
    draft: KbArticleDraft,
) -> Result<(KbArticle, KbWrite)> {
    let mut tx = begin_kb_writer(pool).await?;
    let written = put_article(&mut tx, &draft, Timestamp::now()).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(written)
}

/// Whether storing `draft` over `stored` would change nothing.
fn same_article(stored: &KbArticle, draft: &KbArticleDraft) -> bool {
    stored.category == draft.category
        && stored.title == draft.title
        && stored.body == draft.body
        && stored.tags == draft.tags
        && stored.published == draft.published
}

/// Create (version 1) or update (version + 1) one article; an update that changes nothing writes
/// nothing, so version and `updated_at` stay.
async fn put_article(
    tx: &mut Tx,
    draft: &KbArticleDraft,
    now: Timestamp,
) -> Result<(KbArticle, KbWrite)> {
    if !category_exists(&mut **tx, &draft.category).await? {
        return Err(StoreError::NotFound("category"));
    }
    let stored = sqlx::query(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE key = $1"
    ))
    .bind(&draft.key)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(article)
    .transpose()?;
    let (sql, write) = match stored {
        Some(stored) if same_article(&stored, draft) => return Ok((stored, KbWrite::Unchanged)),
        Some(_) => (
            format!(
                "UPDATE kb_articles SET category = $2, title = $3, body = $4, tags = $5, \
                     published = $6, version = version + 1, updated_at = $7 \
                 WHERE key = $1 RETURNING {ARTICLE_COLUMNS}"
            ),
            KbWrite::Updated,
        ),
        None => (
            format!(
                "INSERT INTO kb_articles (key, category, title, body, tags, published, version, \
                     created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING {ARTICLE_COLUMNS}"
            ),
            KbWrite::Created,
        ),
    };
    let row = sqlx::query(&sql)
        .bind(&draft.key)
        .bind(&draft.category)
        .bind(&draft.title)
        .bind(&draft.body)
        .bind(&draft.tags)
        .bind(draft.published)
        .bind(now.0)
        .fetch_one(&mut **tx)
        .await
        // The category was checked above under the lock; mapping the foreign key anyway means a
        // missing one can never surface as a backend error.
        .map_err(map_err("category"))?;
    Ok((article(&row)?, write))
}

pub(crate) async fn delete_article(pool: &PgPool, key: &str) -> Result<KbArticle> {
    let row = sqlx::query(&format!(
        "DELETE FROM kb_articles WHERE key = $1 RETURNING {ARTICLE_COLUMNS}"
    ))
    .bind(key)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    article(&row.ok_or(StoreError::NotFound("article"))?)
}

pub(crate) async fn import(pool: &PgPool, import: KbImport) -> Result<KbImportStats> {
    let now = Timestamp::now();
    let mut stats = KbImportStats::default();
    let mut tx = begin_kb_writer(pool).await?;
    for draft in &import.categories {
        match put_category(&mut tx, draft, now).await?.1 {
            KbWrite::Created => stats.categories_created += 1,
            KbWrite::Updated => stats.categories_updated += 1,
            KbWrite::Unchanged => {}
        }
    }
    // Any error returns before the commit; dropping the transaction rolls back the categories too.
    for draft in &import.articles {
        match put_article(&mut tx, draft, now).await?.1 {
            KbWrite::Created => stats.articles_created += 1,
            KbWrite::Updated => stats.articles_updated += 1,
            KbWrite::Unchanged => stats.articles_unchanged += 1,
        }
    }
    tx.commit().await.map_err(db_err)?;
    Ok(stats)
}

// ---- bot decisions ------------------------------------------------------------------------------

async fn conversation_exists(pool: &PgPool, id: ConversationId) -> Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1)")
        .bind(id.0)
        .fetch_one(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn record_decision(
    pool: &PgPool,
    new: NewDecisionRecord,
) -> Result<DecisionRecord> {
    // Conversations are never deleted, so once found it stays; a foreign key violation of the insert
    // can then only be the message's.
    if !conversation_exists(pool, new.conversation_id).await? {
        return Err(StoreError::NotFound("conversation"));
    }
    let row = sqlx::query(&format!(
        "INSERT INTO bot_decisions (conversation_id, message_id, action, stage, intent, \
             confidence, reason, article_ids, latency_us, note, trace, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {DECISION_COLUMNS}"
    ))
    .bind(new.conversation_id.0)
    .bind(new.message_id.0)
    .bind(new.action.as_str())
    .bind(new.stage.map(|s| s.as_str()))
    .bind(&new.intent)
    .bind(new.confidence)
    .bind(new.reason.map(|r| r.as_str()))
    .bind(&new.article_ids)
    .bind(new.latency_us)
    .bind(&new.note)
    .bind(&new.trace)
    .bind(Timestamp::now().0)
    .fetch_one(pool)
    .await
    .map_err(map_err("message"))?;
    decision(&row)
}

pub(crate) async fn list_decisions(
    pool: &PgPool,
    conversation: ConversationId,
    limit: usize,
) -> Result<Vec<DecisionRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT * FROM ( \
             SELECT {DECISION_COLUMNS} FROM bot_decisions WHERE conversation_id = $1 \
             ORDER BY id DESC LIMIT $2 \
         ) newest ORDER BY id"
    ))
    .bind(conversation.0)
    .bind(limit_i64(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    if rows.is_empty() && !conversation_exists(pool, conversation).await? {
        return Err(StoreError::NotFound("conversation"));
    }
    rows.iter().map(decision).collect()
}

pub(crate) async fn decision_counts(pool: &PgPool, since: Timestamp) -> Result<Vec<DecisionCount>> {
    // NULLS FIRST: PostgreSQL sorts NULL last by default, SQLite first; the contract wants "no
    // intent" first. COLLATE "C" orders intents by code point, as SQLite does.
    let rows = sqlx::query(
        "SELECT intent, action, COUNT(*) AS count FROM bot_decisions WHERE created_at >= $1 \
         GROUP BY intent, action \
         ORDER BY intent COLLATE \"C\" NULLS FIRST, action COLLATE \"C\"",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            Ok(DecisionCount {
                intent: get(row, "intent")?,
                action: DecisionAction::parse(&get::<String>(row, "action")?).map_err(corrupt)?,
                count: get(row, "count")?,
            })
        })
        .collect()
}
