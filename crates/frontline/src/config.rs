//! Configuration: defaults, then a TOML file, then `FRONTLINE_…` environment variables, then flags.
//!
//! Only the binary reads the environment, files and flags; the crates it wires receive typed settings.
//!
//! Size: mostly the documented settings themselves and the commented sample file.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path/to/file.db` (embedded, the default) or `postgres://user@host/db`.
    pub database_url: String,
    /// `login:password` of an admin to create on first start when no operator exists.
    pub bootstrap_admin: Option<String>,
    pub log: LogConfig,
    pub http: HttpConfig,
    pub outbox: OutboxConfig,
    pub events: EventsConfig,
    pub bot: BotSettings,
    pub llm: LlmConfig,
    pub demo: DemoConfig,
    pub avito: AvitoConfig,
    pub voice: VoiceConfig,
    pub secrets: SecretsConfig,
}

/// The voice channel: phone lines are voice accounts; these are the server-wide parts.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceConfig {
    pub enabled: bool,
    /// Where Asterisk's `AudioSocket()` connects (`host:port`); empty: no AudioSocket listener.
    /// AudioSocket carries no credentials: bind it where only the PBX can reach it.
    pub audiosocket_listen: String,
    /// The voice account whose line AudioSocket calls arrive on.
    pub audiosocket_line: i64,
    /// Where Twilio-style media streams connect (`host:port`; the WebSocket path is
    /// `/lines/{account id}`); empty: no listener.
    pub media_stream_listen: String,
    /// `whisper` (offline, whisper.cpp), `openai` (an OpenAI-compatible `/audio/transcriptions`).
    pub recognizer: String,
    /// The ggml model for `whisper`; empty: `~/.cache/frontline/models/ggml-base-q8_0.bin`, where
    /// `scripts/fetch-whisper-model` puts it.
    pub whisper_model: String,
    /// `espeak` (offline, espeak-ng) or `openai` (an OpenAI-compatible `/audio/speech`).
    pub synthesizer: String,
    pub espeak_program: String,
    /// For the `openai` providers.
    pub openai_base_url: String,
    pub openai_api_key: Option<String>,
    pub openai_stt_model: String,
    pub openai_tts_model: String,
    pub openai_voice: String,
    pub request_timeout_secs: u64,
    /// Transcribe voice messages of text channels (Avito) with the same recogniser, in this language.
    pub transcribe_voice_messages: bool,
    pub voice_message_language: String,
}

impl Default for VoiceConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            audiosocket_listen: String::new(),
            audiosocket_line: 0,
            media_stream_listen: String::new(),
            recognizer: "whisper".into(),
            whisper_model: String::new(),
            synthesizer: "espeak".into(),
            espeak_program: "espeak-ng".into(),
            openai_base_url: "https://api.openai.com/v1".into(),
            openai_api_key: None,
            openai_stt_model: "whisper-1".into(),
            openai_tts_model: "tts-1".into(),
            openai_voice: "alloy".into(),
            request_timeout_secs: 20,
            transcribe_voice_messages: true,
            voice_message_language: "ru".into(),
        }
    }
}

impl std::fmt::Debug for VoiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceConfig")
            .field("enabled", &self.enabled)
            .field("audiosocket_listen", &self.audiosocket_listen)
            .field("audiosocket_line", &self.audiosocket_line)
            .field("media_stream_listen", &self.media_stream_listen)
            .field("recognizer", &self.recognizer)
            .field("whisper_model", &self.whisper_model)
            .field("synthesizer", &self.synthesizer)
            .field("openai_base_url", &self.openai_base_url)
            .field("espeak_program", &self.espeak_program)
            .field(
                "openai_api_key",
                &self.openai_api_key.as_ref().map(|_| "***"),
            )
            .field("openai_stt_model", &self.openai_stt_model)
            .field("openai_tts_model", &self.openai_tts_model)
            .field("openai_voice", &self.openai_voice)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("transcribe_voice_messages", &self.transcribe_voice_messages)
            .field("voice_message_language", &self.voice_message_language)
            .finish()
    }
}

impl VoiceConfig {
    /// The whisper model file: as configured, or the fetch script's default place.
    pub fn whisper_model_path(&self) -> PathBuf {
        if !self.whisper_model.trim().is_empty() {
            return PathBuf::from(self.whisper_model.trim());
        }
        let base = std::env::var_os("FRONTLINE_MODEL_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/frontline/models"))
            })
            .unwrap_or_else(|| PathBuf::from("models"));
        base.join("ggml-base-q8_0.bin")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AvitoConfig {
    /// Serve the Avito channel (accounts, webhooks, sending, the poller).
    pub enabled: bool,
    /// Avito's API root; the simulator's address in tests and the demo.
    pub api_url: String,
    /// frontline's address as Avito reaches it (webhooks point here); empty: `http://{listen}`.
    pub public_url: String,
    /// How often to look for messages a webhook did not bring; 0 turns the poller off.
    pub poll_interval_secs: u64,
    pub request_timeout_secs: u64,
    /// How long chat and listing details are reused before asking Avito again.
    pub context_ttl_secs: u64,
    /// Import the chat history when an account is connected.
    pub sync_on_connect: bool,
}

impl Default for AvitoConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            api_url: "https://api.avito.ru".into(),
            public_url: String::new(),
            poll_interval_secs: 60,
            request_timeout_secs: 10,
            context_ttl_secs: 600,
            sync_on_connect: true,
        }
    }
}

/// The server key that seals channel secrets (Avito client secrets, webhook secrets) at rest.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// The key itself, base64 of 32 bytes (`FRONTLINE_SECRETS__KEY`). Wins over `key_file`.
    pub key: Option<String>,
    /// Where the key is kept; created (mode 0600) on first start when missing. Unset: next to the
    /// SQLite database, or `./frontline.key` with PostgreSQL.
    pub key_file: Option<PathBuf>,
}

impl std::fmt::Debug for SecretsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsConfig")
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("key_file", &self.key_file)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// Serve a stand-in shop API at /demo/shop and, when no workflow exists yet, create and publish
    /// the demo shop workflow with its regression suite and the `shop` integration pointing at it.
    pub shop: bool,
    /// Embed an Avito simulator with three demo accounts connected through the real channel, and
    /// simulated customers writing to them (`frontline demo` turns this on; never for production).
    pub avito: bool,
    /// Average pause between two simulated customers.
    pub customer_interval_secs: u64,
    /// Open a demo phone line on the demo workflow (AudioSocket and media-stream listeners on the
    /// configured addresses, or 127.0.0.1:9092 / :9093 when none are).
    pub voice: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            shop: false,
            avito: false,
            customer_interval_secs: 20,
            voice: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotSettings {
    /// `engine` (frontline's dialog engine) or `none` (every conversation goes to operators).
    pub mode: String,
    /// A bot configuration file (JSON) that seeds an empty store as version 1; unset: the built-in
    /// demo shop. After that the store's newest published version runs (edited in the admin
    /// console, «Бот»), and the file is only an import.
    pub config_path: Option<PathBuf>,
    /// Fill an empty knowledge base with the demo shop's articles on start.
    pub seed_demo_knowledge: bool,
    /// The longest the bot may take for one message before a person gets the conversation.
    pub timeout_secs: u64,
    /// How often to look for knowledge-base changes made outside this server (another instance on
    /// the same database); changes through this server's API apply at once.
    pub knowledge_refresh_secs: u64,
    /// The sentence encoder for intents, out-of-scope detection and knowledge retrieval: `e5`
    /// (multilingual-e5-small, offline; without its model file the bot works on words alone and
    /// the log says so) or `none`.
    pub encoder: String,
    /// The e5 model file; empty: `~/.cache/frontline/models/e5-small-q4.bin`, where
    /// `scripts/fetch-e5-model` puts it.
    pub encoder_model: String,
    /// Threads embedding one message. 1 keeps a message's latency predictable next to other work;
    /// a second thread cuts it by a third on an idle machine.
    pub encoder_threads: usize,
    /// Where the embeddings of intent examples and knowledge-base articles are kept between
    /// starts (never customers' messages); empty: `~/.cache/frontline/embeddings`.
    pub embedding_cache: String,
}

impl BotSettings {
    /// The e5 model file: as configured, or the fetch script's default place.
    pub fn encoder_model_path(&self) -> PathBuf {
        if !self.encoder_model.trim().is_empty() {
            return PathBuf::from(self.encoder_model.trim());
        }
        std::env::var_os("FRONTLINE_MODEL_DIR")
            .map(PathBuf::from)
            .or_else(|| home_cache().map(|c| c.join("models")))
            .unwrap_or_else(|| PathBuf::from("models"))
            .join("e5-small-q4.bin")
    }

    /// The directory of the embedding cache: as configured, or `~/.cache/frontline/embeddings`.
    pub fn embedding_cache_dir(&self) -> PathBuf {
        if !self.embedding_cache.trim().is_empty() {
            return PathBuf::from(self.embedding_cache.trim());
        }
        home_cache()
            .map(|c| c.join("embeddings"))
            .unwrap_or_else(|| PathBuf::from("embeddings"))
    }
}

/// `~/.cache/frontline`.
fn home_cache() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/frontline"))
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Use a language model (router for unsure messages, grounded answers, handoff summaries).
    pub enabled: bool,
    /// An OpenAI-compatible API root: OpenRouter, OpenAI, vLLM, the llama.cpp server…
    pub base_url: String,
    pub api_key: String,
    pub router_model: String,
    pub answer_model: String,
    pub summary_model: String,
    /// Per HTTP request.
    pub request_timeout_secs: u64,
    /// The longest one task (router, answer, summary) may take, retries included.
    pub task_timeout_secs: u64,
    pub max_retries: u32,
    /// The router's self-reported confidence is multiplied by this before thresholds apply.
    pub router_trust: f32,
    /// Send OpenRouter's `provider.require_parameters` with structured-output requests.
    pub require_parameters: bool,
}

impl Default for BotSettings {
    fn default() -> Self {
        Self {
            mode: "engine".into(),
            config_path: None,
            seed_demo_knowledge: true,
            timeout_secs: 30,
            knowledge_refresh_secs: 30,
            encoder: "e5".into(),
            encoder_model: String::new(),
            encoder_threads: 1,
            embedding_cache: String::new(),
        }
    }
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: frontline_engine::llm::OPENROUTER_BASE_URL.into(),
            api_key: String::new(),
            router_model: frontline_engine::llm::DEFAULT_MODEL.into(),
            answer_model: frontline_engine::llm::DEFAULT_MODEL.into(),
            summary_model: frontline_engine::llm::DEFAULT_MODEL.into(),
            request_timeout_secs: 15,
            task_timeout_secs: 20,
            max_retries: 2,
            router_trust: 0.9,
            require_parameters: true,
        }
    }
}

/// The API key never reaches logs.
impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("enabled", &self.enabled)
            .field("base_url", &self.base_url)
            .field("api_key", &if self.api_key.is_empty() { "" } else { "***" })
            .field("router_model", &self.router_model)
            .field("answer_model", &self.answer_model)
            .field("summary_model", &self.summary_model)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("task_timeout_secs", &self.task_timeout_secs)
            .field("max_retries", &self.max_retries)
            .field("router_trust", &self.router_trust)
            .field("require_parameters", &self.require_parameters)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `pretty` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `frontline=debug,info`.
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub session_ttl_hours: u64,
    pub secure_cookies: bool,
    pub login_max_failures: u32,
    pub login_window_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    pub max_attempts: i32,
    pub backoff_base_ms: u64,
    pub backoff_max_secs: u64,
    pub poll_interval_ms: u64,
    pub callback_timeout_secs: u64,
    /// How long a claimed job stays with its worker; after a crash, jobs come back this much later.
    pub lease_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// How long the event log keeps events for reconnecting clients.
    pub retention_days: u64,
    pub stream_poll_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/frontline.db".into(),
            bootstrap_admin: None,
            log: LogConfig::default(),
            http: HttpConfig::default(),
            outbox: OutboxConfig::default(),
            events: EventsConfig::default(),
            bot: BotSettings::default(),
            llm: LlmConfig::default(),
            demo: DemoConfig::default(),
            avito: AvitoConfig::default(),
            voice: VoiceConfig::default(),
            secrets: SecretsConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "pretty".into(),
            level: "info".into(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            session_ttl_hours: 12,
            secure_cookies: false,
            login_max_failures: 5,
            login_window_secs: 300,
        }
    }
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            backoff_base_ms: 1000,
            backoff_max_secs: 300,
            poll_interval_ms: 1000,
            callback_timeout_secs: 10,
            lease_secs: 60,
        }
    }
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            retention_days: 7,
            stream_poll_ms: 500,
        }
    }
}

/// Secrets never reach logs: the database password and the bootstrap password are masked.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "bootstrap_admin",
                &self
                    .bootstrap_admin
                    .as_deref()
                    .map(|s| format!("{}:***", s.split(':').next().unwrap_or(""))),
            )
            .field("log", &self.log)
            .field("http", &self.http)
            .field("outbox", &self.outbox)
            .field("events", &self.events)
            .field("bot", &self.bot)
            .field("llm", &self.llm)
            .field("demo", &self.demo)
            .field("avito", &self.avito)
            .field("voice", &self.voice)
            .field("secrets", &self.secrets)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Values given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    /// The configuration the integration tests and the benchmarks start from: a free loopback
    /// port, the given database, the bootstrap admin `admin` / `admin-password`, fast outbox retries,
    /// and a fixed server key so that a restart opens what the first run sealed and nothing is
    /// written to disk. Each test or bench changes what it exercises on top.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            listen: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            bootstrap_admin: Some("admin:admin-password".into()),
            outbox: OutboxConfig {
                max_attempts: 30,
                backoff_base_ms: 50,
                backoff_max_secs: 1,
                poll_interval_ms: 200,
                callback_timeout_secs: 2,
                lease_secs: 60,
            },
            secrets: SecretsConfig {
                key: Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
                key_file: None,
            },
            // The dialog tests assert exact decisions, which must not depend on whether this
            // machine has fetched the e5 model; the engine's own tests cover the encoder.
            bot: BotSettings {
                encoder: "none".into(),
                ..BotSettings::default()
            },
            ..Config::default()
        }
    }

    /// Layer defaults, the TOML file (explicit path, else `./frontline.toml` if present), the
    /// environment and the flags.
    pub fn load(file: Option<PathBuf>, overrides: Overrides) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "config file {} does not exist",
                    path.display()
                );
                fig = fig.merge(Toml::file(path));
            }
            None => {
                if PathBuf::from("frontline.toml").exists() {
                    fig = fig.merge(Toml::file("frontline.toml"));
                }
            }
        }
        fig = fig
            .merge(
                // Unknown keys are errors (a typo must not silently fall back to a default), so the
                // variables that are not configuration are skipped: FRONTLINE_CONFIG names the file,
                // FRONTLINE_MODEL_DIR where scripts/fetch-whisper-model keeps models, FRONTLINE_TEST_*
                // belong to the test harness, and `frontline call` reads FRONTLINE_LINE_TOKEN and
                // FRONTLINE_PASSWORD.
                Env::prefixed("FRONTLINE_").split("__").filter(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    !matches!(
                        key.as_str(),
                        "config" | "model_dir" | "line_token" | "password"
                    ) && !key.starts_with("test_")
                }),
            )
            .merge(Serialized::defaults(overrides));
        let config: Config = fig.extract().context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            matches!(self.log.format.as_str(), "pretty" | "json"),
            "log.format must be `pretty` or `json`"
        );
        if let Some(b) = &self.bootstrap_admin {
            anyhow::ensure!(
                b.split_once(':')
                    .is_some_and(|(l, p)| !l.is_empty() && !p.is_empty()),
                "bootstrap_admin must look like login:password"
            );
        }
        anyhow::ensure!(
            self.outbox.lease_secs >= 1,
            "outbox.lease_secs must be at least 1"
        );
        anyhow::ensure!(
            self.outbox.max_attempts >= 1,
            "outbox.max_attempts must be at least 1"
        );
        anyhow::ensure!(
            matches!(self.bot.mode.as_str(), "engine" | "none"),
            "bot.mode must be `engine` or `none`"
        );
        anyhow::ensure!(
            self.bot.timeout_secs >= 1,
            "bot.timeout_secs must be at least 1"
        );
        anyhow::ensure!(
            matches!(self.bot.encoder.as_str(), "e5" | "none"),
            "bot.encoder must be `e5` or `none`"
        );
        anyhow::ensure!(
            (1..=64).contains(&self.bot.encoder_threads),
            "bot.encoder_threads must be within 1..=64"
        );
        if self.voice.enabled {
            anyhow::ensure!(
                matches!(self.voice.recognizer.as_str(), "whisper" | "openai"),
                "voice.recognizer must be `whisper` or `openai`"
            );
            anyhow::ensure!(
                matches!(self.voice.synthesizer.as_str(), "espeak" | "openai"),
                "voice.synthesizer must be `espeak` or `openai`"
            );
            anyhow::ensure!(
                matches!(
                    self.voice.voice_message_language.as_str(),
                    "ru" | "en" | "auto"
                ),
                "voice.voice_message_language must be ru, en or auto"
            );
            for (name, addr) in [
                ("voice.audiosocket_listen", &self.voice.audiosocket_listen),
                ("voice.media_stream_listen", &self.voice.media_stream_listen),
            ] {
                anyhow::ensure!(
                    addr.is_empty() || addr.parse::<std::net::SocketAddr>().is_ok(),
                    "{name} must be host:port (an IP address), or empty"
                );
            }
        }
        if self.avito.enabled {
            anyhow::ensure!(
                frontline_domain::is_http_url(&self.avito.api_url),
                "avito.api_url must be an http(s) URL"
            );
            anyhow::ensure!(
                self.avito.public_url.is_empty()
                    || frontline_domain::is_http_url(&self.avito.public_url),
                "avito.public_url must be an http(s) URL (or empty)"
            );
            anyhow::ensure!(
                self.avito.request_timeout_secs >= 1,
                "avito.request_timeout_secs must be at least 1"
            );
        }
        if self.llm.enabled {
            anyhow::ensure!(
                frontline_domain::is_http_url(&self.llm.base_url),
                "llm.base_url must be an http(s) URL"
            );
            anyhow::ensure!(
                (0.0..=1.0).contains(&self.llm.router_trust),
                "llm.router_trust must be within [0, 1]"
            );
            anyhow::ensure!(
                self.llm.task_timeout_secs >= 1 && self.llm.request_timeout_secs >= 1,
                "llm timeouts must be at least 1 second"
            );
        }
        Ok(())
    }

    /// Where the server key lives when it is not given inline.
    pub fn key_file(&self) -> PathBuf {
        if let Some(path) = &self.secrets.key_file {
            return path.clone();
        }
        match self.database_url.strip_prefix("sqlite://") {
            Some(db) => {
                let db = db.split('?').next().unwrap_or(db);
                let dir = std::path::Path::new(db)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| p.to_path_buf())
                    .unwrap_or_else(|| PathBuf::from("."));
                dir.join("frontline.key")
            }
            None => PathBuf::from("frontline.key"),
        }
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.http.session_ttl_hours * 3600)
    }
}

/// The commented example printed by `frontline print-config`.
pub const EXAMPLE: &str = r#"# frontline configuration.
# Precedence: built-in defaults < this file < FRONTLINE_* environment variables < command-line flags.
# The file is ./frontline.toml, or the path given with --config (or FRONTLINE_CONFIG).
# Nested keys map to environment variables with a double underscore: FRONTLINE_LOG__LEVEL=debug.

# Address to listen on (FRONTLINE_LISTEN, --listen).
listen = "127.0.0.1:8080"

# Storage (FRONTLINE_DATABASE_URL, --database-url). The embedded default is SQLite; the file and its
# directory are created on first start. For production use PostgreSQL:
#   database_url = "postgres://frontline:secret@127.0.0.1:5432/frontline"
database_url = "sqlite://data/frontline.db"

# Create this admin on first start if no operator exists yet (FRONTLINE_BOOTSTRAP_ADMIN).
# bootstrap_admin = "admin:change-me-please"

[log]
# `pretty` for people, `json` for log collectors.
format = "pretty"
# A tracing filter: `info`, `debug`, `frontline_api=debug,info`, ...
level = "info"

[http]
# Lifetime of an operator session.
session_ttl_hours = 12
# Send the session cookie only over HTTPS (enable behind TLS).
secure_cookies = false
# Failed logins per login or per client address before further attempts wait for the window to pass.
login_max_failures = 5
login_window_secs = 300

[outbox]
# Delivery attempts before an outbound message is marked failed.
max_attempts = 10
# Exponential backoff between attempts: base * 2^(attempt-1), capped, with jitter; a channel's
# Retry-After wins when longer.
backoff_base_ms = 1000
backoff_max_secs = 300
# Longest pause between two looks at the queue when nothing wakes the worker.
poll_interval_ms = 1000
# Timeout of one callback request of an api account.
callback_timeout_secs = 10
# A claimed job stays with its worker this long; after a crash, unfinished jobs run again this much
# later. Keep it above the longest send (channel timeouts).
lease_secs = 60

[events]
# How long reconnecting clients can resume the realtime stream from where they left off.
retention_days = 7
stream_poll_ms = 500

[bot]
# `engine`: frontline's dialog engine answers bot-led conversations; `none`: operators get them all.
mode = "engine"
# The bot's intents, examples, answers and texts (JSON), imported into an empty store as version 1
# (later versions are published from the admin console). Unset: the built-in demo shop; see
# crates/frontline-engine/src/bot/demo.json for the format.
# config_path = "bot.json"
# Fill an empty knowledge base with the demo shop's articles on start.
seed_demo_knowledge = true
# The longest the bot may think about one message before a person gets the conversation.
timeout_secs = 30
# How often to pick up knowledge-base changes made outside this server (another instance on the
# same database); changes through this server's API apply at once.
knowledge_refresh_secs = 30
# Sentence embeddings (multilingual-e5-small, offline) for intents, out-of-scope detection and
# knowledge-base retrieval: `e5` or `none`. Without the model file (scripts/fetch-e5-model) the bot
# works on words alone and says so in the log. The build needs a CPU with AVX2, FMA and F16C.
encoder = "e5"
# Empty: ~/.cache/frontline/models/e5-small-q4.bin (FRONTLINE_MODEL_DIR overrides the directory).
encoder_model = ""
# Threads per message; 1 keeps latency predictable under load.
encoder_threads = 1
# Embeddings of examples and articles between starts (never customers' messages); empty:
# ~/.cache/frontline/embeddings.
embedding_cache = ""

[llm]
# Optional: a language model makes the bot better (routing of unsure messages, grounded answers,
# handoff summaries); without one it works fully offline. Any OpenAI-compatible API.
enabled = false
base_url = "https://openrouter.ai/api/v1"
# FRONTLINE_LLM__API_KEY
api_key = ""
router_model = "openai/gpt-5-mini"
answer_model = "openai/gpt-5-mini"
summary_model = "openai/gpt-5-mini"
request_timeout_secs = 15
task_timeout_secs = 20
max_retries = 2
router_trust = 0.9
# OpenRouter's provider.require_parameters for structured output; turn off for api.openai.com.
require_parameters = true

[demo]
# Serve a stand-in shop API at /demo/shop (orders, bonus balance, change requests) and, when no
# workflow exists yet, create and publish the demo shop workflow and the `shop` integration.
shop = false
# Embed an Avito simulator with three demo accounts and simulated customers (demo only).
avito = false
customer_interval_secs = 20
# Open a demo phone line on the demo workflow (127.0.0.1:9092 AudioSocket, :9093 media streams
# unless [voice] says otherwise). `frontline demo` turns it on.
voice = false

[avito]
# The Avito channel: connect accounts with POST /api/v1/avito/accounts (admin).
enabled = true
api_url = "https://api.avito.ru"
# frontline's address as Avito reaches it; webhooks are subscribed at
# {public_url}/api/v1/webhooks/avito/{account}/{secret}. Empty: http://{listen}.
public_url = ""
# How often to look for messages a webhook did not bring (0: never).
poll_interval_secs = 60
request_timeout_secs = 10
# How long chat and listing details are reused before asking Avito again.
context_ttl_secs = 600
# Import the chat history when an account is connected.
sync_on_connect = true

[voice]
# Phone lines are `voice` accounts (POST /api/v1/accounts with "kind": "voice" and its settings).
enabled = true
# Where Asterisk's AudioSocket() connects (host:port; empty: off). It carries no credentials: bind it
# where only the PBX reaches it. Calls arrive on voice account `audiosocket_line` (0: the first).
audiosocket_listen = ""
audiosocket_line = 0
# Where Twilio-style media streams connect (host:port; empty: off); path /lines/{account id}, with the
# line's token as <Parameter name="token">.
media_stream_listen = ""
# `whisper` (offline whisper.cpp; model from scripts/fetch-whisper-model) or `openai`.
recognizer = "whisper"
# Empty: ~/.cache/frontline/models/ggml-base-q8_0.bin.
whisper_model = ""
# `espeak` (offline espeak-ng) or `openai`.
synthesizer = "espeak"
espeak_program = "espeak-ng"
# Any OpenAI-compatible /audio/transcriptions and /audio/speech (FRONTLINE_VOICE__OPENAI_API_KEY).
openai_base_url = "https://api.openai.com/v1"
# openai_api_key = ""
openai_stt_model = "whisper-1"
openai_tts_model = "tts-1"
openai_voice = "alloy"
request_timeout_secs = 20
# Transcribe voice messages of text channels (Avito) with the same recogniser.
transcribe_voice_messages = true
voice_message_language = "ru"

[secrets]
# The server key sealing channel secrets at rest: base64 of 32 bytes (FRONTLINE_SECRETS__KEY), or a
# file created on first start (next to the SQLite database, or ./frontline.key with PostgreSQL).
# Back it up: without it, stored Avito credentials cannot be opened.
# key = ""
# key_file = "data/frontline.key"
"#;

#[cfg(test)]
// figment's `Jail` closures must return its (large) error type; boxing it is not ours to choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_to_the_defaults() {
        let from_example: Config = Figment::from(Toml::string(EXAMPLE)).extract().unwrap();
        let defaults = Config::default();
        assert_eq!(format!("{from_example:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let mut c = Config {
            database_url: "postgres://app:hunter2@db/frontline".into(),
            bootstrap_admin: Some("admin:swordfish".into()),
            ..Config::default()
        };
        c.voice.openai_api_key = Some("sk-opensesame".into());
        let s = format!("{c:?}");
        assert!(
            !s.contains("hunter2") && !s.contains("swordfish") && !s.contains("opensesame"),
            "{s}"
        );
        assert!(s.contains("postgres://app:***@db/frontline"), "{s}");
    }

    #[test]
    fn precedence_file_env_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("f.toml", "listen = \"0.0.0.0:1\"\n[log]\nlevel = \"debug\"")?;
            jail.set_env("FRONTLINE_LISTEN", "0.0.0.0:2");
            jail.set_env("FRONTLINE_LOG__FORMAT", "json");
            let c = Config::load(Some("f.toml".into()), Overrides::default()).unwrap();
            assert_eq!(c.listen, "0.0.0.0:2");
            assert_eq!(c.log.level, "debug");
            assert_eq!(c.log.format, "json");
            let c = Config::load(
                Some("f.toml".into()),
                Overrides {
                    listen: Some("0.0.0.0:3".into()),
                    database_url: None,
                },
            )
            .unwrap();
            assert_eq!(c.listen, "0.0.0.0:3");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_reported() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("FRONTLINE_BOOTSTRAP_ADMIN", "no-colon");
            assert!(Config::load(None, Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn unknown_variables_are_errors_but_test_harness_ones_are_not() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("FRONTLINE_TEST_BACKEND", "postgres");
            jail.set_env("FRONTLINE_CONFIG", "elsewhere.toml");
            jail.set_env("FRONTLINE_MODEL_DIR", "/srv/models");
            jail.set_env("FRONTLINE_PASSWORD", "for frontline call");
            assert!(Config::load(None, Overrides::default()).is_ok());
            jail.set_env("FRONTLINE_DATABSE_URL", "typo");
            assert!(Config::load(None, Overrides::default()).is_err());
            Ok(())
        });
    }
}
