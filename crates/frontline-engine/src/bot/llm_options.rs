//! The language model's settings as an admin edits them (the configuration file's `[llm]` until
//! one saves them): which API, which models, how long to wait. The key travels apart, sealed,
//! and is never part of these.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::config::Problem;
use super::llm_stage::LlmStage;
use crate::llm::{ChatMessage, ChatRequest, LlmClient, LlmError, LlmModels, LlmSettings, Secret};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmOptions {
    pub enabled: bool,
    /// An OpenAI-compatible API root: OpenRouter, OpenAI, vLLM, the llama.cpp server…
    pub base_url: String,
    pub router_model: String,
    pub answer_model: String,
    pub summary_model: String,
    /// Per HTTP request, seconds.
    pub request_timeout_secs: u64,
    /// The longest one task (router, answer, summary) may take, retries included, seconds.
    pub task_timeout_secs: u64,
    pub max_retries: u32,
    /// The router's self-reported confidence is multiplied by this before thresholds apply.
    pub router_trust: f32,
    /// Send OpenRouter's `provider.require_parameters` with structured-output requests.
    pub require_parameters: bool,
}

/// What a connection check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionCheck {
    /// The model that answered (servers may route to another than asked).
    pub model: String,
    pub latency_ms: u64,
}

impl LlmOptions {
    /// Every problem, each at its field.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let url_ok = reqwest::Url::parse(&self.base_url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !url_ok {
            out.push(Problem::new("base_url", "must be an http(s) URL"));
        }
        for (field, model) in [
            ("router_model", &self.router_model),
            ("answer_model", &self.answer_model),
            ("summary_model", &self.summary_model),
        ] {
            if model.trim().is_empty() {
                out.push(Problem::new(field, "must name a model"));
            }
        }
        if !(1..=300).contains(&self.request_timeout_secs) {
            out.push(Problem::new(
                "request_timeout_secs",
                "must be between 1 and 300 seconds",
            ));
        }
        if !(1..=600).contains(&self.task_timeout_secs) {
            out.push(Problem::new(
                "task_timeout_secs",
                "must be between 1 and 600 seconds",
            ));
        }
        if self.max_retries > 10 {
            out.push(Problem::new("max_retries", "must be at most 10"));
        }
        if !(0.0..=1.0).contains(&self.router_trust) {
            out.push(Problem::new("router_trust", "must be within [0, 1]"));
        }
        out
    }

    fn client(&self, api_key: &str) -> Result<LlmClient, LlmError> {
        LlmClient::new(LlmSettings {
            base_url: self.base_url.clone(),
            api_key: Secret::new(api_key.to_owned()),
            models: self.models(),
            timeout: Duration::from_secs(self.request_timeout_secs),
            max_retries: self.max_retries,
            require_parameters: self.require_parameters,
            ..LlmSettings::default()
        })
    }

    fn models(&self) -> LlmModels {
        LlmModels {
            router: self.router_model.clone(),
            answer: self.answer_model.clone(),
            summary: self.summary_model.clone(),
        }
    }

    /// The bot's language-model stage, or none when disabled.
    pub fn stage(&self, api_key: &str) -> Result<Option<LlmStage>, LlmError> {
        if !self.enabled {
            return Ok(None);
        }
        Ok(Some(LlmStage {
            model: std::sync::Arc::new(self.client(api_key)?),
            models: self.models(),
            timeout: Duration::from_secs(self.task_timeout_secs),
            router_trust: self.router_trust,
        }))
    }

    /// One short request to the router model, as the bot would make it (same URL, key, headers
    /// and timeout, no retries): whether the API answers with these settings.
    pub async fn check(&self, api_key: &str) -> Result<ConnectionCheck, LlmError> {
        let client = Self {
            max_retries: 0,
            ..self.clone()
        }
        .client(api_key)?;
        let started = Instant::now();
        let mut req = ChatRequest::new(
            self.router_model.clone(),
            vec![ChatMessage::user("Ответь одним словом: ок")],
        );
        req.max_tokens = Some(5);
        let response = client.chat(req).await?;
        Ok(ConnectionCheck {
            model: response.model,
            latency_ms: started.elapsed().as_millis() as u64,
        })
    }
}
