//! The knowledge base: categories, articles, imports, restores — each change committed to the store
//! (with its revision naming the admin who made it) and then told to the index the bot searches, so
//! the next customer message is answered from the new text.
//!
//! Changes made by another process (a second node on the same PostgreSQL database, a script) reach
//! this process's index through [`Admin::follow_knowledge`], which rebuilds it when the stored
//! articles' fingerprint changes.

use std::time::Duration;

use frontline_domain::{
    KbArticle, KbArticleDraft, KbCategory, KbCategoryDraft, KbImport, KbImportPlan, KbImportStats,
    KbWrite, OperatorId, plan_kb_import,
};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Admin;
use crate::{LifecycleError, Result};

/// What identifies the stored knowledge base's content cheaply: article count, newest change, and
/// the sum of versions (an edit bumps one; a delete and re-create changes the count or the time).
type Fingerprint = (usize, i64, i64);

fn fingerprint(articles: &[KbArticle]) -> Fingerprint {
    (
        articles.len(),
        articles.iter().map(|a| a.updated_at.0).max().unwrap_or(0),
        articles.iter().map(|a| a.version).sum(),
    )
}

impl Admin {
    pub async fn put_category(&self, draft: KbCategoryDraft) -> Result<(KbCategory, KbWrite)> {
        Ok(self.store.upsert_kb_category(draft).await?)
    }

    /// Put the categories in this order; `keys` names every category once.
    pub async fn reorder_categories(&self, keys: &[String]) -> Result<Vec<KbCategory>> {
        Ok(self.store.reorder_kb_categories(keys).await?)
    }

    /// `Conflict` while articles belong to it.
    pub async fn delete_category(&self, key: &str) -> Result<()> {
        Ok(self.store.delete_kb_category(key).await?)
    }

    /// Create or replace an article as `actor`, who started from version `base` (see
    /// `KnowledgeStore::upsert_kb_article_from`: a stale base is a `Conflict`); the index follows
    /// at once (rebuilt whole if the incremental update fails).
    pub async fn put_article(
        &self,
        draft: KbArticleDraft,
        actor: OperatorId,
        base: Option<i64>,
    ) -> Result<(KbArticle, KbWrite)> {
        let written = self
            .store
            .upsert_kb_article_from(draft, Some(actor), base)
            .await?;
        self.article_written(written).await
    }

    /// Bring back the content of an earlier version as a new one, as `actor`.
    pub async fn restore_article(
        &self,
        key: &str,
        version: i64,
        actor: OperatorId,
    ) -> Result<(KbArticle, KbWrite)> {
        let written = self
            .store
            .restore_kb_article(key, version, Some(actor))
            .await?;
        self.article_written(written).await
    }

    async fn article_written(
        &self,
        (article, write): (KbArticle, KbWrite),
    ) -> Result<(KbArticle, KbWrite)> {
        if write != KbWrite::Unchanged
            && let Err(e) = self.index.article_saved(&article)
        {
            warn!(article = %article.key, error = %e, "updating the knowledge index failed; rebuilding it");
            self.reload_knowledge().await?;
        }
        Ok((article, write))
    }

    /// Move articles into another category together (one transaction) as `actor`; the index
    /// follows each moved one.
    pub async fn move_articles(
        &self,
        keys: &[String],
        category: &str,
        actor: OperatorId,
    ) -> Result<Vec<(KbArticle, KbWrite)>> {
        let moved = self
            .store
            .move_kb_articles(keys, category, Some(actor))
            .await?;
        let mut out = Vec::with_capacity(moved.len());
        for written in moved {
            out.push(self.article_written(written).await?);
        }
        Ok(out)
    }

    pub async fn delete_article(&self, key: &str) -> Result<KbArticle> {
        let article = self.store.delete_kb_article(key).await?;
        if let Err(e) = self.index.article_deleted(&article.key) {
            warn!(article = %article.key, error = %e, "updating the knowledge index failed; rebuilding it");
            self.reload_knowledge().await?;
        }
        Ok(article)
    }

    /// Store a whole import in one transaction as `actor`, then rebuild the index from the store.
    pub async fn import_knowledge(
        &self,
        import: KbImport,
        actor: OperatorId,
    ) -> Result<KbImportStats> {
        let stats = self.store.import_kb(import, Some(actor)).await?;
        self.reload_knowledge().await?;
        Ok(stats)
    }

    /// What storing `import` would do now, item by item, without writing anything: an import's
    /// preview, judged by the rules the store applies.
    pub async fn plan_import(&self, import: &KbImport) -> Result<KbImportPlan> {
        let categories = self.store.list_kb_categories().await?;
        let articles = self.store.list_kb_articles(None).await?;
        Ok(plan_kb_import(&categories, &articles, import))
    }

    /// Rebuild the index from the stored articles.
    pub async fn reload_knowledge(&self) -> Result<()> {
        let articles = self.store.list_kb_articles(None).await?;
        self.index.reload(&articles).map_err(LifecycleError::Index)
    }

    /// Rebuild the index whenever the stored articles change behind this process's back, looking
    /// every `period` until `shutdown`. Changes made through this process reach the index at once;
    /// this catches the rest within one period.
    pub async fn follow_knowledge(&self, period: Duration, shutdown: CancellationToken) {
        let mut seen = match self.store.list_kb_articles(None).await {
            Ok(articles) => Some(fingerprint(&articles)),
            Err(_) => None,
        };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(period) => {}
            }
            let articles = match self.store.list_kb_articles(None).await {
                Ok(a) => a,
                Err(e) => {
                    warn!(error = %e, "reading the knowledge base failed");
                    continue;
                }
            };
            let now = fingerprint(&articles);
            if seen != Some(now) {
                match self.index.reload(&articles) {
                    Ok(()) => info!(
                        articles = articles.len(),
                        "knowledge base changed; index rebuilt"
                    ),
                    Err(e) => warn!(error = %e, "rebuilding the knowledge index failed"),
                }
            }
            seen = Some(now);
        }
    }
}
