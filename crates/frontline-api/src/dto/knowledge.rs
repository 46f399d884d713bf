//! Wire shapes of the knowledge base.

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

// ---- knowledge base ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbCategory {
    pub key: String,
    pub title: String,
    /// 1, 2, … in the editor's order; lists come in this order.
    pub position: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&d::KbCategory> for KbCategory {
    fn from(c: &d::KbCategory) -> Self {
        KbCategory {
            key: c.key.clone(),
            title: c.title.clone(),
            position: c.position,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbCategoryRequest {
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbArticle {
    pub key: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// Unpublished articles are kept but never used to answer.
    pub published: bool,
    /// 1 on creation, +1 on every change.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&d::KbArticle> for KbArticle {
    fn from(a: &d::KbArticle) -> Self {
        KbArticle {
            key: a.key.clone(),
            category: a.category.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
            tags: a.tags.clone(),
            published: a.published,
            version: a.version,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbArticleRequest {
    pub category: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "yes")]
    pub published: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbImportStats {
    pub categories_created: u64,
    pub categories_updated: u64,
    pub articles_created: u64,
    pub articles_updated: u64,
    pub articles_unchanged: u64,
}

impl From<d::KbImportStats> for KbImportStats {
    fn from(s: d::KbImportStats) -> Self {
        KbImportStats {
            categories_created: s.categories_created,
            categories_updated: s.categories_updated,
            articles_created: s.articles_created,
            articles_updated: s.articles_updated,
            articles_unchanged: s.articles_unchanged,
        }
    }
}

/// A retrieved passage of an article.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbFragment {
    pub article_key: String,
    pub category: String,
    pub title: String,
    pub text: String,
    /// BM25 with boosts: orders the hits of one query only.
    pub score: f32,
    /// IDF-weighted share of the query's words found, in [0, 1]; what answer thresholds use.
    pub confidence: f32,
}
