//! What each account's background work last did — the webhook, the history sync, the poller, the
//! processing of deliveries and the sends — for the admin's status view («Каналы»). Kept in this
//! process's memory: it says what this server saw since it started, and the status view says so
//! (`since`). The durable truth stays where it is (the delivery queue, the messages' statuses);
//! this is only the last outcome of each kind of work, so an admin sees at once which account is
//! failing and why.

use std::collections::HashMap;

use frontline_domain::{AccountId, Timestamp};

use super::{
    channel::{AvitoChannel, ServiceError},
    client::TokenState,
    sync::SyncStats,
};

/// One piece of work's last outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T> {
    pub at: Timestamp,
    pub result: Result<T, String>,
}

/// Which work an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Sync,
    Poll,
    Delivery,
    Send,
}

impl Work {
    pub fn as_str(self) -> &'static str {
        match self {
            Work::Sync => "sync",
            Work::Poll => "poll",
            Work::Delivery => "delivery",
            Work::Send => "send",
        }
    }
}

/// What an account's background work last did, as seen by this server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    /// The last webhook delivery stored for the account.
    pub last_webhook_at: Option<Timestamp>,
    pub last_sync: Option<Outcome<SyncStats>>,
    /// `Ok(n)`: `n` messages no webhook had brought.
    pub last_poll: Option<Outcome<u64>>,
    /// The newest error of any work, with where it came from.
    pub last_error: Option<(Timestamp, Work, String)>,
}

/// An Avito account's status: its non-secret settings, its token, and what its work last did.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountStatus {
    pub user_id: i64,
    pub client_id: String,
    pub connected_at: Timestamp,
    /// Connected through the authorization-code flow (a refresh token is stored, sealed).
    pub has_refresh_token: bool,
    pub token: TokenState,
    pub activity: Activity,
    /// Since when this server has been watching (the activity above is since then).
    pub since: Timestamp,
}

#[derive(Debug)]
pub(super) struct Activities {
    started: Timestamp,
    by_account: std::sync::Mutex<HashMap<AccountId, Activity>>,
}

impl Default for Activities {
    fn default() -> Self {
        Self {
            started: Timestamp::now(),
            by_account: std::sync::Mutex::default(),
        }
    }
}

impl Activities {
    fn update(&self, account: AccountId, f: impl FnOnce(&mut Activity)) {
        let mut all = self.by_account.lock().unwrap_or_else(|p| p.into_inner());
        f(all.entry(account).or_default());
    }

    pub(super) fn webhook(&self, account: AccountId) {
        self.update(account, |a| a.last_webhook_at = Some(Timestamp::now()));
    }

    pub(super) fn sync(&self, account: AccountId, result: &Result<SyncStats, ServiceError>) {
        let at = Timestamp::now();
        self.update(account, |a| {
            a.last_sync = Some(Outcome {
                at,
                result: result.as_ref().copied().map_err(ToString::to_string),
            });
            if let Err(e) = result {
                a.last_error = Some((at, Work::Sync, e.to_string()));
            }
        });
    }

    pub(super) fn poll(&self, account: AccountId, result: &Result<u64, ServiceError>) {
        let at = Timestamp::now();
        self.update(account, |a| {
            a.last_poll = Some(Outcome {
                at,
                result: result.as_ref().copied().map_err(ToString::to_string),
            });
            if let Err(e) = result {
                a.last_error = Some((at, Work::Poll, e.to_string()));
            }
        });
    }

    pub(super) fn error(&self, account: AccountId, work: Work, message: &str) {
        let at = Timestamp::now();
        self.update(account, |a| {
            a.last_error = Some((at, work, message.to_owned()))
        });
    }

    fn of(&self, account: AccountId) -> Activity {
        self.by_account
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&account)
            .cloned()
            .unwrap_or_default()
    }
}

impl AvitoChannel {
    /// The account's status. `NotFound` for an unknown or non-Avito account, `Sealed` when its
    /// secrets cannot be opened with this server's key; a disabled account has a status too.
    pub async fn status(&self, id: AccountId) -> Result<AccountStatus, ServiceError> {
        let acct = self.ready_account(id).await?;
        Ok(AccountStatus {
            user_id: acct.settings.user_id,
            client_id: acct.settings.client_id,
            connected_at: Timestamp::from_unix_seconds(acct.settings.connected_at),
            has_refresh_token: acct.secrets.refresh_token.is_some(),
            token: self.0.client.token_state(id),
            activity: self.0.activity.of(id),
            since: self.0.activity.started,
        })
    }
}
