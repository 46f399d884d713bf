//! The frontline server, wired from its crates: [`launch`] opens the store, starts the workers and serves
//! HTTP until shut down. `main.rs` adds the command line around it; the integration tests call
//! [`launch`] directly on a listener bound to `127.0.0.1:0`.

pub mod config;
mod demo_avito;
pub mod demo_shop;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use frontline_api::{ApiSettings, AppState};
use frontline_channels::{
    api::CallbackSender,
    avito::{AvitoChannel, AvitoSettings, ClientSettings},
    sealed::Sealer,
    speech::{
        Recognizer, Synthesizer, UnavailableRecognizer,
        espeak::{Espeak, EspeakSettings},
        openai::{OpenAiRecognizer, OpenAiSpeechSettings, OpenAiSynthesizer},
    },
    voice::{VoiceChannel, audiosocket, media_stream},
};
use frontline_domain::{AccountKind, Login, NewOperator, Password, Role, Timestamp};
use frontline_engine::bot::{BotConfig, EngineBot, Knowledge, LlmStage, knowledge::to_import};
use frontline_engine::intent::embedding::{DiskCache, Encoder, EncoderOptions, TextEmbedder};
use frontline_engine::kb::demo::demo as demo_knowledge;
use frontline_engine::llm::{LlmClient, LlmModels, LlmSettings, Secret};
use frontline_lifecycle::{Bot, Channels, Lifecycle, NoBot, WorkerSettings, spawn_workers};
use frontline_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use config::Config;

/// Open the store named by `url`: `sqlite://…` or `postgres://…` / `postgresql://…`.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let s = frontline_store_sqlite::SqliteStore::connect(url)
            .await
            .with_context(|| format!("opening SQLite database {url}"))?;
        Ok(Arc::new(s))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let s = frontline_store_postgres::PgStore::connect(url)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {}", config::redact_url(url)))?;
        Ok(Arc::new(s))
    } else {
        anyhow::bail!(
            "unsupported database URL `{}`: use sqlite://path or postgres://…",
            config::redact_url(url)
        )
    }
}

/// Create the first admin from `login:password` when no operator exists yet.
pub async fn bootstrap_admin(store: &dyn Store, spec: Option<&str>) -> anyhow::Result<()> {
    if store.count_operators().await? > 0 {
        return Ok(());
    }
    let Some((login, password)) = spec.and_then(|s| s.split_once(':')) else {
        warn!(
            "no operator exists yet: create an admin with `frontline operator add --login admin --name Admin --role admin` \
             (password on stdin), or start with FRONTLINE_BOOTSTRAP_ADMIN=login:password"
        );
        return Ok(());
    };
    create_operator(store, login, login, Role::Admin, password).await?;
    info!(login, "bootstrap admin created");
    Ok(())
}

/// Create an operator with a hashed password.
pub async fn create_operator(
    store: &dyn Store,
    login: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<()> {
    let login = Login::parse(login)?;
    let password = Password::parse(password)?;
    let hash = frontline_api::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_operator(NewOperator {
            login,
            display_name: display_name.to_owned(),
            role,
            password_hash: hash,
        })
        .await?;
    Ok(())
}

/// Extra wiring for embedders and tests; production uses the defaults.
#[derive(Debug, Default)]
pub struct Wiring {
    /// Replaces the bot the configuration describes.
    pub bot: Option<Arc<dyn Bot>>,
    /// Replaces the speech recogniser the configuration describes (calls and voice messages).
    pub recognizer: Option<Arc<dyn Recognizer>>,
    /// Replaces the speech synthesiser the configuration describes.
    pub synthesizer: Option<Arc<dyn Synthesizer>>,
    /// Already bound listeners for the voice adapters, used instead of `voice.*_listen`.
    pub audiosocket_listener: Option<TcpListener>,
    pub media_stream_listener: Option<TcpListener>,
}

/// Where the voice adapters listen, once started.
#[derive(Debug, Clone, Copy, Default)]
pub struct VoiceAddrs {
    pub audiosocket: Option<std::net::SocketAddr>,
    pub media_stream: Option<std::net::SocketAddr>,
}

/// The recogniser the configuration describes. A missing model is not fatal: calls are told they
/// were not understood (and DTMF still works) while the log says how to get the model.
fn build_recognizer(config: &Config) -> Arc<dyn Recognizer> {
    let c = &config.voice;
    match c.recognizer.as_str() {
        "openai" => match OpenAiRecognizer::new(openai_speech(config)) {
            Ok(r) => Arc::new(r),
            Err(e) => Arc::new(UnavailableRecognizer::new(e.to_string())),
        },
        _ => whisper_recognizer(config),
    }
}

#[cfg(feature = "whisper")]
fn whisper_recognizer(config: &Config) -> Arc<dyn Recognizer> {
    use frontline_channels::speech::whisper::{WhisperRecognizer, WhisperSettings};
    let path = config.voice.whisper_model_path();
    let started = std::time::Instant::now();
    match WhisperRecognizer::load(WhisperSettings::new(&path)) {
        Ok(r) => {
            info!(model = %path.display(), load_ms = started.elapsed().as_millis() as u64, "speech recognition ready");
            Arc::new(r)
        }
        Err(e) => {
            warn!(error = %e, "speech recognition unavailable; run scripts/fetch-whisper-model");
            Arc::new(UnavailableRecognizer::new(e.to_string()))
        }
    }
}

#[cfg(not(feature = "whisper"))]
fn whisper_recognizer(_config: &Config) -> Arc<dyn Recognizer> {
    let why = "this build has no whisper support (built without the `whisper` feature)";
    warn!("speech recognition unavailable: {why}");
    Arc::new(UnavailableRecognizer::new(why.into()))
}

fn build_synthesizer(config: &Config) -> anyhow::Result<Arc<dyn Synthesizer>> {
    let c = &config.voice;
    Ok(match c.synthesizer.as_str() {
        "openai" => {
            Arc::new(OpenAiSynthesizer::new(openai_speech(config)).context("voice.synthesizer")?)
        }
        _ => Arc::new(Espeak::new(EspeakSettings {
            program: c.espeak_program.clone().into(),
            ..EspeakSettings::default()
        })),
    })
}

fn openai_speech(config: &Config) -> OpenAiSpeechSettings {
    let c = &config.voice;
    OpenAiSpeechSettings {
        base_url: c.openai_base_url.clone(),
        api_key: c.openai_api_key.clone().filter(|k| !k.trim().is_empty()),
        stt_model: c.openai_stt_model.clone(),
        tts_model: c.openai_tts_model.clone(),
        voice: c.openai_voice.clone(),
        timeout: Duration::from_secs(c.request_timeout_secs.max(1)),
        ..OpenAiSpeechSettings::default()
    }
}

async fn bind_voice(
    configured: &str,
    given: Option<TcpListener>,
    demo_default: Option<&str>,
) -> anyhow::Result<Option<TcpListener>> {
    if given.is_some() {
        return Ok(given);
    }
    if configured.is_empty() {
        let Some(default) = demo_default else {
            return Ok(None);
        };
        // The demo's usual port, or any free one when another demo holds it (the address is
        // printed either way).
        let listener = match TcpListener::bind(default).await {
            Ok(l) => l,
            Err(_) => TcpListener::bind("127.0.0.1:0")
                .await
                .context("binding the demo voice listener")?,
        };
        return Ok(Some(listener));
    }
    Ok(Some(TcpListener::bind(configured).await.with_context(
        || format!("binding the voice listener on {configured}"),
    )?))
}

/// The demo phone line: a voice account on the demo workflow, created once.
async fn demo_voice_line(store: &dyn Store) -> anyhow::Result<frontline_domain::AccountId> {
    if let Some(a) = store
        .list_accounts()
        .await?
        .into_iter()
        .find(|a| a.kind == AccountKind::Voice)
    {
        return Ok(a.id);
    }
    let account = store
        .create_account(frontline_domain::NewAccount {
            kind: AccountKind::Voice,
            name: "Демо-линия (телефон)".into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: Some("{}".into()),
            sealed_secrets: None,
        })
        .await?;
    if let Some(w) = store
        .list_workflows()
        .await?
        .into_iter()
        .find(|w| w.published_version.is_some())
    {
        store.set_account_workflow(account.id, Some(w.id)).await?;
    }
    Ok(account.id)
}

/// The sentence encoder `settings` describe, with its embedding cache. A missing model or a CPU it
/// cannot run on is not fatal: the engine then works on words alone, and the log says why and how
/// to get the model.
pub fn sentence_encoder(settings: &config::BotSettings) -> Option<TextEmbedder> {
    if settings.encoder != "e5" {
        return None;
    }
    let path = settings.encoder_model_path();
    if !path.exists() {
        warn!(model = %path.display(), "no sentence encoder: intents and knowledge retrieval work on words alone; run scripts/fetch-e5-model");
        return None;
    }
    let started = std::time::Instant::now();
    let options = EncoderOptions {
        threads: settings.encoder_threads,
        ..EncoderOptions::default()
    };
    let encoder = match Encoder::load_with(&path, options) {
        Ok(e) => e,
        Err(e) => {
            warn!(error = %e, "no sentence encoder: intents and knowledge retrieval work on words alone");
            return None;
        }
    };
    let dir = settings.embedding_cache_dir();
    let cache = match DiskCache::open(&dir, encoder.sha256()) {
        Ok(c) => Some(c),
        Err(e) => {
            warn!(error = %e, dir = %dir.display(), "embedding cache unavailable: examples and articles are embedded at every start");
            None
        }
    };
    info!(model = %path.display(), load_ms = started.elapsed().as_millis() as u64, threads = settings.encoder_threads, "sentence encoder ready");
    Some(TextEmbedder::with_cache(Arc::new(encoder), cache))
}

/// The knowledge index over the stored articles, after seeding the demo shop's into an empty store
/// when the configuration asks for it.
async fn open_knowledge(
    store: &dyn Store,
    config: &Config,
    encoder: Option<TextEmbedder>,
) -> anyhow::Result<Arc<Knowledge>> {
    let mut articles = store.list_kb_articles(None).await?;
    if articles.is_empty() && config.bot.seed_demo_knowledge {
        let raw = to_import(&demo_knowledge());
        let import = frontline_domain::KbImport {
            categories: raw
                .categories
                .into_iter()
                .map(|c| c.cleaned())
                .collect::<Result<_, _>>()?,
            articles: raw
                .articles
                .into_iter()
                .map(|a| a.cleaned())
                .collect::<Result<_, _>>()?,
        };
        let stats = store.import_kb(import, None).await?;
        info!(
            articles = stats.articles_created,
            "knowledge base was empty: seeded the demo shop's articles"
        );
        articles = store.list_kb_articles(None).await?;
    }
    let knowledge =
        Knowledge::with_encoder(&articles, encoder).context("indexing the knowledge base")?;
    Ok(Arc::new(knowledge))
}

/// The language-model stage, when enabled.
fn llm_stage(config: &Config) -> anyhow::Result<Option<LlmStage>> {
    let c = &config.llm;
    if !c.enabled {
        return Ok(None);
    }
    let models = LlmModels {
        router: c.router_model.clone(),
        answer: c.answer_model.clone(),
        summary: c.summary_model.clone(),
    };
    let client = LlmClient::new(LlmSettings {
        base_url: c.base_url.clone(),
        api_key: Secret::new(c.api_key.clone()),
        models: models.clone(),
        timeout: Duration::from_secs(c.request_timeout_secs),
        max_retries: c.max_retries,
        require_parameters: c.require_parameters,
        ..LlmSettings::default()
    })
    .map_err(|e| anyhow::anyhow!("llm settings: {e}"))?;
    info!(base_url = %c.base_url, router = %models.router, "language model enabled");
    Ok(Some(LlmStage {
        model: Arc::new(client),
        models,
        timeout: Duration::from_secs(c.task_timeout_secs),
        router_trust: c.router_trust,
    }))
}

/// The bot the configuration describes: the engine with its configuration file (or the demo), or
/// none.
fn build_bot(
    config: &Config,
    knowledge: Arc<Knowledge>,
    encoder: Option<TextEmbedder>,
) -> anyhow::Result<Option<Arc<EngineBot>>> {
    if config.bot.mode == "none" {
        info!("bot disabled: every conversation goes to operators");
        return Ok(None);
    }
    let bot_config = match &config.bot.config_path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading bot configuration {}", path.display()))?;
            BotConfig::from_json(&text)
                .with_context(|| format!("bot configuration {}", path.display()))?
        }
        None => BotConfig::demo(),
    };
    let started = std::time::Instant::now();
    let compiled = bot_config.compile_with(encoder)?;
    info!(
        name = %compiled.config.name,
        encoder = compiled.encoder.is_some(),
        intents = compiled.config.intents.len(),
        articles = knowledge.len(),
        train_ms = started.elapsed().as_millis() as u64,
        "bot ready"
    );
    Ok(Some(Arc::new(EngineBot::new(
        Arc::new(compiled),
        knowledge,
        llm_stage(config)?,
    ))))
}

/// Run the server on `listener` until `shutdown` is cancelled.
pub async fn launch(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    launch_with(config, listener, shutdown, Wiring::default()).await
}

pub async fn launch_with(
    mut config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
    wiring: Wiring,
) -> anyhow::Result<()> {
    let store = open_store(&config.database_url).await?;
    bootstrap_admin(&*store, config.bootstrap_admin.as_deref()).await?;
    // Only the engine uses the encoder; `bot.mode = none` loads nothing.
    let encoder = match config.bot.mode.as_str() {
        "none" => None,
        _ => sentence_encoder(&config.bot),
    };
    let knowledge = open_knowledge(&*store, &config, encoder.clone()).await?;
    let engine = build_bot(&config, knowledge.clone(), encoder)?;
    let bot: Arc<dyn Bot> = match (wiring.bot, &engine) {
        (Some(bot), _) => bot,
        (None, Some(engine)) => engine.clone(),
        (None, None) => Arc::new(NoBot),
    };

    let demo_avito = if config.demo.avito && config.avito.enabled {
        let demo = demo_avito::start_simulator().await?;
        config.avito.api_url = demo.sim.base_url();
        Some(demo)
    } else {
        None
    };
    let lifecycle = Lifecycle::new(store.clone());
    let addr = listener.local_addr()?;
    let mut channels = Channels::new().with(
        AccountKind::Api,
        Arc::new(CallbackSender::new(Duration::from_secs(
            config.outbox.callback_timeout_secs,
        ))),
    );
    let recognizer: Option<Arc<dyn Recognizer>> = match wiring.recognizer {
        Some(r) => Some(r),
        None if config.voice.enabled => Some(build_recognizer(&config)),
        None => None,
    };
    let avito = if config.avito.enabled {
        let sealer = server_key(&config)?;
        let mut avito = AvitoChannel::new(lifecycle.clone(), sealer, avito_settings(&config, addr));
        if let Some(r) = recognizer
            .clone()
            .filter(|_| config.voice.transcribe_voice_messages)
        {
            let language =
                Some(config.voice.voice_message_language.clone()).filter(|l| l != "auto");
            avito = avito.with_recognizer(r, language);
        }
        channels = channels.with(AccountKind::Avito, Arc::new(avito.clone()));
        Some(avito)
    } else {
        None
    };
    let voice = match (&recognizer, config.voice.enabled) {
        (Some(r), true) => {
            let synthesizer = match wiring.synthesizer {
                Some(s) => s,
                None => build_synthesizer(&config)?,
            };
            let v = VoiceChannel::new(lifecycle.clone(), r.clone(), synthesizer)
                .with_sealer(server_key(&config)?);
            channels = channels.with(AccountKind::Voice, Arc::new(v.clone()));
            Some(v)
        }
        _ => None,
    };
    let worker_settings = WorkerSettings {
        poll_interval: Duration::from_millis(config.outbox.poll_interval_ms),
        max_attempts: config.outbox.max_attempts,
        backoff_base: Duration::from_millis(config.outbox.backoff_base_ms),
        backoff_max: Duration::from_secs(config.outbox.backoff_max_secs),
        bot_timeout: Duration::from_secs(config.bot.timeout_secs),
        lease: Duration::from_secs(config.outbox.lease_secs),
        ..WorkerSettings::default()
    };
    let mut workers = spawn_workers(
        lifecycle.clone(),
        bot,
        channels,
        worker_settings,
        shutdown.clone(),
    );

    let mut channel_workers = match &avito {
        Some(a) => a.spawn(shutdown.clone()),
        None => tokio::task::JoinSet::new(),
    };
    let mut voice_addrs = VoiceAddrs::default();
    if let Some(v) = &voice {
        let demo = config.demo.voice;
        let mut line = frontline_domain::AccountId(config.voice.audiosocket_line);
        if demo && line.0 == 0 {
            // The demo line runs the demo workflow, which is seeded below: make sure it exists.
            if config.demo.shop {
                seed_demo_workflow(&*store, addr).await?;
            }
            line = demo_voice_line(&*store).await?;
        }
        let mut tasks = v.spawn(shutdown.clone());
        channel_workers.spawn(async move { while tasks.join_next().await.is_some() {} });
        if let Some(l) = bind_voice(
            &config.voice.audiosocket_listen,
            wiring.audiosocket_listener,
            demo.then_some("127.0.0.1:9092"),
        )
        .await?
        {
            voice_addrs.audiosocket = Some(l.local_addr()?);
            channel_workers.spawn(audiosocket::serve(l, line, v.sink(), shutdown.clone()));
        }
        if let Some(l) = bind_voice(
            &config.voice.media_stream_listen,
            wiring.media_stream_listener,
            demo.then_some("127.0.0.1:9093"),
        )
        .await?
        {
            voice_addrs.media_stream = Some(l.local_addr()?);
            let (sink, stop) = (v.sink(), shutdown.clone());
            channel_workers.spawn(async move {
                if let Err(e) = media_stream::serve(l, sink, stop).await {
                    warn!(error = %e, "media-stream listener stopped");
                }
            });
        }
        info!(
            audiosocket = ?voice_addrs.audiosocket,
            media_stream = ?voice_addrs.media_stream,
            line = line.0,
            recognizer = v.recognizer().name(),
            "voice channel ready"
        );
        if demo {
            if let Some(a) = voice_addrs.audiosocket {
                println!(
                    "demo phone line: AudioSocket on {a} (frontline call --audiosocket {a} --wav FILE)"
                );
            }
            if let Some(a) = voice_addrs.media_stream {
                println!(
                    "demo phone line: media stream on ws://{a}/lines/{} (frontline call --media-stream ws://{a}/lines/{} --wav FILE)",
                    line.0, line.0
                );
            }
            let v = v.clone();
            tokio::spawn(async move {
                v.prerender(&frontline_channels::voice::line::LineSettings::default())
                    .await
            });
        }
    }
    let mut state = AppState::new(
        lifecycle,
        knowledge.clone(),
        engine,
        ApiSettings {
            session_ttl: config.session_ttl(),
            secure_cookies: config.http.secure_cookies,
            stream_poll: Duration::from_millis(config.events.stream_poll_ms),
            login_max_failures: config.http.login_max_failures,
            login_window: Duration::from_secs(config.http.login_window_secs),
        },
        shutdown.clone(),
    );
    if let Some(a) = avito.clone() {
        state = state.with_avito(a);
    }
    if let Some(v) = voice.clone() {
        state = state.with_voice(v);
    }
    let dispatcher = frontline_api::spawn_background(&state);
    let kb_sync = {
        let admin = state.admin().clone();
        let period = Duration::from_secs(config.bot.knowledge_refresh_secs.max(1));
        let shutdown = shutdown.clone();
        tokio::spawn(async move { admin.follow_knowledge(period, shutdown).await })
    };
    let pruner = tokio::spawn(prune_events(
        store.clone(),
        Duration::from_secs(config.events.retention_days * 86_400),
        shutdown.clone(),
    ));

    let mut app = frontline_api::router(state);
    if config.demo.shop {
        seed_demo_workflow(&*store, addr).await?;
        app = app.merge(demo_shop::router());
    }
    let demo_driver = match (demo_avito, avito) {
        (Some(demo), Some(channel)) => {
            let workflow = store
                .list_workflows()
                .await?
                .into_iter()
                .find(|w| w.published_version.is_some())
                .map(|w| w.id);
            Some(tokio::spawn(demo.run(
                channel,
                store.clone(),
                workflow,
                Duration::from_secs(config.demo.customer_interval_secs.max(1)),
                shutdown.clone(),
            )))
        }
        _ => None,
    };
    info!(%addr, store = store.backend(), "frontline listening");
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let stop = shutdown.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
        .context("serving HTTP")?;

    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    while channel_workers.join_next().await.is_some() {}
    let _ = dispatcher.await;
    let _ = pruner.await;
    let _ = kb_sync.await;
    if let Some(d) = demo_driver {
        let _ = d.await;
    }
    info!("frontline stopped");
    Ok(())
}

/// The server key sealing channel secrets: given inline, or read from its file (created with a fresh
/// random key, readable by the owner only, on first start).
pub fn server_key(config: &Config) -> anyhow::Result<Sealer> {
    if let Some(key) = config
        .secrets
        .key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
    {
        return Sealer::from_base64(key).context("secrets.key");
    }
    let path = config.key_file();
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the server key {}", path.display()))?;
        return Sealer::from_base64(&text)
            .with_context(|| format!("server key {}", path.display()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = Sealer::generate_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        use std::io::Write;
        let mut file = options
            .open(&path)
            .with_context(|| format!("creating the server key {}", path.display()))?;
        file.write_all(key.as_bytes())?;
    }
    warn!(
        path = %path.display(),
        "generated a new server key for channel secrets; back it up with the database"
    );
    Sealer::from_base64(&key).context("generated key")
}

fn avito_settings(config: &Config, addr: std::net::SocketAddr) -> AvitoSettings {
    let c = &config.avito;
    let public_url = if c.public_url.is_empty() {
        format!("http://{}", reachable(addr))
    } else {
        c.public_url.clone()
    };
    AvitoSettings {
        client: ClientSettings {
            base_url: c.api_url.clone(),
            request_timeout: Duration::from_secs(c.request_timeout_secs),
            ..ClientSettings::default()
        },
        public_url,
        poll_interval: Duration::from_secs(c.poll_interval_secs),
        context_ttl: Duration::from_secs(c.context_ttl_secs),
        sync_on_connect: c.sync_on_connect,
        ..AvitoSettings::default()
    }
}

/// A listening address as a client on this machine dials it.
fn reachable(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// Point the `shop` integration at the demo shop on this server and, when no workflow exists yet,
/// create and publish the demo shop workflow with its regression suite.
async fn seed_demo_workflow(store: &dyn Store, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use frontline_engine::bot::flows::{DEFAULT_SUITE_JSON, DEFAULT_WORKFLOW_JSON};
    let host = if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let base = format!("http://{host}{}", demo_shop::PREFIX);
    // Never overwrite an integration someone pointed at a real system.
    let ours = match store.integration("shop").await? {
        None => true,
        Some(i) => i.base_url.ends_with(demo_shop::PREFIX),
    };
    if ours {
        store
            .upsert_integration("shop", &base, Default::default())
            .await?;
    }
    if store.list_workflows().await?.is_empty() {
        let w = store
            .create_workflow(
                frontline_domain::WorkflowDraft {
                    name: "Демо-магазин".into(),
                    draft: DEFAULT_WORKFLOW_JSON.into(),
                    tests: DEFAULT_SUITE_JSON.into(),
                }
                .cleaned()?,
            )
            .await?;
        let v = store.publish_workflow(w.id, None, None).await?;
        info!(
            workflow = w.id.0,
            version = v.version,
            "demo shop workflow published"
        );
        // A first start with no channel yet: an api account running the workflow, so a message
        // posted to the inbound API goes through the whole flow.
        if store.list_accounts().await?.is_empty() {
            let token = frontline_api::auth::new_token();
            let account = store
                .create_account(frontline_domain::NewAccount {
                    kind: AccountKind::Api,
                    name: "Демо-сайт".into(),
                    callback_url: None,
                    inbound_token_hash: Some(frontline_api::auth::token_hash(&token)),
                    settings: None,
                    sealed_secrets: None,
                })
                .await?;
            store.set_account_workflow(account.id, Some(w.id)).await?;
            info!(
                account = account.id.0,
                inbound_token = %token,
                "demo account created and running the demo shop workflow; post customer messages \
                 to /api/v1/inbound/{{account}}/messages with this token (shown once)"
            );
        }
    }
    // Shared quick replies for the messenger's ⚡ panel, with the placeholders it fills from the
    // conversation.
    // No operator has id 0: this lists the shared ones only.
    let shared = store
        .list_quick_replies(frontline_domain::OperatorId(0))
        .await?;
    if shared.is_empty() {
        for (title, text) in DEMO_QUICK_REPLIES {
            store.create_quick_reply(title, text, None).await?;
        }
    }
    Ok(())
}

const DEMO_QUICK_REPLIES: [(&str, &str); 5] = [
    (
        "Приветствие",
        "Здравствуйте, {customer_name}! Меня зовут {operator_name}, я помогу разобраться.",
    ),
    (
        "Статус заказа",
        "{customer_name}, проверил заказ {order_number}: он передан в доставку, трек-номер пришлю сюда же.",
    ),
    (
        "Уточнить номер заказа",
        "Подскажите, пожалуйста, номер заказа — он есть в письме о покупке.",
    ),
    (
        "Возврат",
        "Вернуть товар можно в течение 14 дней: оформим заявку здесь, курьер заберёт его бесплатно.",
    ),
    (
        "Спасибо",
        "Спасибо за обращение, {customer_name}! Если появятся вопросы — пишите, мы на связи.",
    ),
];

/// Drop events older than the retention, hourly.
async fn prune_events(store: Arc<dyn Store>, retention: Duration, shutdown: CancellationToken) {
    loop {
        match store.prune_events(Timestamp::now().minus(retention)).await {
            Ok(n) if n > 0 => info!(deleted = n, "pruned old events"),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "pruning events failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}
