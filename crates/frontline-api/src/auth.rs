//! Authentication: password hashing, sessions, the extractors that identify the operator behind a
//! request, and the login rate limiter.
//!
//! Sessions are random 256-bit bearer tokens. Only their SHA-256 is stored, so a leaked database does
//! not leak live sessions. The web app may use the same token from the `frontline_session` cookie
//! (HttpOnly, SameSite=Strict), which also authenticates the WebSocket upgrade.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use base64::Engine;
use frontline_domain::{Operator, Password, Role, Timestamp};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{AppState, error::ApiError};

pub const SESSION_COOKIE: &str = "frontline_session";

/// Hash a password with Argon2id and a random salt (PHC string format).
pub fn hash_password(password: &Password) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Unavailable(format!("password hashing failed: {e}")))
}

/// Check a password against a stored hash. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Run the (deliberately slow) hashing off the async runtime.
pub async fn hash_password_blocking(password: Password) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
}

pub async fn verify_password_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A new random token (43 characters, URL-safe), for sessions and inbound channels.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What we store instead of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of a presented token with a stored hash.
pub fn token_matches(token: &str, stored_hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    let presented = token_hash(token);
    presented.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// The bearer token of a request: `Authorization: Bearer …`, else the session cookie.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    cookie_token(headers)
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The operator behind a request with a valid session.
#[derive(Debug, Clone)]
pub struct CurrentOperator(pub Operator);

impl FromRequestParts<AppState> for CurrentOperator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = request_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        authenticate(state, &token).await.map(CurrentOperator)
    }
}

pub async fn authenticate(state: &AppState, token: &str) -> Result<Operator, ApiError> {
    let now = Timestamp::now();
    let operator = state
        .store()
        .session_operator(&token_hash(token), now)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // At most once a minute per operator, so requests stay reads; a failure only costs the figure.
    if operator.seen_is_stale(now)
        && let Err(e) = state.store().record_operator_seen(operator.id, now).await
    {
        tracing::warn!(error = %e, operator = operator.id.0, "recording last seen failed");
    }
    Ok(operator)
}

/// An operator with the admin role.
#[derive(Debug, Clone)]
pub struct Admin(pub Operator);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentOperator(op) = CurrentOperator::from_request_parts(parts, state).await?;
        if op.role != Role::Admin {
            return Err(ApiError::Forbidden);
        }
        Ok(Admin(op))
    }
}

/// Failed-login throttle: after `max_failures` failures for one login or one client address within
/// `window`, further attempts are refused until the window passes. Kept in memory: it slows guessing
/// down on this process; it is not meant as a distributed lockout.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(login: &str, ip: Option<IpAddr>) -> Vec<String> {
        let mut keys = vec![format!("login:{}", login.trim().to_lowercase())];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// `Err(seconds)` when attempts for this login or address are currently blocked.
    pub fn check(&self, login: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        for key in Self::keys(login, ip) {
            if let Some((n, since)) = map.get(&key)
                && *n >= self.max_failures
            {
                let left = self.window.saturating_sub(now.duration_since(*since));
                return Err(left.as_secs().max(1));
            }
        }
        Ok(())
    }

    pub fn failed(&self, login: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(login, ip) {
            let entry = map.entry(key).or_insert((0, now));
            entry.0 += 1;
        }
    }

    pub fn succeeded(&self, login: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("login:{}", login.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let p = Password::parse("correct horse").unwrap();
        let h = hash_password(&p).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse!", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_ne!(a, new_token());
        assert_eq!(a.len(), 43);
        assert!(token_matches(&a, &token_hash(&a)));
        assert!(!token_matches("other", &token_hash(&a)));
    }

    #[test]
    fn limiter_blocks_after_failures_per_login_and_ip() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check("anna", Some(ip)).is_ok());
            l.failed("anna", Some(ip));
        }
        assert!(l.check("Anna", None).is_err());
        // The same address is blocked for other logins too.
        assert!(l.check("boris", Some(ip)).is_err());
        assert!(l.check("boris", None).is_ok());
    }
}
