//! The knowledge base as stored (categories and articles) and the record of the bot's decisions.
//!
//! None of this appends events. Writes still go through the single write connection in a
//! `BEGIN IMMEDIATE` transaction: with no other writer, "read the stored row, compare in Rust, write
//! only what changed" needs no row locks, and [`import_kb`] reuses exactly the steps of the single
//! upserts inside its one transaction, so an import and an editor's save can never disagree about what
//! counts as a change.

use frontline_domain::{
    ConversationId, DecisionCount, DecisionRecord, KbArticle, KbArticleDraft, KbCategory,
    KbCategoryDraft, KbImport, KbImportStats, KbWrite, NewDecisionRecord, Timestamp,
};
use frontline_store::{Result, StoreError};

use crate::error::db;
use crate::rows::{self, DECISION_COLS, KB_ARTICLE_COLS, KB_CATEGORY_COLS, strings_to_json};
use crate::{SqliteStore, Tx, sql_int};

// ---- categories ---------------------------------------------------------------------------------

pub(crate) async fn list_kb_categories(s: &SqliteStore) -> Result<Vec<KbCategory>> {
    let sql = format!("SELECT {KB_CATEGORY_COLS} FROM kb_categories ORDER BY key");
    let rows = sqlx::query(&sql).fetch_all(&s.read).await.map_err(db)?;
    rows.iter().map(rows::kb_category).collect()
}

pub(crate) async fn upsert_kb_category(
    s: &SqliteStore,
    draft: KbCategoryDraft,
) -> Result<(KbCategory, KbWrite)> {
    let mut tx = s.begin().await?;
    let written = put_category(&mut tx, &draft, Timestamp::now()).await?;
    tx.commit().await.map_err(db)?;
    Ok(written)
}

async fn load_category(tx: &mut Tx, key: &str) -> Result<Option<KbCategory>> {
    let sql = format!("SELECT {KB_CATEGORY_COLS} FROM kb_categories WHERE key = ?");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::kb_category).transpose()
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
                "UPDATE kb_categories SET title = ?1, updated_at = ?2 WHERE key = ?3 \
                 RETURNING {KB_CATEGORY_COLS}"
            ),
            KbWrite::Updated,
        ),
        None => (
            format!(
                "INSERT INTO kb_categories (key, title, created_at, updated_at) \
                 VALUES (?3, ?1, ?2, ?2) RETURNING {KB_CATEGORY_COLS}"
            ),
            KbWrite::Created,
        ),
    };
    let row = sqlx::query(&sql)
        .bind(&draft.title)
        .bind(now.0)
        .bind(&draft.key)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    Ok((rows::kb_category(&row)?, write))
}

pub(crate) async fn delete_kb_category(s: &SqliteStore, key: &str) -> Result<()> {
    let mut tx = s.begin().await?;
    if load_category(&mut tx, key).await?.is_none() {
        return Err(StoreError::NotFound("category"));
    }
    let articles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kb_articles WHERE category = ?")
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    if articles > 0 {
        return Err(StoreError::Conflict(format!(
            "the category has {articles} articles; move or delete them first"
        )));
    }
    sqlx::query("DELETE FROM kb_categories WHERE key = ?")
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}

async fn category_exists(tx: &mut Tx, key: &str) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM kb_categories WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("category"))
}

// ---- articles -----------------------------------------------------------------------------------

pub(crate) async fn list_kb_articles(
    s: &SqliteStore,
    category: Option<&str>,
) -> Result<Vec<KbArticle>> {
    let sql = format!(
        "SELECT {KB_ARTICLE_COLS} FROM kb_articles WHERE ?1 IS NULL OR category = ?1 ORDER BY key"
    );
    let rows = sqlx::query(&sql)
        .bind(category)
        .fetch_all(&s.read)
        .await
        .map_err(db)?;
    // An empty list of an unknown category would hide a typo in the caller: say it does not exist.
    if rows.is_empty()
        && let Some(key) = category
    {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM kb_categories WHERE key = ?")
            .bind(key)
            .fetch_optional(&s.read)
            .await
            .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound("category"));
        }
    }
    rows.iter().map(rows::kb_article).collect()
}

pub(crate) async fn kb_article(s: &SqliteStore, key: &str) -> Result<Option<KbArticle>> {
    let sql = format!("SELECT {KB_ARTICLE_COLS} FROM kb_articles WHERE key = ?");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::kb_article).transpose()
}

pub(crate) async fn upsert_kb_article(
    s: &SqliteStore,
    draft: KbArticleDraft,
) -> Result<(KbArticle, KbWrite)> {
    let mut tx = s.begin().await?;
    let written = put_article(&mut tx, &draft, Timestamp::now()).await?;
    tx.commit().await.map_err(db)?;
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
    category_exists(tx, &draft.category).await?;
    let sql = format!("SELECT {KB_ARTICLE_COLS} FROM kb_articles WHERE key = ?");
    let stored = sqlx::query(&sql)
        .bind(&draft.key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::kb_article)
        .transpose()?;
    let (sql, write) = match stored {
        Some(stored) if same_article(&stored, draft) => return Ok((stored, KbWrite::Unchanged)),
        Some(_) => (
            format!(
                "UPDATE kb_articles SET category = ?1, title = ?2, body = ?3, tags = ?4, \
                 published = ?5, version = version + 1, updated_at = ?6 WHERE key = ?7 \
                 RETURNING {KB_ARTICLE_COLS}"
            ),
            KbWrite::Updated,
        ),
        None => (
            format!(
                "INSERT INTO kb_articles (category, title, body, tags, published, version, \
                 created_at, updated_at, key) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6, ?7) \
                 RETURNING {KB_ARTICLE_COLS}"
            ),
            KbWrite::Created,
        ),
    };
    let row = sqlx::query(&sql)
        .bind(&draft.category)
        .bind(&draft.title)
        .bind(&draft.body)
        .bind(strings_to_json(&draft.tags)?)
        .bind(draft.published)
        .bind(now.0)
        .bind(&draft.key)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match &e {
            // Checked above in this same transaction; kept so that a failure can never surface as a
            // backend error.
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::NotFound("category")
            }
            _ => db(e),
        })?;
    Ok((rows::kb_article(&row)?, write))
}

pub(crate) async fn delete_kb_article(s: &SqliteStore, key: &str) -> Result<KbArticle> {
    let sql = format!("DELETE FROM kb_articles WHERE key = ? RETURNING {KB_ARTICLE_COLS}");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&s.write)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("article"))?;
    rows::kb_article(&row)
}

pub(crate) async fn import_kb(s: &SqliteStore, import: KbImport) -> Result<KbImportStats> {
    let now = Timestamp::now();
    let mut stats = KbImportStats::default();
    let mut tx = s.begin().await?;
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
    tx.commit().await.map_err(db)?;
    Ok(stats)
}

// ---- bot decisions ------------------------------------------------------------------------------

pub(crate) async fn record_decision(
    s: &SqliteStore,
    new: NewDecisionRecord,
) -> Result<DecisionRecord> {
    let mut tx = s.begin().await?;
    let conversation: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE id = ?")
        .bind(new.conversation_id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    if conversation.is_none() {
        return Err(StoreError::NotFound("conversation"));
    }
    let sql = format!(
        "INSERT INTO bot_decisions (conversation_id, message_id, action, stage, intent, \
         confidence, reason, article_ids, latency_us, note, trace, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {DECISION_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(new.conversation_id.0)
        .bind(new.message_id.0)
        .bind(new.action.as_str())
        .bind(new.stage.map(|s| s.as_str()))
        .bind(&new.intent)
        .bind(new.confidence)
        .bind(new.reason.map(|r| r.as_str()))
        .bind(strings_to_json(&new.article_ids)?)
        .bind(new.latency_us)
        .bind(&new.note)
        .bind(&new.trace)
        .bind(Timestamp::now().0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            // The conversation was found above in this transaction, so the message is what is missing.
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::NotFound("message")
            }
            _ => db(e),
        })?;
    let record = rows::decision(&row)?;
    tx.commit().await.map_err(db)?;
    Ok(record)
}

pub(crate) async fn list_decisions(
    s: &SqliteStore,
    conversation: ConversationId,
    limit: usize,
) -> Result<Vec<DecisionRecord>> {
    let sql = format!(
        "SELECT {DECISION_COLS} FROM bot_decisions WHERE conversation_id = ? \
         ORDER BY id DESC LIMIT ?"
    );
    let rows = sqlx::query(&sql)
        .bind(conversation.0)
        .bind(sql_int(limit))
        .fetch_all(&s.read)
        .await
        .map_err(db)?;
    if rows.is_empty() {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE id = ?")
            .bind(conversation.0)
            .fetch_optional(&s.read)
            .await
            .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound("conversation"));
        }
    }
    let mut decisions = rows
        .iter()
        .map(rows::decision)
        .collect::<Result<Vec<_>>>()?;
    decisions.reverse();
    Ok(decisions)
}

pub(crate) async fn decision_counts(
    s: &SqliteStore,
    since: Timestamp,
) -> Result<Vec<DecisionCount>> {
    let rows = sqlx::query(
        "SELECT intent, action, COUNT(*) AS count FROM bot_decisions WHERE created_at >= ? \
         GROUP BY intent, action ORDER BY intent NULLS FIRST, action",
    )
    .bind(since.0)
    .fetch_all(&s.read)
    .await
    .map_err(db)?;
    rows.iter().map(rows::decision_count).collect()
}
