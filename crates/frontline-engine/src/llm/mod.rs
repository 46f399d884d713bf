//! Chat models for the dialog engine: the [`ChatModel`] trait the engine depends on, and
//! [`LlmClient`], its implementation for OpenRouter and any OpenAI-compatible server (OpenAI,
//! vLLM, the llama.cpp server).
//!
//! The client owns everything the wire makes hard so that callers get either a usable answer
//! or an [`LlmError`] they can act on: a 200 carrying an error or an empty completion is a
//! failure, rate limits and outages are retried within a bounded time, structured output is
//! validated and repaired once, and streams tolerate keep-alives and report mid-stream errors.
//! The facts it implements are in `shared/reference/avito-openrouter.md`, part B.
//!
//! Architecture invariant: the API key appears in no `Debug` output, error or log line; it
//! leaves [`Secret`] only as the `Authorization` header.

mod client;
mod error;
mod settings;
mod sse;
mod structured;
mod types;
mod wire;

#[cfg(test)]
mod tests;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use client::LlmClient;
pub use error::LlmError;
pub use settings::{DEFAULT_MODEL, LlmModels, LlmSettings, LlmTask, OPENROUTER_BASE_URL, Secret};
pub use types::{
    ChatMessage, ChatRequest, ChatResponse, JsonSchema, ResponseFormat, Role, StreamEvent, Usage,
};

/// A streamed completion: [`StreamEvent::Delta`]s, then one [`StreamEvent::Done`] or an error.
pub type ChatStream = BoxStream<'static, Result<StreamEvent, LlmError>>;

/// What the engine needs from a language model. [`LlmClient`] is the real one; tests and
/// offline evaluation implement it with canned answers.
#[async_trait]
pub trait ChatModel: Send + Sync {
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError>;

    /// Defaults to one [`chat`](Self::chat) call delivered as a single delta, which is all an
    /// offline model needs.
    async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream, LlmError> {
        let response = self.chat(req).await?;
        let events = vec![
            Ok(StreamEvent::Delta(response.content.clone())),
            Ok(StreamEvent::Done(response)),
        ];
        Ok(Box::pin(stream::iter(events)))
    }
}

/// Typed structured output for every [`ChatModel`], `dyn` ones included (a generic method
/// cannot live on the object-safe trait itself).
#[async_trait]
pub trait ChatModelExt: ChatModel {
    /// Asks for JSON matching `schema` (a `json_schema` response format, strict; on OpenRouter
    /// with `provider.require_parameters`), deserialises it into `T`, and if that fails asks
    /// once more with the error appended as a user message. A second failure is
    /// [`LlmError::Malformed`]. The response returned is the one the value came from.
    async fn chat_json<T: DeserializeOwned + Send>(
        &self,
        req: ChatRequest,
        schema: Value,
    ) -> Result<(T, ChatResponse), LlmError>;
}

#[async_trait]
impl<M: ChatModel + ?Sized> ChatModelExt for M {
    async fn chat_json<T: DeserializeOwned + Send>(
        &self,
        req: ChatRequest,
        schema: Value,
    ) -> Result<(T, ChatResponse), LlmError> {
        structured::chat_json(self, req, schema).await
    }
}
