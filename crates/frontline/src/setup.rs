//! What every start (and the `operator` and `key` commands) needs before anything runs: the store
//! the configuration names, the first admin, and the server key that seals channel secrets.

use std::sync::Arc;

use anyhow::Context;
use frontline_channels::sealed::Sealer;
use frontline_domain::{Login, NewOperator, Password, Role};
use frontline_store::Store;
use tracing::{info, warn};

use crate::config::{self, Config};

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
