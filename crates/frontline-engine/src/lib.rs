//! frontline's engine: the parts of the support bot that decide.
//!
//! Everything but [`llm`] is sans-IO: plain data in, decisions out, so it is tested without a runtime.
//! - [`intent`]: a compact lexical classifier for Russian and English whose confidence is calibrated on
//!   the training data (a threshold on it means a known share of wrong answers) and whose abstentions
//!   double as out-of-scope detection; [`eval`] measures it on public benchmark formats
//!   (`frontline eval intents`).
//! - [`triggers`]: per-intent phrases with priorities, matched by stems, with confidences calibrated
//!   as each phrase's precision on labelled examples.
//! - [`human`]: recognises a customer asking for a person, in any phrasing; that request always wins.
//! - [`slots`]: order numbers, phones, e-mails, dates and amounts from free Russian and English text.
//! - [`policy`]: the decision for one message — answer, ask for a slot, clarify, hand off, fallback —
//!   by request type, after the brief's typology.
//! - [`briefing`]: the operator briefing and an extractive dialog summary.
//! - [`kb`]: the knowledge base — articles split into fragments, BM25 retrieval with shared stemming,
//!   a normalised confidence for answering without an LLM, grounded prompts for answering with one,
//!   and JSON/CSV/Markdown importers.
//! - [`llm`]: an OpenAI-compatible chat client (OpenRouter by default) with structured output,
//!   streaming, and retries that honour `Retry-After`; the only part here that does I/O.
//!
//! - [`workflow`]: bot behaviour as a graph from the visual editor — the document format, its
//!   validation, condition expressions and templates, and the interpreter that runs one message
//!   from the persisted per-conversation state, with all I/O behind a trait.
//! - [`bot`]: the cascade that combines these stages into the `Bot` the lifecycle calls, its
//!   configuration (with the built-in demo shop) and the knowledge index kept in step with the store.

pub mod bot;
pub mod briefing;
pub mod eval;
pub mod human;
pub mod intent;
pub mod kb;
pub mod llm;
pub mod policy;
pub mod schedule;
pub mod slots;
pub mod triggers;
pub mod upset;
pub mod workflow;

pub use intent::{
    IntentExample, IntentModel, Learner, OOS_LABEL, Prediction, ThresholdChoice, TrainError,
    TrainOptions, threshold_for_wrong_rate,
};
