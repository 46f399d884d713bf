//! Workflows: bot behaviour drawn as a graph in a visual (ReactFlow) editor and run message by
//! message — the brief's nodes Start, Intent, Confidence, Context, Search, AI Response, Condition,
//! Handoff, End, plus Ask (wait for a slot), Action (call the business's own system) and Message.
//!
//! - [`document`]: the versioned JSON the editor loads and saves, with every node type's `data`
//!   (the format is documented there).
//! - [`graph`]: validation into a [`Graph`], reporting every [`Problem`] with its node or edge id,
//!   against the bot's [`Catalogue`] of intents and slots.
//! - [`expr`]: the names a workflow reads ([`Scope`]) and `condition` expressions.
//! - [`template`]: `{slots.order_number}`-style templates over the same names.
//! - [`palette`]: the node types as an editor offers them (starting data, outputs).
//! - [`interpreter`]: runs one customer message from the persisted [`State`] to replies, an
//!   [`Outcome`] and a trace; all I/O is behind [`Effects`].
//!
//! Sans-IO like the rest of the engine: the caller persists [`State`] per conversation, implements
//! [`Effects`] (classifier, knowledge base, LLM, HTTP with the integration's secrets, clock), and
//! records the trace.

pub mod document;
pub mod expr;
pub mod graph;
pub mod interpreter;
pub mod palette;
pub mod template;

#[cfg(test)]
mod tests;

pub use document::{EdgeDoc, NodeData, NodeDoc, NodeType, Position, VERSION, WorkflowDocument};
pub use expr::{CustomerProfile, Expr, LocalNow, Scope};
pub use graph::{Catalogue, Graph, Node, NodeKind, Problem};
pub use interpreter::{
    ChatRequest, Classification, DEFAULT_MAX_STEPS, EffectError, Effects, Handoff, HttpError,
    HttpRequest, HttpResponse, Interpreter, Outcome, SearchHit, SearchRequest, State, Step,
    TurnInput, TurnOutput,
};
