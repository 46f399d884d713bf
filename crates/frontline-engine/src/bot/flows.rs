//! Running published workflows for the bot: an account that has chosen a workflow gets its
//! conversations run through it, message by message, from the state the worker loaded for the
//! conversation; the others keep the built-in cascade. Nothing here reads the store: the worker hands
//! over the version's document, the state and the integrations with the message.
//!
//! [`EngineEffects`] gives the interpreter the engine's real parts — the classifier (with the
//! trigger phrases), the knowledge base, the LLM when configured, and HTTP to the business's systems
//! with the integration's base URL and secret headers — so the same code serves production and the
//! workflow tester (which may stub actions).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use frontline_domain::{Integration, Timestamp, WorkflowId};
use tracing::warn;

use super::config::CompiledConfig;
use super::knowledge::Knowledge;
use super::llm_stage::LlmStage;
use crate::kb::Fragment;
use crate::workflow::{
    Catalogue, ChatRequest, Classification, EffectError, Effects, Graph, HttpError, HttpRequest,
    HttpResponse, LocalNow, Problem, SearchHit, SearchRequest, WorkflowDocument,
};

/// Longest response body read from an integration.
const MAX_ACTION_BODY: usize = 256 * 1024;

/// A canned answer in the tester, for an Action's HTTP call (by URL, or by node with
/// [`node_stub_key`]) or an AI Response's LLM call (by node), so a flow can be tried offline.
#[derive(Debug, Clone, PartialEq)]
pub enum Stub {
    /// An HTTP response.
    Respond { status: u16, body: String },
    /// No answer in time: an Action's `timeout`, an AI Response's `error`.
    Timeout,
    /// What the language model says.
    Reply(String),
}

impl Stub {
    fn answer(&self) -> Result<HttpResponse, HttpError> {
        match self {
            Stub::Respond { status, body } => Ok(HttpResponse {
                status: *status,
                body: body.clone(),
            }),
            Stub::Timeout => Err(HttpError::Timeout),
            Stub::Reply(text) => Ok(HttpResponse {
                status: 200,
                body: text.clone(),
            }),
        }
    }

    fn chat(&self) -> Result<String, EffectError> {
        match self {
            Stub::Reply(text) => Ok(text.clone()),
            Stub::Timeout => Err(EffectError("the language model timed out (stub)".into())),
            Stub::Respond { status, .. } => Err(EffectError(format!(
                "the language model failed with HTTP {status} (stub)"
            ))),
        }
    }
}

/// The key of a stub that answers for a node (rather than for a URL) in [`EngineEffects::stubs`].
pub fn node_stub_key(node_id: &str) -> String {
    format!("node:{node_id}")
}

/// The built-in demo shop's workflow (issue 4's default): status check, bonus balance, data change,
/// FAQ from the knowledge base, complaint, urgent, greeting, thanks and a fallback, over the demo
/// bot configuration's intents and the demo shop's API (integration `shop`).
pub const DEFAULT_WORKFLOW_JSON: &str = include_str!("default_workflow.json");

/// The default workflow's regression suite (Russian, with some English), actions stubbed so it
/// runs offline: `frontline test-workflows`.
pub const DEFAULT_SUITE_JSON: &str = include_str!("default_suite.json");

/// The interpreter's view of the world, backed by the engine.
pub struct EngineEffects {
    pub compiled: Arc<CompiledConfig>,
    pub knowledge: Arc<Knowledge>,
    pub llm: Option<LlmStage>,
    /// The integrations Action nodes may call, by name; empty (offline suites) means only stubs
    /// answer.
    pub integrations: BTreeMap<String, Integration>,
    pub http: reqwest::Client,
    /// Tester stubs by node ([`node_stub_key`]: an Action's call or an AI Response's answer) or by
    /// URL — as the node wrote it (`/orders/784512`, independent of the integration's base URL) or
    /// after resolving it; unmatched calls go out. Empty in production.
    pub stubs: BTreeMap<String, Stub>,
    /// "Now" in milliseconds since the epoch; `None` for the real clock.
    pub clock: Option<i64>,
}

impl std::fmt::Debug for EngineEffects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineEffects")
            .field("stubs", &self.stubs.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Effects for EngineEffects {
    /// The best of the trigger phrases and the classifier, both calibrated, judged as the cascade's
    /// policy judges them: a guess counts when it reaches its intent's threshold (by request type,
    /// or the configuration's own), so a status check needs less certainty than a data change.
    /// Below every threshold the message is out of scope and the workflow takes `fallback`.
    async fn classify(&self, text: &str) -> Classification {
        let policy = &self.compiled.policy;
        let p = self.compiled.model.predict(text);
        let mut guesses: Vec<(String, f64)> = Vec::new();
        if p.intent != crate::intent::OOS_LABEL {
            guesses.push((p.intent.clone(), f64::from(p.confidence)));
        }
        if let Some(t) = self.compiled.triggers.match_text(text) {
            guesses.push((t.intent, f64::from(t.confidence)));
        }
        guesses.sort_by(|a, b| b.1.total_cmp(&a.1));
        let confident = guesses
            .iter()
            .find(|(i, c)| *c >= f64::from(policy.intent(i).answer_threshold));
        match confident.or(guesses.first()) {
            Some((intent, confidence)) => Classification {
                intent: Some(intent.clone()),
                confidence: *confidence,
                out_of_scope: confident.is_none(),
            },
            None => Classification {
                intent: None,
                confidence: f64::from(p.confidence),
                out_of_scope: true,
            },
        }
    }

    async fn search(&self, request: SearchRequest) -> Result<Vec<SearchHit>, EffectError> {
        self.knowledge
            .search(
                &request.query,
                request.top_k.max(1),
                request.category.as_deref(),
            )
            .map(|hits| hits.iter().map(SearchHit::from).collect())
            .map_err(|e| EffectError(e.to_string()))
    }

    async fn chat(&self, request: ChatRequest) -> Result<String, EffectError> {
        if let Some(stub) = self.stubs.get(&node_stub_key(&request.node_id)) {
            return stub.chat();
        }
        let Some(llm) = &self.llm else {
            return Err(EffectError("no language model is configured".into()));
        };
        match &request.grounding {
            Some(hits) => {
                let fragments: Vec<Fragment> = hits
                    .iter()
                    .map(|h| Fragment {
                        article_id: h.article_id.clone(),
                        category: h.category.clone(),
                        title: h.title.clone(),
                        text: h.text.clone(),
                        score: 0.0,
                        confidence: h.confidence as f32,
                    })
                    .collect();
                let answer = llm
                    .grounded(&request.message, &fragments)
                    .await
                    .map_err(|e| EffectError(e.to_string()))?;
                if !answer.answerable || !answer.invented_ids.is_empty() {
                    return Err(EffectError(format!(
                        "no grounded answer (answerable: {}, invented sources: {:?})",
                        answer.answerable, answer.invented_ids
                    )));
                }
                Ok(answer.text)
            }
            None => llm
                .free_answer(&request)
                .await
                .map_err(|e| EffectError(e.to_string())),
        }
    }

    async fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        if let Some(stub) = self
            .stubs
            .get(&node_stub_key(&request.node_id))
            .or_else(|| self.stubs.get(&request.url))
        {
            return stub.answer();
        }
        let mut url = request.url.clone();
        let mut headers = request.headers.clone();
        if let Some(name) = &request.integration {
            let integration = self
                .integrations
                .get(name)
                .ok_or_else(|| HttpError::Failed(format!("no integration named {name}")))?;
            if !url.starts_with("http://") && !url.starts_with("https://") {
                url = format!(
                    "{}/{}",
                    integration.base_url.trim_end_matches('/'),
                    url.trim_start_matches('/')
                );
            }
            // The integration's secrets win over anything the document says.
            headers.extend(integration.headers.clone());
        }
        if let Some(stub) = self.stubs.get(&url) {
            return stub.answer();
        }
        if !frontline_domain::is_http_url(&url) {
            return Err(HttpError::Failed(format!("not an http(s) URL: {url}")));
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| HttpError::Failed(format!("bad method {}", request.method)))?;
        let mut builder = self.http.request(method, &url).timeout(request.timeout);
        for (k, v) in &headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = builder.send().await.map_err(|e| {
            if e.is_timeout() {
                HttpError::Timeout
            } else {
                HttpError::Failed(without_url(&e))
            }
        })?;
        let status = response.status().as_u16();
        let bytes = tokio::time::timeout(request.timeout, response.bytes())
            .await
            .map_err(|_| HttpError::Timeout)?
            .map_err(|e| HttpError::Failed(without_url(&e)))?;
        if bytes.len() > MAX_ACTION_BODY {
            return Err(HttpError::Failed(format!(
                "response larger than {MAX_ACTION_BODY} bytes"
            )));
        }
        Ok(HttpResponse {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    fn now(&self) -> LocalNow {
        LocalNow::from_unix_millis(
            self.clock.unwrap_or_else(|| Timestamp::now().0),
            self.compiled.config.utc_offset_minutes,
        )
    }
}

/// reqwest errors print the URL, which may carry a token in its query: keep the kind only.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else if e.is_request() {
        "sending the request failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}

/// Parses and validates a stored workflow document against the bot's catalogue.
pub fn compile_document(json: &str, compiled: &CompiledConfig) -> Result<Graph, Vec<Problem>> {
    let doc = WorkflowDocument::from_json(json).map_err(|e| {
        vec![Problem {
            node_id: None,
            edge_id: None,
            message: format!("not a workflow document: {e}"),
        }]
    })?;
    Graph::from_document(&doc, &Catalogue::from_bot_config(&compiled.config))
}

/// Published graphs, compiled once per (workflow, version): versions never change.
#[derive(Debug, Default)]
pub struct GraphCache {
    graphs: Mutex<HashMap<(WorkflowId, i32), Arc<Graph>>>,
}

impl GraphCache {
    /// The compiled graph of a published version; versions never change, so `document` is only
    /// compiled the first time. `None` (and a warning) when it does not validate against the bot
    /// configuration: the built-in cascade answers instead.
    pub fn get(
        &self,
        compiled: &CompiledConfig,
        workflow: WorkflowId,
        version: i32,
        document: &str,
    ) -> Option<Arc<Graph>> {
        let mut graphs = self.graphs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = graphs.get(&(workflow, version)) {
            return Some(g.clone());
        }
        match compile_document(document, compiled) {
            Ok(graph) => {
                let graph = Arc::new(graph);
                graphs.insert((workflow, version), graph.clone());
                Some(graph)
            }
            Err(problems) => {
                warn!(
                    workflow = workflow.0,
                    version,
                    problems = problems.len(),
                    "a published workflow does not validate against the bot configuration; \
                     using the built-in cascade"
                );
                None
            }
        }
    }
}
