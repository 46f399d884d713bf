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
    /// The article's `version` the edit started from (`0` for a new article). When somebody saved
    /// (or created, or deleted) it since, nothing is written: `409 kb_article_conflict` with the
    /// article as it is now. Absent: the save overwrites whatever is stored.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Articles to move into another category together.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbMoveRequest {
    /// 1–500 article keys.
    pub keys: Vec<String>,
    /// The category they move into.
    pub category: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbMoved {
    /// The articles as they are now, in the order of `keys` (a repeated key once).
    pub articles: Vec<KbArticle>,
    /// How many were not in `category` before (each got a new version).
    pub moved: u64,
}

/// A save refused because the article changed since the edit's `version`.
#[derive(Debug, Serialize, ToSchema)]
pub struct KbArticleConflict {
    pub error: crate::error::ErrorDetail,
    /// The article as it is stored now; `null` when it was deleted.
    pub current: Option<KbArticle>,
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

// ---- the admin console: counts, order, history ------------------------------------------------

/// A category with how many articles it holds, for the category list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbCategoryListed {
    #[serde(flatten)]
    pub category: KbCategory,
    /// Articles in it, published or not: a category is deleted only once this is 0.
    pub articles: u64,
    pub published_articles: u64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbCategoryOrderRequest {
    /// Every category key once, in the new order.
    pub keys: Vec<String>,
}

/// A page of articles.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbArticlePage {
    /// Articles matching the filter, before `limit` and `offset`.
    pub total: u64,
    pub items: Vec<KbArticle>,
}

/// Who made a change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbAuthor {
    pub id: i64,
    /// `null` when the operator no longer exists.
    pub name: Option<String>,
}

/// One version of an article: its content after the change, who made it, when and how.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbRevision {
    pub version: i64,
    pub category: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub published: bool,
    /// `editor`, `import` or `restore`.
    pub source: String,
    /// For a restore: the version brought back.
    pub restored_from: Option<i64>,
    /// `null` for the system (the demo seed, a script).
    pub author: Option<KbAuthor>,
    pub created_at: String,
    /// The fields this version changed from the one before it (`category`, `title`, `body`,
    /// `tags`, `published`); empty for the first version.
    pub changed: Vec<String>,
}

impl KbRevision {
    /// `previous` is the version before, when there is one.
    pub fn new(r: &d::KbRevision, previous: Option<&d::KbRevision>) -> Self {
        let changed = previous
            .map(|p| {
                [
                    ("category", p.category != r.category),
                    ("title", p.title != r.title),
                    ("body", p.body != r.body),
                    ("tags", p.tags != r.tags),
                    ("published", p.published != r.published),
                ]
                .into_iter()
                .filter(|(_, changed)| *changed)
                .map(|(field, _)| field.to_owned())
                .collect()
            })
            .unwrap_or_default();
        KbRevision {
            version: r.version,
            category: r.category.clone(),
            title: r.title.clone(),
            body: r.body.clone(),
            tags: r.tags.clone(),
            published: r.published,
            source: r.source.as_str().to_owned(),
            restored_from: r.restored_from,
            author: r.author.map(|id| KbAuthor {
                id: id.0,
                name: r.author_name.clone(),
            }),
            created_at: rfc3339(r.created_at),
            changed,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbRestoreRequest {
    /// The version whose content comes back (as a new version).
    pub version: i64,
}

// ---- imports ----------------------------------------------------------------------------------

/// What an import does (or, in a dry run, would do) to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KbImportAction {
    Create,
    Update,
    Unchanged,
    /// Not imported; `reason` says why.
    Skip,
}

impl From<d::KbWrite> for KbImportAction {
    fn from(w: d::KbWrite) -> Self {
        match w {
            d::KbWrite::Created => KbImportAction::Create,
            d::KbWrite::Updated => KbImportAction::Update,
            d::KbWrite::Unchanged => KbImportAction::Unchanged,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbImportedCategory {
    pub key: String,
    pub title: String,
    pub action: KbImportAction,
}

/// Where an imported article comes from in a shop.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbImportSource {
    /// `information`, `category` or `product`.
    pub kind: String,
    /// The shop's id (`information_id`, `category_id`, `product_id`).
    pub id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbImportedArticle {
    pub key: String,
    pub category: String,
    pub title: String,
    pub published: bool,
    pub action: KbImportAction,
    /// The line of the file (or dump) it comes from, where the source has lines.
    pub line: Option<usize>,
    /// Its number in the file, from 1 (JSON, CSV, Markdown).
    pub item: Option<usize>,
    /// For a shop import: the shop's item.
    pub source: Option<KbImportSource>,
    /// Why it is skipped, or why a shop import changes it (`no longer in the shop`).
    pub reason: Option<String>,
}

/// One thing wrong with an imported file, where it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbImportProblem {
    pub line: Option<usize>,
    /// The article's number in the file, from 1.
    pub item: Option<usize>,
    /// The article's key, when known.
    pub key: Option<String>,
    /// The field to blame (`id`, `category`, `title`, `body`, `tags`), when one is.
    pub field: Option<String>,
    pub message: String,
}

/// What an import did, or in a dry run would do: per category and article, in the source's order,
/// with every problem at its line. A file with problems is not imported (fix it and send it
/// again); a shop's items that cannot become articles are skipped with their reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbImportResult {
    /// `true`: nothing was written.
    pub dry_run: bool,
    pub stats: KbImportStats,
    /// Articles not imported.
    pub skipped: u64,
    pub categories: Vec<KbImportedCategory>,
    pub articles: Vec<KbImportedArticle>,
    pub problems: Vec<KbImportProblem>,
}

fn oc_prefix() -> String {
    "oc_".into()
}

fn one() -> i64 {
    1
}

fn rubles() -> String {
    "₽".into()
}

/// Import from an OpenCart / ocStore shop's database.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbOpencartRequest {
    /// `mysql://user:password@host:3306/database` (or `mariadb://`). Used for this import only:
    /// neither stored nor logged.
    pub database_url: String,
    /// The shop's table prefix; `oc_` by default.
    #[serde(default = "oc_prefix")]
    pub prefix: String,
    /// `oc_language.language_id` of the texts to import; 1 by default.
    #[serde(default = "one")]
    pub language_id: i64,
    /// Written after prices; `₽` by default.
    #[serde(default = "rubles")]
    pub currency: String,
    /// Only say what would happen.
    #[serde(default)]
    pub dry_run: bool,
}

/// Without the URL, which carries the shop database's password: a `{:?}` of the request must
/// never put it in a log.
impl std::fmt::Debug for KbOpencartRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KbOpencartRequest")
            .field("database_url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("language_id", &self.language_id)
            .field("currency", &self.currency)
            .field("dry_run", &self.dry_run)
            .finish()
    }
}

// ---- the check («Проверить») ------------------------------------------------------------------

/// An article as the editor has it, not saved yet.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbCheckDraft {
    pub key: String,
    pub category: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "yes")]
    pub published: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbCheckRequest {
    /// A customer's question.
    pub question: String,
    /// Show only this category's fragments (the bot's answer is not restricted).
    pub category: Option<String>,
    /// Check as if this article were saved (replacing the stored one with its key).
    pub draft: Option<KbCheckDraft>,
}

/// A retrieved passage, as the check shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbCheckFragment {
    #[serde(flatten)]
    pub fragment: KbFragment,
    /// From the unsaved draft.
    pub draft: bool,
    /// The bot's answer cites its article.
    pub used: bool,
}

/// What the bot would do with the question, decided by the production cascade.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbCheckAnswer {
    /// `answer`, `ask_slot`, `clarify`, `handoff`, `fallback` or `ignore`.
    pub action: String,
    /// `human`, `trigger`, `classifier`, `llm`, `knowledge` or `policy`.
    pub stage: Option<String>,
    /// What the customer would read (for a handoff: the farewell, if any).
    pub text: Option<String>,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    /// The articles the answer comes from.
    pub article_ids: Vec<String>,
    pub handoff_reason: Option<HandoffReason>,
    /// How it was decided, in the engine's words.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbCheckResult {
    pub fragments: Vec<KbCheckFragment>,
    /// `null` when the bot is off (`bot.mode = none`).
    pub answer: Option<KbCheckAnswer>,
    /// Fragment confidence an intent's knowledge answer needs.
    pub answer_threshold: Option<f32>,
    /// Fragment confidence a question no intent recognised needs to be answered from an article.
    pub direct_threshold: Option<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opencart_requests_debug_hides_its_password() {
        let req: KbOpencartRequest = serde_json::from_str(
            r#"{"database_url": "mysql://shop:hunter2@db:3306/shop", "prefix": "oc_"}"#,
        )
        .unwrap();
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("oc_"), "{shown}");
    }
}
