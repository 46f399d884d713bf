//! The knowledge base: categories of articles the bot answers from, and their retrieval.
//!
//! Articles are plain data ([`Article`], [`Category`]) so a list from anywhere — the store, an
//! import, a test — can be indexed. [`KnowledgeIndex`] splits them into focused fragments and ranks
//! those with BM25 (tantivy, in RAM) over terms from [`frontline_text`], so retrieval, search and
//! triggers agree on morphology (`доставка` finds `доставки`).
//!
//! Two ways to answer from it:
//! - without an LLM, [`KnowledgeIndex::best_answer`] quotes the top fragment when its normalised
//!   confidence clears a threshold chosen on labelled questions ([`KnowledgeIndex::choose_threshold`]);
//! - with an LLM, [`grounded_prompt`] puts the numbered fragments into the prompt and
//!   [`parse_grounded`] checks the reply cites only articles it was given.
//!
//! - [`fragment`]: splitting articles into paragraph- or sentence-bounded passages.
//! - [`analyzer`]: the tokenizer shared by indexing and queries.
//! - [`index`]: the index, search, the normalised confidence and the threshold.
//! - [`grounded`]: the grounded-answer prompt and the check of its reply.
//! - [`import`]: JSON, CSV and Markdown importers.
//! - [`demo`]: a small Russian online-shop knowledge base for tests and first runs.

pub mod analyzer;
pub mod demo;
pub mod fragment;
pub mod grounded;
pub mod import;
pub mod index;

pub use grounded::{
    GroundedAnswer, GroundedError, grounded_prompt, grounded_schema, parse_grounded,
};
pub use import::{
    FileFormat, ImportError, ImportProblem, ParsedFile, Place, import_csv, import_json,
    import_markdown, parse_file,
};
pub use index::{Fragment, KbError, KnowledgeIndex};

/// A heading articles are grouped under (доставка, оплата, возврат…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Stable key articles refer to, e.g. `delivery`.
    pub id: String,
    /// What operators and customers see, e.g. `Доставка`.
    pub title: String,
}

/// One article of the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: String,
    /// The [`Category::id`] it belongs to; also the search filter.
    pub category: String,
    pub title: String,
    /// Plain text; blank lines separate paragraphs, which become fragments.
    pub body: String,
    /// Words customers use that the text may not (`посылка` on a delivery article); boosted in
    /// ranking, so they are the editor's lever for recall.
    pub tags: Vec<String>,
}

/// Categories and articles together, as an import or the demo yields them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnowledgeBase {
    pub categories: Vec<Category>,
    pub articles: Vec<Article>,
}
