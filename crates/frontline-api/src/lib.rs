//! frontline's HTTP API: the operator REST API, the inbound API channel endpoint, the realtime event
//! stream, metrics and the OpenAPI description.
//!
//! Handlers are thin: they authenticate, convert DTOs (`dto`) to domain values, call a use case of
//! `frontline-lifecycle` or a read of the store, and convert back. Errors go through the one mapping in
//! `error`.

pub mod auth;
pub mod dto;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod realtime;
pub mod routes;
pub mod web;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::DefaultBodyLimit,
    http::{Response, StatusCode},
    middleware,
    response::IntoResponse,
    routing::{get, post, put},
};
use frontline_engine::bot::{EngineBot, Knowledge, LiveBot};
use frontline_lifecycle::{Admin, Lifecycle};
use frontline_store::Store;
use tokio_util::sync::CancellationToken;
use tower_http::{catch_panic::CatchPanicLayer, trace::TraceLayer};

use crate::{auth::LoginLimiter, error::ApiError, metrics::Metrics, realtime::Hub};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub session_ttl: Duration,
    /// Mark the session cookie `Secure` (serve over HTTPS).
    pub secure_cookies: bool,
    /// How often the event dispatcher looks at the log when nothing wakes it (writes by other
    /// processes sharing the database).
    pub stream_poll: Duration,
    pub login_max_failures: u32,
    pub login_window: Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            stream_poll: Duration::from_millis(500),
            login_max_failures: 5,
            login_window: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// What the language-model settings routes need: the configuration file's settings (in force until
/// an admin saves some) and its key, and the sealer the saved key is kept under.
#[derive(Clone)]
pub struct LlmSetup {
    pub file: frontline_engine::bot::llm_options::LlmOptions,
    pub file_key: String,
    pub sealer: frontline_channels::sealed::Sealer,
    pub key_context: &'static str,
}

impl std::fmt::Debug for LlmSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSetup")
            .field("file", &self.file)
            .field("file_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    lifecycle: Lifecycle,
    admin: Admin,
    knowledge: Arc<Knowledge>,
    engine: Option<Arc<LiveBot>>,
    avito: Option<frontline_channels::avito::AvitoChannel>,
    llm: Option<LlmSetup>,
    voice: Option<frontline_channels::voice::VoiceChannel>,
    hub: Hub,
    metrics: Arc<Metrics>,
    settings: ApiSettings,
    limiter: LoginLimiter,
    dummy_hash: String,
    shutdown: CancellationToken,
}

impl AppState {
    /// `knowledge` is the index the bot answers from; the knowledge-base routes keep it in step with
    /// the store.
    pub fn new(
        lifecycle: Lifecycle,
        knowledge: Arc<Knowledge>,
        engine: Option<Arc<LiveBot>>,
        settings: ApiSettings,
        shutdown: CancellationToken,
    ) -> Self {
        let metrics = Arc::new(Metrics::new(lifecycle.stats().clone()));
        let dummy = frontline_domain::Password::parse("not a real password")
            .ok()
            .and_then(|p| auth::hash_password(&p).ok())
            .unwrap_or_default();
        AppState(Arc::new(Inner {
            store: lifecycle.store().clone(),
            admin: {
                let admin = Admin::new(lifecycle.store().clone(), knowledge.clone());
                match &engine {
                    Some(live) => admin.with_trainer(live.clone()),
                    None => admin,
                }
            },
            lifecycle,
            knowledge,
            engine,
            avito: None,
            llm: None,
            voice: None,
            hub: Hub::new(1024),
            metrics,
            limiter: LoginLimiter::new(settings.login_max_failures, settings.login_window),
            settings,
            dummy_hash: dummy,
            shutdown,
        }))
    }

    /// Serve the Avito channel's routes (accounts, webhook receiver). Call before cloning the state.
    pub fn with_avito(mut self, avito: frontline_channels::avito::AvitoChannel) -> Self {
        let _ = self.0.metrics.avito.set(avito.clone());
        match Arc::get_mut(&mut self.0) {
            Some(inner) => inner.avito = Some(avito),
            None => panic!("AppState::with_avito must be called before the state is shared"),
        }
        self
    }

    /// Let admins edit the language model's settings. Call before cloning the state.
    pub fn with_llm_settings(mut self, setup: LlmSetup) -> Self {
        match Arc::get_mut(&mut self.0) {
            Some(inner) => inner.llm = Some(setup),
            None => panic!("AppState::with_llm_settings must be called before the state is shared"),
        }
        self
    }

    pub fn llm_setup(&self) -> Option<&LlmSetup> {
        self.0.llm.as_ref()
    }

    pub fn avito(&self) -> Option<&frontline_channels::avito::AvitoChannel> {
        self.0.avito.as_ref()
    }

    /// Configure voice lines and export the voice channel's metrics. Call before cloning the state.
    pub fn with_voice(mut self, voice: frontline_channels::voice::VoiceChannel) -> Self {
        let _ = self.0.metrics.voice.set(voice.clone());
        match Arc::get_mut(&mut self.0) {
            Some(inner) => inner.voice = Some(voice),
            None => panic!("AppState::with_voice must be called before the state is shared"),
        }
        self
    }

    pub fn voice(&self) -> Option<&frontline_channels::voice::VoiceChannel> {
        self.0.voice.as_ref()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    pub fn lifecycle(&self) -> &Lifecycle {
        &self.0.lifecycle
    }

    /// The admin use cases (every admin write, with its side effects).
    pub fn admin(&self) -> &Admin {
        &self.0.admin
    }

    pub fn knowledge(&self) -> &Arc<Knowledge> {
        &self.0.knowledge
    }

    /// The dialog engine in service now, unless the bot is disabled; workflows validate and run
    /// against it.
    pub fn engine(&self) -> Option<Arc<EngineBot>> {
        self.0.engine.as_ref().map(|live| live.current())
    }

    /// The running bot whose configuration the admin console publishes, unless the bot is
    /// disabled.
    pub fn live_bot(&self) -> Option<&Arc<LiveBot>> {
        self.0.engine.as_ref()
    }

    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.0.metrics
    }

    pub fn settings(&self) -> &ApiSettings {
        &self.0.settings
    }

    pub fn login_limiter(&self) -> &LoginLimiter {
        &self.0.limiter
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.0.shutdown
    }

    /// A valid hash to verify against when the login does not exist, so timing reveals nothing.
    fn dummy_hash(&self) -> &str {
        &self.0.dummy_hash
    }
}

/// Start the realtime dispatcher; it stops with the state's shutdown token.
pub fn spawn_background(state: &AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(realtime::run_dispatcher(
        state.clone(),
        state.settings().stream_poll,
        state.shutdown().clone(),
    ))
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    use routes::*;
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route(
            "/me/preferences",
            get(auth::preferences).put(auth::save_preferences),
        )
        .route("/conversations", get(conversations::list))
        .route("/conversations/{id}", get(conversations::get))
        .route(
            "/conversations/{id}/messages",
            get(conversations::messages).post(conversations::reply),
        )
        .route("/conversations/{id}/lead", post(conversations::set_lead))
        .route("/conversations/{id}/assign", post(conversations::assign))
        .route(
            "/conversations/{id}/status",
            post(conversations::set_status),
        )
        .route("/conversations/{id}/read", post(conversations::mark_read))
        .route("/conversations/{id}/handoffs", get(conversations::handoffs))
        .route(
            "/conversations/{id}/decisions",
            get(conversations::decisions),
        )
        .route("/analytics/decisions", get(conversations::decision_counts))
        .route("/kb/categories", get(knowledge::list_categories))
        .route("/kb/category-order", put(knowledge::reorder_categories))
        .route(
            "/kb/categories/{key}",
            put(knowledge::put_category).delete(knowledge::delete_category),
        )
        .route("/kb/articles", get(knowledge::list_articles))
        .route("/kb/article-moves", post(knowledge::move_articles))
        .route(
            "/kb/articles/{key}",
            get(knowledge::get_article)
                .put(knowledge::put_article)
                .delete(knowledge::delete_article),
        )
        .route(
            "/kb/articles/{key}/history",
            get(knowledge::article_history),
        )
        .route(
            "/kb/articles/{key}/restore",
            post(knowledge::restore_article),
        )
        .route("/kb/import", post(knowledge::import))
        .route("/kb/import/opencart", post(knowledge::import_opencart))
        .route(
            "/kb/import/opencart/dump",
            post(knowledge::import_opencart_dump)
                .layer(DefaultBodyLimit::max(knowledge::MAX_DUMP_BYTES)),
        )
        .route("/kb/search", get(knowledge::search))
        .route("/kb/check", post(knowledge::check))
        .route("/bot/config", get(bot::get_state))
        .route("/bot/llm", get(llm::get).put(llm::save))
        .route("/bot/llm/check", post(llm::check))
        .route(
            "/bot/config/draft",
            put(bot::save_draft).delete(bot::discard_draft),
        )
        .route("/bot/config/publish", post(bot::publish))
        .route("/bot/config/versions", get(bot::versions))
        .route("/bot/config/versions/{version}", get(bot::version))
        .route("/bot/config/versions/{version}/document", get(bot::export))
        .route(
            "/bot/config/versions/{version}/rollback",
            post(bot::rollback),
        )
        .route("/workflows", get(workflows::list).post(workflows::create))
        .route(
            "/workflows/{id}",
            get(workflows::get)
                .put(workflows::update)
                .delete(workflows::delete),
        )
        .route("/workflows/{id}/publish", post(workflows::publish))
        .route("/workflows/{id}/rollback", post(workflows::rollback))
        .route("/workflows/catalogue", get(workflows::catalogue))
        .route("/workflows/{id}/versions", get(workflows::versions))
        .route(
            "/workflows/{id}/versions/{version}",
            get(workflows::version),
        )
        .route("/workflows/{id}/test", post(workflows::test))
        .route("/workflows/{id}/suite", post(workflows::suite))
        .route(
            "/accounts/{id}/workflow",
            put(workflows::set_account_workflow),
        )
        .route("/integrations", get(workflows::list_integrations))
        .route(
            "/integrations/{name}",
            put(workflows::put_integration).delete(workflows::delete_integration),
        )
        .route("/messages/{id}/retry", post(conversations::retry))
        .route("/search", get(conversations::search))
        .route(
            "/quick-replies",
            get(quick_replies::list).post(quick_replies::create),
        )
        .route(
            "/quick-replies/{id}",
            put(quick_replies::update).delete(quick_replies::delete),
        )
        .route(
            "/accounts",
            get(accounts::list_accounts).post(accounts::create_account),
        )
        .route("/voice/calls/{call_id}/turns", get(voice::call_turns))
        .route(
            "/accounts/{id}",
            get(accounts::get_account)
                .patch(accounts::update_account)
                .delete(accounts::delete_account),
        )
        .route("/accounts/{id}/rotate-token", post(accounts::rotate_token))
        .route(
            "/operators",
            get(operators::list_operators).post(operators::create_operator),
        )
        .route(
            "/operators/{id}",
            axum::routing::patch(operators::update_operator).delete(operators::delete_operator),
        )
        .route("/inbound/{account_id}/messages", post(inbound::receive))
        .route("/avito/accounts", post(avito::connect))
        .route(
            "/avito/accounts/{id}",
            axum::routing::delete(avito::disconnect),
        )
        .route(
            "/avito/accounts/{id}/webhook",
            get(avito::webhook_health).post(avito::resubscribe),
        )
        .route("/avito/accounts/{id}/status", get(avito::status))
        .route("/avito/accounts/{id}/sync", post(avito::sync))
        .route("/avito/accounts/{id}/poll", post(avito::poll))
        .route(
            "/webhooks/avito/{account_id}/{secret}",
            post(avito::webhook),
        )
        .route(
            "/media",
            post(avito::upload).layer(DefaultBodyLimit::max(avito::MAX_MEDIA_BYTES)),
        )
        .route("/media/{id}", get(avito::media))
        .route("/stream", get(realtime::stream))
        .route("/openapi.json", get(system::openapi));

    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(metrics::render))
        .fallback(web::serve)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

async fn method_not_allowed() -> impl IntoResponse {
    let mut r = ApiError::BadRequest {
        code: "method_not_allowed",
        message: "this method is not allowed on this route".into(),
        field: None,
    }
    .into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    ApiError::internal(std::io::Error::other("a request handler panicked")).into_response()
}

/// The span of a request names its method and path only: query strings can carry tokens (the
/// stream's `?token=`) and must not reach the logs.
fn request_span(req: &axum::http::Request<Body>) -> tracing::Span {
    tracing::debug_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()))
}

/// Webhook URLs carry their secret as the last segment: never log it.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/api/v1/webhooks/") {
        Some(rest) => match rest.rsplit_once('/') {
            Some((head, _secret)) => format!("/api/v1/webhooks/{head}/…").into(),
            None => path.into(),
        },
        None => path.into(),
    }
}
