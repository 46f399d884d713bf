//! The bot the configuration describes: the sentence encoder, the knowledge index, the optional
//! language-model stage, and the engine compiled from the bot's configuration.

use std::sync::Arc;

use anyhow::Context;
use frontline_channels::sealed::Sealer;
use frontline_domain::BotConfigVersion;
use frontline_engine::bot::config::DEMO_CONFIG_JSON;
use frontline_engine::bot::llm_options::LlmOptions;
use frontline_engine::bot::{BotConfig, EngineBot, Knowledge, LiveBot, LlmStage};
use frontline_engine::intent::embedding::{DiskCache, Encoder, EncoderOptions, TextEmbedder};
use frontline_store::Store;
use tracing::{info, warn};

use crate::{Config, config};

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
pub(crate) async fn open_knowledge(
    store: &dyn Store,
    config: &Config,
    encoder: Option<TextEmbedder>,
) -> anyhow::Result<Arc<Knowledge>> {
    if config.bot.seed_demo_knowledge {
        crate::demo::seed_knowledge(store).await?;
    }
    let articles = store.list_kb_articles(None).await?;
    let knowledge =
        Knowledge::with_encoder(&articles, encoder).context("indexing the knowledge base")?;
    Ok(Arc::new(knowledge))
}

/// Context the LLM API key is sealed under.
pub(crate) const LLM_KEY_CONTEXT: &str = "llm.api_key";

/// The configuration file's `[llm]` as the settings the admin console edits.
pub(crate) fn llm_file_options(config: &Config) -> LlmOptions {
    let c = &config.llm;
    LlmOptions {
        enabled: c.enabled,
        base_url: c.base_url.clone(),
        router_model: c.router_model.clone(),
        answer_model: c.answer_model.clone(),
        summary_model: c.summary_model.clone(),
        request_timeout_secs: c.request_timeout_secs,
        task_timeout_secs: c.task_timeout_secs,
        max_retries: c.max_retries,
        router_trust: c.router_trust,
        require_parameters: c.require_parameters,
    }
}

/// The language-model stage, when enabled: from the settings an admin saved, else the file's.
async fn llm_stage(
    store: &dyn Store,
    config: &Config,
    sealer: &Sealer,
) -> anyhow::Result<Option<LlmStage>> {
    let (options, key) = match store.llm_settings().await? {
        Some(saved) => {
            let options: LlmOptions = serde_json::from_str(&saved.settings)
                .context("the language model settings saved in the console")?;
            let key = match &saved.sealed_api_key {
                Some(sealed) => String::from_utf8(
                    sealer
                        .open(LLM_KEY_CONTEXT, sealed)
                        .context("opening the language model's API key (server key changed?)")?,
                )
                .context("the language model's API key")?,
                None => String::new(),
            };
            (options, key)
        }
        None => (llm_file_options(config), config.llm.api_key.clone()),
    };
    let stage = options
        .stage(&key)
        .map_err(|e| anyhow::anyhow!("llm settings: {e}"))?;
    if stage.is_some() {
        info!(base_url = %options.base_url, router = %options.router_model, "language model enabled");
    }
    Ok(stage)
}

/// The bot the store's newest published configuration describes, or none (`bot.mode = none`).
/// An empty store is seeded first with the configuration file (`bot.config_path`), or the demo
/// shop's, as version 1: from then on the admin console edits it, and the file is only an import.
/// Also returns the version, when its figures still have to be measured.
pub(crate) async fn build_bot(
    store: &dyn Store,
    config: &Config,
    sealer: &Sealer,
    knowledge: Arc<Knowledge>,
    encoder: Option<TextEmbedder>,
) -> anyhow::Result<Option<(Arc<LiveBot>, Option<BotConfigVersion>)>> {
    if config.bot.mode == "none" {
        info!("bot disabled: every conversation goes to operators");
        return Ok(None);
    }
    let published = match store.latest_bot_config().await? {
        Some(v) => v,
        None => {
            let (document, note) = match &config.bot.config_path {
                Some(path) => (
                    std::fs::read_to_string(path)
                        .with_context(|| format!("reading bot configuration {}", path.display()))?,
                    format!("Импорт из {}", path.display()),
                ),
                None => (DEMO_CONFIG_JSON.to_owned(), "Демо-магазин".to_owned()),
            };
            // Refuse a broken file before it becomes version 1.
            BotConfig::from_json(&document)
                .and_then(|c| c.validate())
                .with_context(|| format!("bot configuration ({note})"))?;
            let v = store
                .publish_bot_config(&document, Some(&note), None)
                .await?;
            info!(version = v.version, "bot configuration seeded ({note})");
            v
        }
    };
    let bot_config = BotConfig::from_json(&published.document)
        .with_context(|| format!("bot configuration version {}", published.version))?;
    let started = std::time::Instant::now();
    let compiled = bot_config
        .compile_with(encoder)
        .with_context(|| format!("bot configuration version {}", published.version))?;
    info!(
        name = %compiled.config.name,
        version = published.version,
        encoder = compiled.encoder.is_some(),
        intents = compiled.config.intents.len(),
        articles = knowledge.len(),
        train_ms = started.elapsed().as_millis() as u64,
        "bot ready"
    );
    let engine = EngineBot::new(
        Arc::new(compiled),
        knowledge,
        llm_stage(store, config, sealer).await?,
    );
    let live = Arc::new(LiveBot::new(engine, published.version));
    let unmeasured = published.report.is_none().then_some(published);
    Ok(Some((live, unmeasured)))
}
