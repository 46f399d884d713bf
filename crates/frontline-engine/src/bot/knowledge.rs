//! The knowledge base the bot answers from, kept in step with the store.
//!
//! The store holds the articles; [`Knowledge`] holds their search index, shared between the bot and
//! whoever edits articles (the admin API calls [`Knowledge::article_saved`] /
//! [`Knowledge::article_deleted`] after each committed change, and [`Knowledge::load`] rebuilds
//! everything at start-up and after an import). Only published articles are indexed.

use std::sync::RwLock;

use frontline_domain::{KbArticle, KbArticleDraft, KbCategoryDraft, KbImport};

use crate::intent::embedding::TextEmbedder;
use crate::kb::{Article, Fragment, KbError, KnowledgeBase, KnowledgeIndex};

/// A parsed knowledge base (an import file, the demo) as drafts for the store, every article
/// published. The drafts are not cleaned yet: the store's caller does that and reports problems.
pub fn to_import(kb: &KnowledgeBase) -> KbImport {
    KbImport {
        categories: kb
            .categories
            .iter()
            .map(|c| KbCategoryDraft {
                key: c.id.clone(),
                title: c.title.clone(),
            })
            .collect(),
        articles: kb
            .articles
            .iter()
            .map(|a| KbArticleDraft {
                key: a.id.clone(),
                category: a.category.clone(),
                title: a.title.clone(),
                body: a.body.clone(),
                tags: a.tags.clone(),
                published: true,
            })
            .collect(),
    }
}

/// A shared, thread-safe knowledge index.
#[derive(Debug)]
pub struct Knowledge {
    index: RwLock<KnowledgeIndex>,
    /// Ranks with embeddings too when present (hybrid retrieval, see [`crate::kb::index`]); kept
    /// for every rebuild.
    encoder: Option<TextEmbedder>,
}

fn to_article(a: &KbArticle) -> Article {
    Article {
        id: a.key.clone(),
        category: a.category.clone(),
        title: a.title.clone(),
        body: a.body.clone(),
        tags: a.tags.clone(),
    }
}

impl Knowledge {
    /// An index of the published ones among `articles`.
    pub fn new(articles: &[KbArticle]) -> Result<Self, KbError> {
        Self::with_encoder(articles, None)
    }

    /// [`new`](Self::new), ranking with `encoder`'s embeddings too when given.
    pub fn with_encoder(
        articles: &[KbArticle],
        encoder: Option<TextEmbedder>,
    ) -> Result<Self, KbError> {
        Ok(Self {
            index: RwLock::new(Self::build(articles, encoder.clone())?),
            encoder,
        })
    }

    /// An index of a parsed knowledge base (an import file, the demo), every article published:
    /// for offline runs that have no store (`frontline test-workflows`, tests, benchmarks).
    pub fn from_kb(kb: &KnowledgeBase) -> Result<Self, KbError> {
        Self::from_kb_with(kb, None)
    }

    /// [`from_kb`](Self::from_kb), ranking with `encoder`'s embeddings too when given.
    pub fn from_kb_with(
        kb: &KnowledgeBase,
        encoder: Option<TextEmbedder>,
    ) -> Result<Self, KbError> {
        Ok(Self {
            index: RwLock::new(KnowledgeIndex::build_with(
                kb.articles.iter().cloned(),
                encoder.clone(),
            )?),
            encoder,
        })
    }

    fn build(
        articles: &[KbArticle],
        encoder: Option<TextEmbedder>,
    ) -> Result<KnowledgeIndex, KbError> {
        KnowledgeIndex::build_with(
            articles.iter().filter(|a| a.published).map(to_article),
            encoder,
        )
    }

    /// Replace the whole index (start-up, after an import).
    pub fn load(&self, articles: &[KbArticle]) -> Result<(), KbError> {
        let fresh = Self::build(articles, self.encoder.clone())?;
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// An article was created or changed: index it, or drop it when unpublished.
    pub fn article_saved(&self, article: &KbArticle) -> Result<(), KbError> {
        let mut index = self.index.write().unwrap_or_else(|p| p.into_inner());
        if article.published {
            index.upsert(&to_article(article))
        } else {
            index.remove(&article.key).map(|_| ())
        }
    }

    pub fn article_deleted(&self, key: &str) -> Result<(), KbError> {
        let mut index = self.index.write().unwrap_or_else(|p| p.into_inner());
        index.remove(key).map(|_| ())
    }

    /// The `k` best fragments, best first, optionally from one category.
    pub fn search(
        &self,
        query: &str,
        k: usize,
        category: Option<&str>,
    ) -> Result<Vec<Fragment>, KbError> {
        let index = self.index.read().unwrap_or_else(|p| p.into_inner());
        index.search(query, k, category)
    }

    /// Indexed (published) articles.
    /// The sentence encoder this index ranks with, if any: for building another index the same
    /// way (the knowledge-base check of a draft).
    pub fn encoder(&self) -> Option<TextEmbedder> {
        self.encoder.clone()
    }

    pub fn len(&self) -> usize {
        self.index.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl frontline_lifecycle::KnowledgeIndex for Knowledge {
    fn article_saved(&self, article: &KbArticle) -> Result<(), String> {
        Knowledge::article_saved(self, article).map_err(|e| e.to_string())
    }
    fn article_deleted(&self, key: &str) -> Result<(), String> {
        Knowledge::article_deleted(self, key).map_err(|e| e.to_string())
    }
    fn reload(&self, articles: &[KbArticle]) -> Result<(), String> {
        self.load(articles).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_domain::Timestamp;

    fn article(key: &str, body: &str, published: bool) -> KbArticle {
        KbArticle {
            key: key.into(),
            category: "delivery".into(),
            title: "Доставка".into(),
            body: body.into(),
            tags: vec![],
            published,
            version: 1,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn changes_reach_the_index_and_unpublished_articles_stay_out() {
        let k = Knowledge::new(&[
            article("a", "Курьер привозит заказ на следующий день.", true),
            article("draft", "Черновик про самокаты.", false),
        ])
        .unwrap();
        assert_eq!(k.len(), 1);
        assert!(k.search("самокаты", 3, None).unwrap().is_empty());

        k.article_saved(&article(
            "b",
            "Самовывоз из пункта выдачи бесплатный.",
            true,
        ))
        .unwrap();
        let hits = k.search("пункты выдачи", 3, None).unwrap();
        assert_eq!(hits[0].article_id, "b");

        // Edited text replaces the old one.
        k.article_saved(&article("b", "Самокаты доставляем отдельно.", true))
            .unwrap();
        assert!(k.search("выдачи", 3, None).unwrap().is_empty());
        assert_eq!(k.search("самокаты", 3, None).unwrap()[0].article_id, "b");

        // Unpublishing and deleting both remove it.
        k.article_saved(&article("b", "Самокаты доставляем отдельно.", false))
            .unwrap();
        assert!(k.search("самокаты", 3, None).unwrap().is_empty());
        k.article_deleted("a").unwrap();
        assert!(k.is_empty());
    }
}
