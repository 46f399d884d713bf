//! The frontline server, wired from its crates: [`launch`] opens the store, starts the workers and serves
//! HTTP until shut down. `main.rs` adds the command line around it; the integration tests call
//! [`launch`] directly on a listener bound to `127.0.0.1:0`.
//!
//! - [`setup`]: the store, the first admin, the server key.
//! - `bot.rs`: the sentence encoder, the knowledge index and the engine the configuration describes.
//! - `voice.rs`: the recogniser, the synthesiser and the telephony listeners.
//! - [`demo`]: what `frontline demo` seeds and runs (the demo shop, its Avito simulator).

mod bot;
pub mod config;
pub mod demo;
pub mod setup;
mod voice;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use frontline_api::{ApiSettings, AppState};
use frontline_channels::{
    api::CallbackSender,
    avito::{AvitoChannel, AvitoSettings, ClientSettings},
    speech::{Recognizer, Synthesizer},
    voice::{VoiceChannel, audiosocket, media_stream},
};
use frontline_domain::{AccountKind, Timestamp};
use frontline_lifecycle::{Bot, Channels, Lifecycle, NoBot, WorkerSettings, spawn_workers};
use frontline_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use bot::sentence_encoder;
pub use config::Config;
pub use setup::{bootstrap_admin, create_operator, open_store, server_key};
pub use voice::VoiceAddrs;

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
        _ => bot::sentence_encoder(&config.bot),
    };
    let sealer = server_key(&config)?;
    let knowledge = bot::open_knowledge(&*store, &config, encoder.clone()).await?;
    let (engine, unmeasured) =
        match bot::build_bot(&*store, &config, &sealer, knowledge.clone(), encoder).await? {
            Some((live, unmeasured)) => (Some(live), unmeasured),
            None => (None, None),
        };
    let bot: Arc<dyn Bot> = match (wiring.bot, &engine) {
        (Some(bot), _) => bot,
        (None, Some(engine)) => engine.clone(),
        (None, None) => Arc::new(NoBot),
    };

    let demo_avito = if config.demo.avito && config.avito.enabled {
        let demo = demo::avito::start_simulator().await?;
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
        None if config.voice.enabled => Some(voice::build_recognizer(&config)),
        None => None,
    };
    let avito = if config.avito.enabled {
        let sealer = sealer.clone();
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
                None => voice::build_synthesizer(&config)?,
            };
            let v = VoiceChannel::new(lifecycle.clone(), r.clone(), synthesizer)
                .with_sealer(sealer.clone());
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
                demo::seed_workflow(&*store, addr).await?;
            }
            line = demo::voice_line(&*store).await?;
        }
        let mut tasks = v.spawn(shutdown.clone());
        channel_workers.spawn(async move { while tasks.join_next().await.is_some() {} });
        if let Some(l) = voice::bind_voice(
            &config.voice.audiosocket_listen,
            wiring.audiosocket_listener,
            demo.then_some("127.0.0.1:9092"),
        )
        .await?
        {
            voice_addrs.audiosocket = Some(l.local_addr()?);
            channel_workers.spawn(audiosocket::serve(l, line, v.sink(), shutdown.clone()));
        }
        if let Some(l) = voice::bind_voice(
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
    state = state.with_llm_settings(frontline_api::LlmSetup {
        file: bot::llm_file_options(&config),
        file_key: config.llm.api_key.clone(),
        sealer: sealer.clone(),
        key_context: bot::LLM_KEY_CONTEXT,
    });
    if let Some(version) = &unmeasured {
        state.admin().train_bot_config(version);
    }
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
        demo::seed_workflow(&*store, addr).await?;
        app = app.merge(demo::shop::router());
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
pub(crate) fn reachable(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

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
