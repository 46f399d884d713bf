//! The knowledge base: categories (in the editor's order) and articles with their history.
//!
//! Drafts reach the store already cleaned (`KbArticleDraft::cleaned`). Knowledge-base changes
//! append no events: the event log is about conversations. Whoever changes an article tells the
//! engine's index (the admin use cases do).
//!
//! Every write that creates an article or bumps its version also records a [`KbRevision`] — the
//! content it wrote, by whom (`author`, `None` for the system) and how — in the same transaction,
//! so the history can never miss a change or show one that was rolled back.

use async_trait::async_trait;
use frontline_domain::{
    KbArticle, KbArticleDraft, KbCategory, KbCategoryDraft, KbImport, KbImportStats, KbRevision,
    KbWrite, OperatorId,
};

use crate::*;

/// The knowledge base.
#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// Ordered by position, then key.
    async fn list_kb_categories(&self) -> Result<Vec<KbCategory>>;

    /// Create the category (placed last), or retitle it when the key exists (`updated_at` moves only
    /// when the title changes; the position stays).
    async fn upsert_kb_category(&self, draft: KbCategoryDraft) -> Result<(KbCategory, KbWrite)>;

    /// Put the categories in the order of `keys` (positions 1, 2, …) and return them so. `keys` must
    /// name every category exactly once: `NotFound("category")` for a key that does not exist,
    /// `Conflict` when one is missing or repeated. Neither moves `updated_at`.
    async fn reorder_kb_categories(&self, keys: &[String]) -> Result<Vec<KbCategory>>;

    /// `NotFound("category")`; `Conflict` while articles belong to it.
    async fn delete_kb_category(&self, key: &str) -> Result<()>;

    /// Every article (published or not), optionally of one category, ordered by key.
    async fn list_kb_articles(&self, category: Option<&str>) -> Result<Vec<KbArticle>>;

    async fn kb_article(&self, key: &str) -> Result<Option<KbArticle>>;

    /// Create the article (version 1) or update it by key. An update that changes no field
    /// ([`KbArticle::same_as`]) writes nothing and reports [`KbWrite::Unchanged`]; any other bumps
    /// the version and `updated_at`. A write records an editor's revision by `author`. Tags keep
    /// their order. `NotFound("category")` when the category does not exist.
    async fn upsert_kb_article(
        &self,
        draft: KbArticleDraft,
        author: Option<OperatorId>,
    ) -> Result<(KbArticle, KbWrite)> {
        self.upsert_kb_article_from(draft, author, None).await
    }

    /// [`upsert_kb_article`](Self::upsert_kb_article) for an editor who started from the article's
    /// version `base` (`Some(0)`: from nothing, a new article): when the stored version is another
    /// one (or the article exists, for `Some(0)`), `Conflict` ([`kb_version_conflict`]) and nothing
    /// is written — checked and written in one transaction, so of two saves from the same version
    /// exactly one lands. `None` checks nothing.
    async fn upsert_kb_article_from(
        &self,
        draft: KbArticleDraft,
        author: Option<OperatorId>,
        base: Option<i64>,
    ) -> Result<(KbArticle, KbWrite)>;

    /// Write the content of the article's revision `version` as a new version (a restore revision
    /// naming `version`), as [`upsert_kb_article`](Self::upsert_kb_article) would: restoring the
    /// current content is `Unchanged` and records nothing. `NotFound("article")`,
    /// `NotFound("revision")`, or `NotFound("category")` when that version's category is gone.
    async fn restore_kb_article(
        &self,
        key: &str,
        version: i64,
        author: Option<OperatorId>,
    ) -> Result<(KbArticle, KbWrite)>;

    /// The article's revisions, newest first, with their authors' names. `NotFound("article")`.
    async fn kb_article_history(&self, key: &str) -> Result<Vec<KbRevision>>;

    /// Move the articles named by `keys` into `category`, in ONE transaction, as editor `author`:
    /// each one not already there gets a new version and revision, like
    /// [`upsert_kb_article`](Self::upsert_kb_article) with only the category changed. Returns the
    /// articles in the order of `keys` (repeated keys once). `NotFound("category")`,
    /// `NotFound("article")` for a key that names none — and then nothing moves.
    async fn move_kb_articles(
        &self,
        keys: &[String],
        category: &str,
        author: Option<OperatorId>,
    ) -> Result<Vec<(KbArticle, KbWrite)>>;

    /// Delete and return the article; its history goes with it. `NotFound("article")`.
    async fn delete_kb_article(&self, key: &str) -> Result<KbArticle>;

    /// Upsert categories, then articles, as the methods above do (revisions by `author` from an
    /// import), in ONE transaction: an article whose category is neither stored nor in the import
    /// fails the whole import with `NotFound("category")` and stores nothing.
    async fn import_kb(
        &self,
        import: KbImport,
        author: Option<OperatorId>,
    ) -> Result<KbImportStats>;
}

/// For backends' [`KnowledgeStore::reorder_kb_categories`]: that `keys` name each of the `stored`
/// category keys exactly once.
pub fn check_category_order(stored: &[String], keys: &[String]) -> Result<()> {
    if keys.iter().any(|k| !stored.contains(k)) {
        return Err(StoreError::NotFound("category"));
    }
    let mut given: Vec<&String> = keys.iter().collect();
    given.sort_unstable();
    given.dedup();
    if given.len() != keys.len() || given.len() != stored.len() {
        return Err(StoreError::Conflict(
            "the new order must name every category exactly once".into(),
        ));
    }
    Ok(())
}

/// The `Conflict` of an article save whose base version is not the stored one (`current`: 0 when
/// the article does not exist); both backends say it the same way.
pub fn kb_version_conflict(base: i64, current: i64) -> StoreError {
    StoreError::Conflict(if current == 0 {
        format!("the article was deleted meanwhile (the edit started from version {base})")
    } else if base == 0 {
        format!("an article with this key was created meanwhile: version {current}")
    } else {
        format!("the article was changed meanwhile: version {current}, not {base}")
    })
}

/// Whether a save from `base` may write over the stored version (`current`, 0 when none).
pub fn kb_base_matches(base: Option<i64>, current: i64) -> Result<()> {
    match base {
        Some(b) if b != current => Err(kb_version_conflict(b, current)),
        _ => Ok(()),
    }
}
