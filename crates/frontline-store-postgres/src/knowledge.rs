//! The knowledge base as stored: categories, articles and their revisions.
//!
//! None of this appends events, so nothing here takes the event log lock. Knowledge-base writers take
//! their own transaction-level advisory lock, [`KB_LOCK`], instead: editors and imports are rare and
//! small, and running them one at a time makes "read the stored row, compare in Rust, write only what
//! changed" race-free (two concurrent first saves of a key cannot both insert, an article cannot be
//! added to a category between the emptiness check and its deletion). `import_kb` reuses exactly the
//! steps of the single upserts inside its one transaction, so an import and an editor's save can never
//! disagree about what counts as a change. These transactions lock nothing else first and touch only
//! the `kb_` tables, so they cannot deadlock with the event writers.

use async_trait::async_trait;
use frontline_domain::{
    KbArticle, KbArticleDraft, KbCategory, KbCategoryDraft, KbImport, KbImportStats, KbRevision,
    KbRevisionSource, KbWrite, OperatorId, Timestamp,
};
use frontline_store::rows::{self, KB_ARTICLE_COLS, KB_CATEGORY_COLS, KB_REVISION_SELECT};
use frontline_store::{KnowledgeStore, Result, StoreError, kb_base_matches};

use crate::error::{db, db_referencing};
use crate::{PgStore, Tx};

/// Keys of the advisory lock that serialises knowledge-base writers: the two-key space of the event
/// log lock (`(0x6672_6f6e, 1)`, see the `events` module), with its own second key.
const KB_LOCK: (i32, i32) = (0x6672_6f6e, 2);

/// Begin a knowledge-base write, holding [`KB_LOCK`] until it commits or rolls back.
async fn begin_kb_writer(store: &PgStore) -> Result<Tx> {
    let mut tx = store.pool.begin().await.map_err(db)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(KB_LOCK.0)
        .bind(KB_LOCK.1)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    Ok(Tx::new(tx))
}

async fn load_category(tx: &mut Tx, key: &str) -> Result<Option<KbCategory>> {
    let row = sqlx::query(&format!(
        "SELECT {KB_CATEGORY_COLS} FROM kb_categories WHERE key = $1"
    ))
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
                "UPDATE kb_categories SET title = $2, updated_at = $3 WHERE key = $1 \
                 RETURNING {KB_CATEGORY_COLS}"
            ),
            KbWrite::Updated,
        ),
        None => (
            format!(
                "INSERT INTO kb_categories (key, title, position, created_at, updated_at) \
                 VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM kb_categories), \
                     $3, $3) \
                 RETURNING {KB_CATEGORY_COLS}"
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
        .map_err(db)?;
    Ok((rows::kb_category(&row)?, write))
}

async fn category_exists(executor: impl sqlx::PgExecutor<'_>, key: &str) -> Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM kb_categories WHERE key = $1)")
        .bind(key)
        .fetch_one(executor)
        .await
        .map_err(db)
}

/// Who wrote an article version, and how: what its revision records.
#[derive(Debug, Clone, Copy)]
struct Authorship {
    source: KbRevisionSource,
    restored_from: Option<i64>,
    author: Option<OperatorId>,
}

async fn load_article(executor: impl sqlx::PgExecutor<'_>, key: &str) -> Result<Option<KbArticle>> {
    sqlx::query(&format!(
        "SELECT {KB_ARTICLE_COLS} FROM kb_articles WHERE key = $1"
    ))
    .bind(key)
    .fetch_optional(executor)
    .await
    .map_err(db)?
    .as_ref()
    .map(rows::kb_article)
    .transpose()
}

/// Create (version 1) or update (version + 1) one article and record its revision; an update that
/// changes nothing writes nothing, so version and `updated_at` stay and no revision is recorded.
async fn put_article(
    tx: &mut Tx,
    draft: &KbArticleDraft,
    now: Timestamp,
    by: Authorship,
) -> Result<(KbArticle, KbWrite)> {
    if !category_exists(&mut **tx, &draft.category).await? {
        return Err(StoreError::NotFound("category"));
    }
    let stored = load_article(&mut **tx, &draft.key).await?;
    let (sql, write) = match stored {
        Some(stored) if stored.same_as(draft) => return Ok((stored, KbWrite::Unchanged)),
        Some(_) => (
            format!(
                "UPDATE kb_articles SET category = $2, title = $3, body = $4, tags = $5, \
                     published = $6, version = version + 1, updated_at = $7 \
                 WHERE key = $1 RETURNING {KB_ARTICLE_COLS}"
            ),
            KbWrite::Updated,
        ),
        None => (
            format!(
                "INSERT INTO kb_articles (key, category, title, body, tags, published, version, \
                     created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING {KB_ARTICLE_COLS}"
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
        .map_err(db_referencing("category"))?;
    let article = rows::kb_article(&row)?;
    sqlx::query(
        "INSERT INTO kb_article_revisions (key, version, category, title, body, tags, published, \
             source, restored_from, author_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&article.key)
    .bind(article.version)
    .bind(&article.category)
    .bind(&article.title)
    .bind(&article.body)
    .bind(&article.tags)
    .bind(article.published)
    .bind(by.source.as_str())
    .bind(by.restored_from)
    .bind(by.author.map(|o| o.0))
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok((article, write))
}

#[async_trait]
impl KnowledgeStore for PgStore {
    async fn list_kb_categories(&self) -> Result<Vec<KbCategory>> {
        // The key columns are COLLATE "C" (see the migration): code-point order, as on SQLite.
        let rows = sqlx::query(&format!(
            "SELECT {KB_CATEGORY_COLS} FROM kb_categories ORDER BY position, key"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::kb_category).collect()
    }

    async fn reorder_kb_categories(&self, keys: &[String]) -> Result<Vec<KbCategory>> {
        let mut tx = begin_kb_writer(self).await?;
        let stored: Vec<String> = sqlx::query_scalar("SELECT key FROM kb_categories")
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        frontline_store::check_category_order(&stored, keys)?;
        // One statement: the n-th key gets position n.
        sqlx::query(
            "UPDATE kb_categories k SET position = o.n \
             FROM unnest($1::text[]) WITH ORDINALITY AS o(key, n) WHERE k.key = o.key",
        )
        .bind(keys)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let rows = sqlx::query(&format!(
            "SELECT {KB_CATEGORY_COLS} FROM kb_categories ORDER BY position, key"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let listed = rows.iter().map(rows::kb_category).collect::<Result<_>>()?;
        tx.commit().await.map_err(db)?;
        Ok(listed)
    }

    async fn upsert_kb_category(&self, draft: KbCategoryDraft) -> Result<(KbCategory, KbWrite)> {
        let mut tx = begin_kb_writer(self).await?;
        let written = put_category(&mut tx, &draft, Timestamp::now()).await?;
        tx.commit().await.map_err(db)?;
        Ok(written)
    }

    async fn delete_kb_category(&self, key: &str) -> Result<()> {
        let mut tx = begin_kb_writer(self).await?;
        if load_category(&mut tx, key).await?.is_none() {
            return Err(StoreError::NotFound("category"));
        }
        let articles: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM kb_articles WHERE category = $1")
                .bind(key)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if articles > 0 {
            return Err(StoreError::Conflict(format!(
                "the category has {articles} articles; move or delete them first"
            )));
        }
        sqlx::query("DELETE FROM kb_categories WHERE key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn list_kb_articles(&self, category: Option<&str>) -> Result<Vec<KbArticle>> {
        let rows = sqlx::query(&format!(
            "SELECT {KB_ARTICLE_COLS} FROM kb_articles WHERE $1::text IS NULL OR category = $1 \
             ORDER BY key"
        ))
        .bind(category)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        // An empty list of an unknown category would hide a typo in the caller: say it does not
        // exist.
        if rows.is_empty()
            && let Some(key) = category
            && !category_exists(&self.pool, key).await?
        {
            return Err(StoreError::NotFound("category"));
        }
        rows.iter().map(rows::kb_article).collect()
    }

    async fn kb_article(&self, key: &str) -> Result<Option<KbArticle>> {
        let row = sqlx::query(&format!(
            "SELECT {KB_ARTICLE_COLS} FROM kb_articles WHERE key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::kb_article).transpose()
    }

    async fn upsert_kb_article_from(
        &self,
        draft: KbArticleDraft,
        author: Option<OperatorId>,
        base: Option<i64>,
    ) -> Result<(KbArticle, KbWrite)> {
        let by = Authorship {
            source: KbRevisionSource::Editor,
            restored_from: None,
            author,
        };
        let mut tx = begin_kb_writer(self).await?;
        if base.is_some() {
            let current = load_article(&mut *tx, &draft.key)
                .await?
                .map_or(0, |a| a.version);
            kb_base_matches(base, current)?;
        }
        let written = put_article(&mut tx, &draft, Timestamp::now(), by).await?;
        tx.commit().await.map_err(db)?;
        Ok(written)
    }

    async fn restore_kb_article(
        &self,
        key: &str,
        version: i64,
        author: Option<OperatorId>,
    ) -> Result<(KbArticle, KbWrite)> {
        let mut tx = begin_kb_writer(self).await?;
        if load_article(&mut *tx, key).await?.is_none() {
            return Err(StoreError::NotFound("article"));
        }
        let revision = sqlx::query(&format!(
            "{KB_REVISION_SELECT} WHERE r.key = $1 AND r.version = $2"
        ))
        .bind(key)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::kb_revision)
        .transpose()?
        .ok_or(StoreError::NotFound("revision"))?;
        let by = Authorship {
            source: KbRevisionSource::Restore,
            restored_from: Some(version),
            author,
        };
        let written = put_article(&mut tx, &revision.draft(), Timestamp::now(), by).await?;
        tx.commit().await.map_err(db)?;
        Ok(written)
    }

    async fn move_kb_articles(
        &self,
        keys: &[String],
        category: &str,
        author: Option<OperatorId>,
    ) -> Result<Vec<(KbArticle, KbWrite)>> {
        let by = Authorship {
            source: KbRevisionSource::Editor,
            restored_from: None,
            author,
        };
        let now = Timestamp::now();
        let mut tx = begin_kb_writer(self).await?;
        let mut moved = Vec::with_capacity(keys.len());
        let mut seen = std::collections::HashSet::new();
        for key in keys {
            if !seen.insert(key.as_str()) {
                continue;
            }
            let mut draft = load_article(&mut *tx, key)
                .await?
                .ok_or(StoreError::NotFound("article"))?
                .to_draft();
            draft.category = category.to_owned();
            // Any error returns before the commit: nothing moves.
            moved.push(put_article(&mut tx, &draft, now, by).await?);
        }
        tx.commit().await.map_err(db)?;
        Ok(moved)
    }

    async fn kb_article_history(&self, key: &str) -> Result<Vec<KbRevision>> {
        // One statement: the article's existence and its revisions from one snapshot.
        let rows = sqlx::query(&format!(
            "{KB_REVISION_SELECT} WHERE r.key = $1 ORDER BY r.version DESC"
        ))
        .bind(key)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        // Every stored article has at least the revision that created it.
        if rows.is_empty() {
            return Err(StoreError::NotFound("article"));
        }
        rows.iter().map(rows::kb_revision).collect()
    }

    async fn delete_kb_article(&self, key: &str) -> Result<KbArticle> {
        let row = sqlx::query(&format!(
            "DELETE FROM kb_articles WHERE key = $1 RETURNING {KB_ARTICLE_COLS}"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("article"))?;
        rows::kb_article(&row)
    }

    async fn import_kb(
        &self,
        import: KbImport,
        author: Option<OperatorId>,
    ) -> Result<KbImportStats> {
        let by = Authorship {
            source: KbRevisionSource::Import,
            restored_from: None,
            author,
        };
        let now = Timestamp::now();
        let mut stats = KbImportStats::default();
        let mut tx = begin_kb_writer(self).await?;
        for draft in &import.categories {
            match put_category(&mut tx, draft, now).await?.1 {
                KbWrite::Created => stats.categories_created += 1,
                KbWrite::Updated => stats.categories_updated += 1,
                KbWrite::Unchanged => {}
            }
        }
        // Any error returns before the commit; dropping the transaction rolls back the categories
        // too.
        for draft in &import.articles {
            match put_article(&mut tx, draft, now, by).await?.1 {
                KbWrite::Created => stats.articles_created += 1,
                KbWrite::Updated => stats.articles_updated += 1,
                KbWrite::Unchanged => stats.articles_unchanged += 1,
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(stats)
    }
}
