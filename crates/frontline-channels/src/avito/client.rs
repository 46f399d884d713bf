//! The HTTP client of Avito's API: tokens per account and the messenger operations frontline uses.
//!
//! Tokens (A2): `client_credentials` (or `refresh_token` when the account has one; it rotates) against
//! `POST /token`, cached per account and renewed `refresh_margin` before expiry. One refresh per
//! account at a time: concurrent requests wait for it and share its result. An expired token answers
//! **403** (A2), so a 401 or 403 drops the token that was used and the request is tried once more with
//! a fresh one.
//!
//! This client never retries on its own beyond that: retry policy belongs to the callers (the outbox
//! for sends, the delivery queue and the poller for reads), which know whether a repeat is safe.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use frontline_domain::{AccountId, Timestamp};
use reqwest::{RequestBuilder, StatusCode, header};
use serde::de::DeserializeOwned;

use super::wire;

/// How the client reaches Avito.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `https://api.avito.ru` in production; the simulator's address in tests and the demo.
    pub base_url: String,
    pub request_timeout: Duration,
    /// Renew a token this long before it expires.
    pub refresh_margin: Duration,
    /// Largest media file fetched (voice, images).
    pub max_media_bytes: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.avito.ru".into(),
            request_timeout: Duration::from_secs(10),
            refresh_margin: Duration::from_secs(300),
            max_media_bytes: 25 * 1024 * 1024,
        }
    }
}

/// An Avito account's API credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Avito's id of the account: the `{user_id}` of every messenger path.
    pub user_id: i64,
    pub client_id: String,
    pub client_secret: String,
    /// Set for accounts connected through the authorization-code flow.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Who a request is made for.
#[derive(Debug, Clone)]
pub struct AccountAuth {
    pub account: AccountId,
    pub credentials: Credentials,
}

#[derive(Debug, thiserror::Error)]
pub enum AvitoError {
    /// Avito answered with an error status.
    #[error("Avito answered {status}: {message}")]
    Status {
        status: u16,
        message: String,
        /// `Retry-After`, when sent (Avito does not document it; honoured when present).
        retry_after: Option<Duration>,
    },
    #[error("Avito did not answer in time")]
    Timeout,
    #[error("cannot reach Avito: {0}")]
    Transport(String),
    #[error("unexpected answer from Avito: {0}")]
    Decode(String),
    /// `/token` refused the client id and secret.
    #[error("Avito rejected the credentials: {0}")]
    Credentials(String),
}

impl AvitoError {
    /// Worth trying again later: timeouts, connection failures, 408, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            AvitoError::Status { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            AvitoError::Timeout | AvitoError::Transport(_) => true,
            AvitoError::Decode(_) | AvitoError::Credentials(_) => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AvitoError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The request may have reached Avito and been carried out although no answer came back.
    pub fn is_uncertain(&self) -> bool {
        matches!(self, AvitoError::Timeout | AvitoError::Transport(_))
            || matches!(self, AvitoError::Status { status, .. } if *status >= 500)
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            AvitoError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    access: String,
    renew_at: Instant,
    issued_at: Timestamp,
    expires_at: Timestamp,
}

/// What this client knows of an account's access token, for the admin's status view. Nothing
/// secret: the token itself stays inside the client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenState {
    /// When the access token in use was issued, and until when Avito said it is valid.
    pub issued_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    /// The last `/token` request that failed, unless one succeeded after it.
    pub last_error: Option<(Timestamp, String)>,
    /// `/token` requests made for the account.
    pub requests: u64,
}

type TokenSlot = Arc<tokio::sync::Mutex<Option<Token>>>;

/// Called with the new refresh token after a rotation, so that it can be stored.
pub type RefreshHook = Arc<dyn Fn(AccountId, String) + Send + Sync>;

/// Avito's API, for any number of accounts.
#[derive(Clone)]
pub struct AvitoClient {
    http: reqwest::Client,
    settings: ClientSettings,
    tokens: Arc<Mutex<HashMap<AccountId, TokenSlot>>>,
    /// The newest refresh token per account (they rotate on use).
    refresh_tokens: Arc<Mutex<HashMap<AccountId, String>>>,
    on_refresh: Option<RefreshHook>,
    token_requests: Arc<std::sync::atomic::AtomicU64>,
    token_states: Arc<Mutex<HashMap<AccountId, TokenState>>>,
}

impl std::fmt::Debug for AvitoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvitoClient")
            .field("base_url", &self.settings.base_url)
            .finish_non_exhaustive()
    }
}

/// A page request for the chat list.
#[derive(Debug, Clone, Copy)]
pub struct ChatsPage {
    pub limit: u32,
    pub offset: u32,
    pub unread_only: bool,
}

impl AvitoClient {
    pub fn new(settings: ClientSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("frontline/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in");
        Self {
            http,
            settings,
            tokens: Arc::default(),
            refresh_tokens: Arc::default(),
            on_refresh: None,
            token_requests: Arc::default(),
            token_states: Arc::default(),
        }
    }

    pub fn with_refresh_hook(mut self, hook: RefreshHook) -> Self {
        self.on_refresh = Some(hook);
        self
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// How many `/token` requests this client made (for metrics and tests).
    pub fn token_requests(&self) -> u64 {
        self.token_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What this client knows of the account's access token (all defaults before its first use).
    pub fn token_state(&self, account: AccountId) -> TokenState {
        self.token_states
            .lock()
            .expect("poisoned")
            .get(&account)
            .cloned()
            .unwrap_or_default()
    }

    fn note_token(&self, account: AccountId, fetched: &Result<Token, AvitoError>) {
        let mut states = self.token_states.lock().expect("poisoned");
        let state = states.entry(account).or_default();
        state.requests += 1;
        match fetched {
            Ok(t) => {
                state.issued_at = Some(t.issued_at);
                state.expires_at = Some(t.expires_at);
                state.last_error = None;
            }
            Err(e) => state.last_error = Some((Timestamp::now(), e.to_string())),
        }
    }

    /// Forget an account's token (on disconnect or new credentials).
    pub fn forget(&self, account: AccountId) {
        self.token_states.lock().expect("poisoned").remove(&account);
        self.tokens.lock().expect("poisoned").remove(&account);
        self.refresh_tokens
            .lock()
            .expect("poisoned")
            .remove(&account);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.base_url.trim_end_matches('/'), path)
    }

    fn slot(&self, account: AccountId) -> TokenSlot {
        self.tokens
            .lock()
            .expect("poisoned")
            .entry(account)
            .or_default()
            .clone()
    }

    /// A valid access token, fetching one if needed (one fetch per account at a time).
    pub async fn token(&self, auth: &AccountAuth) -> Result<String, AvitoError> {
        let slot = self.slot(auth.account);
        let mut guard = slot.lock().await;
        if let Some(t) = guard.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(t.access.clone());
        }
        let fetched = self.fetch_token(auth).await;
        self.note_token(auth.account, &fetched);
        let token = fetched?;
        let access = token.access.clone();
        *guard = Some(token);
        Ok(access)
    }

    /// Ask `/token` for a token with these credentials, without caching it: connecting an account
    /// checks its credentials this way. Returns the rotated refresh token when one was used (the old
    /// one is spent: store the new one).
    pub async fn check_credentials(
        &self,
        credentials: &Credentials,
    ) -> Result<Option<String>, AvitoError> {
        let probe = AccountAuth {
            account: AccountId(i64::MIN),
            credentials: credentials.clone(),
        };
        let result = self.fetch_token(&probe).await;
        let rotated = self
            .refresh_tokens
            .lock()
            .expect("poisoned")
            .remove(&probe.account);
        result.map(|_| rotated)
    }

    /// Drop `used` if it is still the cached token (a 401/403 answered it).
    async fn invalidate(&self, account: AccountId, used: &str) {
        let slot = self.slot(account);
        let mut guard = slot.lock().await;
        if guard.as_ref().is_some_and(|t| t.access == used) {
            *guard = None;
        }
    }

    async fn fetch_token(&self, auth: &AccountAuth) -> Result<Token, AvitoError> {
        self.token_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let c = &auth.credentials;
        let refresh = self
            .refresh_tokens
            .lock()
            .expect("poisoned")
            .get(&auth.account)
            .cloned()
            .or_else(|| c.refresh_token.clone());
        let mut form = vec![
            ("client_id", c.client_id.clone()),
            ("client_secret", c.client_secret.clone()),
        ];
        match &refresh {
            Some(r) => {
                form.push(("grant_type", "refresh_token".into()));
                form.push(("refresh_token", r.clone()));
            }
            None => form.push(("grant_type", "client_credentials".into())),
        }
        let started = Instant::now();
        let resp = self
            .http
            .post(self.url("/token"))
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            let body = resp.text().await.unwrap_or_default();
            let message = serde_json::from_str::<wire::ErrorBody>(&body)
                .map(|e| e.describe())
                .unwrap_or_else(|_| format!("HTTP {status}"));
            return Err(AvitoError::Credentials(message));
        }
        let token: wire::TokenResponse = decode(resp).await?;
        if let Some(new_refresh) = token.refresh_token.clone()
            && refresh.as_deref() != Some(new_refresh.as_str())
        {
            self.refresh_tokens
                .lock()
                .expect("poisoned")
                .insert(auth.account, new_refresh.clone());
            if let Some(hook) = self
                .on_refresh
                .as_ref()
                .filter(|_| auth.account.0 != i64::MIN)
            {
                hook(auth.account, new_refresh);
            }
        }
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(86_400).max(0) as u64);
        let renew_in = lifetime
            .checked_sub(self.settings.refresh_margin)
            .unwrap_or(lifetime / 2);
        let issued_at = Timestamp::now();
        Ok(Token {
            access: token.access_token,
            renew_at: started + renew_in,
            issued_at,
            expires_at: issued_at.plus(lifetime),
        })
    }

    /// Send an authorised request, renewing the token once on 401/403.
    async fn send<F>(&self, auth: &AccountAuth, build: F) -> Result<reqwest::Response, AvitoError>
    where
        F: Fn(&reqwest::Client) -> RequestBuilder,
    {
        let mut renewed = false;
        loop {
            let token = self.token(auth).await?;
            let resp = build(&self.http)
                .bearer_auth(&token)
                .send()
                .await
                .map_err(transport)?;
            let status = resp.status();
            if (status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN) && !renewed {
                self.invalidate(auth.account, &token).await;
                renewed = true;
                continue;
            }
            if status.is_success() {
                return Ok(resp);
            }
            return Err(status_error(resp).await);
        }
    }

    async fn call<T: DeserializeOwned, F>(
        &self,
        auth: &AccountAuth,
        build: F,
    ) -> Result<T, AvitoError>
    where
        F: Fn(&reqwest::Client) -> RequestBuilder,
    {
        decode(self.send(auth, build).await?).await
    }

    fn user_path(&self, auth: &AccountAuth, version: &str, rest: &str) -> String {
        self.url(&format!(
            "/messenger/{version}/accounts/{}{rest}",
            auth.credentials.user_id
        ))
    }

    /// One page of chats about listings and from profiles (`u2i,u2u`: the default is `u2i` only).
    pub async fn chats(
        &self,
        auth: &AccountAuth,
        page: ChatsPage,
    ) -> Result<wire::Chats, AvitoError> {
        let url = self.user_path(auth, "v2", "/chats");
        let query = [
            ("chat_types", "u2i,u2u".to_string()),
            ("limit", page.limit.clamp(1, 100).to_string()),
            ("offset", page.offset.min(1000).to_string()),
            ("unread_only", page.unread_only.to_string()),
        ];
        self.call(auth, |http| http.get(&url).query(&query)).await
    }

    pub async fn chat(&self, auth: &AccountAuth, chat_id: &str) -> Result<wire::Chat, AvitoError> {
        let url = self.user_path(auth, "v2", &format!("/chats/{}", path_segment(chat_id)));
        self.call(auth, |http| http.get(&url)).await
    }

    /// Newest first (A5), a page of at most 100 from `offset` ≤ 1000. Does not mark the chat read.
    pub async fn messages(
        &self,
        auth: &AccountAuth,
        chat_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<wire::Message>, AvitoError> {
        let url = self.user_path(
            auth,
            "v3",
            &format!("/chats/{}/messages/", path_segment(chat_id)),
        );
        let query = [
            ("limit", limit.clamp(1, 100).to_string()),
            ("offset", offset.min(1000).to_string()),
        ];
        let messages: wire::Messages = self.call(auth, |http| http.get(&url).query(&query)).await?;
        Ok(messages.into_vec())
    }

    /// At most [`super::split::MAX_CHARS`] characters; callers split longer texts.
    pub async fn send_text(
        &self,
        auth: &AccountAuth,
        chat_id: &str,
        text: &str,
    ) -> Result<wire::Sent, AvitoError> {
        let url = self.user_path(
            auth,
            "v1",
            &format!("/chats/{}/messages", path_segment(chat_id)),
        );
        let body = wire::SendText {
            message: wire::SendTextBody { text },
            kind: "text",
        };
        self.call(auth, |http| http.post(&url).json(&body)).await
    }

    /// Upload one image; returns its `image_id`.
    pub async fn upload_image(
        &self,
        auth: &AccountAuth,
        bytes: Vec<u8>,
        file_name: &str,
        mime: &str,
    ) -> Result<String, AvitoError> {
        let url = self.user_path(auth, "v1", "/uploadImages");
        let answer: HashMap<String, serde_json::Value> = self
            .call(auth, |http| {
                let part = reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name(file_name.to_string())
                    .mime_str(mime)
                    .unwrap_or_else(|_| reqwest::multipart::Part::bytes(bytes.clone()));
                http.post(&url)
                    .multipart(reqwest::multipart::Form::new().part("uploadfile[]", part))
            })
            .await?;
        answer
            .into_keys()
            .next()
            .ok_or_else(|| AvitoError::Decode("uploadImages returned no image id".into()))
    }

    pub async fn send_image(
        &self,
        auth: &AccountAuth,
        chat_id: &str,
        image_id: &str,
    ) -> Result<wire::Sent, AvitoError> {
        let url = self.user_path(
            auth,
            "v1",
            &format!("/chats/{}/messages/image", path_segment(chat_id)),
        );
        let body = wire::SendImage { image_id };
        self.call(auth, |http| http.post(&url).json(&body)).await
    }

    pub async fn mark_read(&self, auth: &AccountAuth, chat_id: &str) -> Result<(), AvitoError> {
        let url = self.user_path(
            auth,
            "v1",
            &format!("/chats/{}/read", path_segment(chat_id)),
        );
        self.send(auth, |http| http.post(&url)).await.map(drop)
    }

    /// Download URLs of voice messages (valid for an hour).
    pub async fn voice_urls(
        &self,
        auth: &AccountAuth,
        voice_ids: &[String],
    ) -> Result<std::collections::BTreeMap<String, String>, AvitoError> {
        let url = self.user_path(auth, "v1", "/getVoiceFiles");
        let query: Vec<(&str, &str)> = voice_ids
            .iter()
            .map(|id| ("voice_ids", id.as_str()))
            .collect();
        let files: wire::VoiceFiles = self.call(auth, |http| http.get(&url).query(&query)).await?;
        Ok(files.voices_urls)
    }

    pub async fn subscribe(&self, auth: &AccountAuth, webhook: &str) -> Result<(), AvitoError> {
        let url = self.url("/messenger/v3/webhook");
        let body = wire::WebhookUrl { url: webhook };
        self.send(auth, |http| http.post(&url).json(&body))
            .await
            .map(drop)
    }

    pub async fn unsubscribe(&self, auth: &AccountAuth, webhook: &str) -> Result<(), AvitoError> {
        let url = self.url("/messenger/v1/webhook/unsubscribe");
        let body = wire::WebhookUrl { url: webhook };
        self.send(auth, |http| http.post(&url).json(&body))
            .await
            .map(drop)
    }

    pub async fn subscriptions(
        &self,
        auth: &AccountAuth,
    ) -> Result<Vec<wire::Subscription>, AvitoError> {
        let url = self.url("/messenger/v1/subscriptions");
        let subs: wire::Subscriptions = self.call(auth, |http| http.post(&url)).await?;
        Ok(subs.subscriptions)
    }

    /// Download a media file (at most `max_media_bytes`); Avito's own URLs get the account's token.
    pub async fn fetch_media(
        &self,
        auth: &AccountAuth,
        url: &str,
    ) -> Result<(Vec<u8>, Option<String>), AvitoError> {
        let same_host = url.starts_with(self.settings.base_url.trim_end_matches('/'));
        let resp = if same_host {
            self.send(auth, |http| http.get(url)).await?
        } else {
            let resp = self.http.get(url).send().await.map_err(transport)?;
            if !resp.status().is_success() {
                return Err(status_error(resp).await);
            }
            resp
        };
        if resp
            .content_length()
            .is_some_and(|n| n as usize > self.settings.max_media_bytes)
        {
            return Err(AvitoError::Decode("media file is too large".into()));
        }
        let mime = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.to_string());
        let bytes = resp.bytes().await.map_err(transport)?;
        if bytes.len() > self.settings.max_media_bytes {
            return Err(AvitoError::Decode("media file is too large".into()));
        }
        Ok((bytes.to_vec(), mime))
    }
}

/// Chat ids are opaque strings; keep them to one path segment.
fn path_segment(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
        .collect()
}

fn transport(e: reqwest::Error) -> AvitoError {
    if e.is_timeout() {
        AvitoError::Timeout
    } else if e.is_decode() {
        AvitoError::Decode(e.without_url().to_string())
    } else {
        AvitoError::Transport(e.without_url().to_string())
    }
}

async fn status_error(resp: reqwest::Response) -> AvitoError {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = resp.text().await.unwrap_or_default();
    let message = serde_json::from_str::<wire::ErrorBody>(&body)
        .map(|e| e.describe())
        .unwrap_or_else(|_| {
            StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error")
                .to_string()
        });
    AvitoError::Status {
        status,
        message,
        retry_after,
    }
}

async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, AvitoError> {
    let bytes = resp.bytes().await.map_err(transport)?;
    serde_json::from_slice(&bytes).map_err(|e| AvitoError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids_stay_one_segment() {
        assert_eq!(
            path_segment("u2i-y9ykWR1EkNOJJMaE9i9m8w"),
            "u2i-y9ykWR1EkNOJJMaE9i9m8w"
        );
        assert_eq!(path_segment("../../token?x=1"), "....tokenx1");
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = Credentials {
            user_id: 1,
            client_id: "id".into(),
            client_secret: "s3cr3t".into(),
            refresh_token: Some("r3fr3sh".into()),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t") && !shown.contains("r3fr3sh"));
    }

    #[test]
    fn retry_classification() {
        let s = |status| AvitoError::Status {
            status,
            message: String::new(),
            retry_after: None,
        };
        assert!(s(429).is_retryable() && s(503).is_retryable() && s(408).is_retryable());
        assert!(!s(400).is_retryable() && !s(404).is_retryable() && !s(402).is_retryable());
        assert!(AvitoError::Timeout.is_retryable() && AvitoError::Timeout.is_uncertain());
        assert!(!s(429).is_uncertain());
    }
}
