//! The knowledge base: categories and articles.
//!
//! Drafts reach the store already cleaned (`KbArticleDraft::cleaned`). Knowledge-base changes
//! append no events: the event log is about conversations. Whoever changes an article tells the
//! engine's index (the admin use cases do).

use async_trait::async_trait;
use frontline_domain::{
    KbArticle, KbArticleDraft, KbCategory, KbCategoryDraft, KbImport, KbImportStats, KbWrite,
};

use crate::*;

/// The knowledge base.
#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// Ordered by key.
    async fn list_kb_categories(&self) -> Result<Vec<KbCategory>>;

    /// Create the category, or retitle it when the key exists (`updated_at` moves only when the
    /// title changes).
    async fn upsert_kb_category(&self, draft: KbCategoryDraft) -> Result<(KbCategory, KbWrite)>;

    /// `NotFound("category")`; `Conflict` while articles belong to it.
    async fn delete_kb_category(&self, key: &str) -> Result<()>;

    /// Every article (published or not), optionally of one category, ordered by key.
    async fn list_kb_articles(&self, category: Option<&str>) -> Result<Vec<KbArticle>>;

    async fn kb_article(&self, key: &str) -> Result<Option<KbArticle>>;

    /// Create the article (version 1) or update it by key. An update that changes no field writes
    /// nothing and reports [`KbWrite::Unchanged`]; any other bumps the version and `updated_at`.
    /// Tags keep their order. `NotFound("category")` when the category does not exist.
    async fn upsert_kb_article(&self, draft: KbArticleDraft) -> Result<(KbArticle, KbWrite)>;

    /// Delete and return the article. `NotFound("article")`.
    async fn delete_kb_article(&self, key: &str) -> Result<KbArticle>;

    /// Upsert categories, then articles, as the two methods above do, in ONE transaction: an article
    /// whose category is neither stored nor in the import fails the whole import with
    /// `NotFound("category")` and stores nothing.
    async fn import_kb(&self, import: KbImport) -> Result<KbImportStats>;
}
