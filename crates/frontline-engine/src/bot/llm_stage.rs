//! What the bot asks a language model, when one is configured: which intent a message the cheaper
//! stages were unsure about belongs to (the router), a grounded answer from knowledge-base
//! fragments, and a summary for the operator. Every call is bounded by [`LlmStage::timeout`] on top
//! of the client's own retries, and every failure is an error the cascade turns into a fallback.

use std::{fmt, sync::Arc, time::Duration};

use frontline_domain::{Direction, Message};
use serde::Deserialize;
use serde_json::json;

use super::config::CompiledConfig;
use crate::kb::{Fragment, GroundedAnswer, grounded_prompt, grounded_schema, parse_grounded};
use crate::llm::{
    ChatMessage, ChatModel, ChatModelExt, ChatRequest, JsonSchema, LlmError, LlmModels,
    ResponseFormat,
};

/// Customer and bot turns shown to the router and the summariser.
const CONTEXT_TURNS: usize = 8;

/// The language model and how the bot uses it.
#[derive(Clone)]
pub struct LlmStage {
    pub model: Arc<dyn ChatModel>,
    pub models: LlmModels,
    /// The longest any one task may take, retries included.
    pub timeout: Duration,
    /// The router's self-reported confidence is not calibrated; it is multiplied by this before
    /// the policy compares it with the thresholds, so the LLM has to be quite sure to act alone.
    pub router_trust: f32,
}

impl fmt::Debug for LlmStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmStage")
            .field("models", &self.models)
            .field("timeout", &self.timeout)
            .field("router_trust", &self.router_trust)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("unusable reply: {0}")]
    Unusable(String),
}

/// The router's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// `None`: no configured intent fits.
    pub intent: Option<String>,
    /// Already scaled by [`LlmStage::router_trust`].
    pub confidence: f32,
}

#[derive(Debug, Deserialize)]
struct RouterReply {
    intent: String,
    confidence: f32,
}

const NONE_INTENT: &str = "none";

fn transcript(history: &[Message]) -> String {
    let start = history.len().saturating_sub(CONTEXT_TURNS);
    history[start..]
        .iter()
        .filter(|m| !m.text.trim().is_empty())
        .map(|m| {
            let who = if m.direction == Direction::In {
                "Клиент"
            } else {
                "Поддержка"
            };
            format!("{who}: {}", m.text.trim())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl LlmStage {
    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, LlmError>>,
    ) -> Result<T, StageError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(StageError::Timeout(self.timeout)),
        }
    }

    /// Which configured intent `text` belongs to, given the recent conversation.
    pub async fn route(
        &self,
        cfg: &CompiledConfig,
        history: &[Message],
        text: &str,
    ) -> Result<Route, StageError> {
        let mut names: Vec<&str> = cfg.config.intents.iter().map(|i| i.name.as_str()).collect();
        let mut catalogue = String::new();
        for i in &cfg.config.intents {
            let examples: Vec<&str> = i.examples.iter().take(3).map(String::as_str).collect();
            catalogue.push_str(&format!(
                "- {}: {} (e.g. «{}»)\n",
                i.name,
                i.label,
                examples.join("», «")
            ));
        }
        names.push(NONE_INTENT);
        let system = format!(
            "You route customer-support messages of an online shop. Choose the one intent the \
             customer's LAST message expresses, from this list:\n{catalogue}- {NONE_INTENT}: none \
             of the above.\nReply with JSON: \"intent\" (one of the names) and \"confidence\" (the \
             probability, 0 to 1, that your choice is right). Prefer \"{NONE_INTENT}\" over a guess."
        );
        let user = format!(
            "Conversation so far:\n{}\n\nLast message: {}",
            transcript(history),
            text.trim()
        );
        let schema = json!({
            "type": "object",
            "properties": {
                "intent": { "type": "string", "enum": names },
                "confidence": { "type": "number" }
            },
            "required": ["intent", "confidence"],
            "additionalProperties": false
        });
        let req = ChatRequest::new(
            self.models.router.clone(),
            vec![ChatMessage::system(system), ChatMessage::user(user)],
        )
        .with_temperature(0.0)
        .with_max_tokens(60);
        let (reply, _): (RouterReply, _) = self.bounded(self.model.chat_json(req, schema)).await?;
        let confidence = reply.confidence.clamp(0.0, 1.0) * self.router_trust;
        if reply.intent == NONE_INTENT {
            return Ok(Route {
                intent: None,
                confidence,
            });
        }
        if cfg.intent(&reply.intent).is_none() {
            return Err(StageError::Unusable(format!(
                "unknown intent {:?}",
                reply.intent
            )));
        }
        Ok(Route {
            intent: Some(reply.intent),
            confidence,
        })
    }

    /// An answer from `fragments` only, with the articles it used.
    pub async fn grounded(
        &self,
        question: &str,
        fragments: &[Fragment],
    ) -> Result<GroundedAnswer, StageError> {
        let (system, user) = grounded_prompt(question, fragments);
        let req = ChatRequest::new(
            self.models.answer.clone(),
            vec![ChatMessage::system(system), ChatMessage::user(user)],
        )
        .with_temperature(0.2)
        .with_max_tokens(500)
        .with_response_format(ResponseFormat::JsonSchema(JsonSchema {
            name: "grounded_answer".into(),
            strict: true,
            schema: grounded_schema(),
        }));
        let response = self.bounded(self.model.chat(req)).await?;
        parse_grounded(&response.content, fragments)
            .map_err(|e| StageError::Unusable(e.to_string()))
    }

    /// A workflow's ungrounded AI Response: its own system prompt and settings.
    pub async fn free_answer(
        &self,
        request: &crate::workflow::ChatRequest,
    ) -> Result<String, StageError> {
        let req = ChatRequest::new(
            request
                .model
                .clone()
                .unwrap_or_else(|| self.models.answer.clone()),
            vec![
                ChatMessage::system(request.system_prompt.clone()),
                ChatMessage::user(request.message.clone()),
            ],
        )
        .with_temperature(f64::from(request.temperature))
        .with_max_tokens(request.max_tokens);
        let response = self.bounded(self.model.chat(req)).await?;
        let text = response.content.trim().to_owned();
        if text.is_empty() {
            return Err(StageError::Unusable("empty answer".into()));
        }
        Ok(text)
    }

    /// Two or three sentences for the operator taking over.
    pub async fn summarize(&self, history: &[Message]) -> Result<String, StageError> {
        let req = ChatRequest::new(
            self.models.summary.clone(),
            vec![
                ChatMessage::system(
                    "Summarise this customer-support conversation for the operator taking it over: \
                     in Russian, two or three sentences, what the customer wants and every fact they \
                     gave (order numbers, dates, amounts, contacts). No greetings, no advice.",
                ),
                ChatMessage::user(transcript(history)),
            ],
        )
        .with_temperature(0.0)
        .with_max_tokens(200);
        let response = self.bounded(self.model.chat(req)).await?;
        let summary = response.content.trim().to_owned();
        if summary.is_empty() {
            return Err(StageError::Unusable("empty summary".into()));
        }
        Ok(summary)
    }
}
