//! Connecting Avito accounts: credentials checked against `/token` before anything is stored, the
//! secrets (client secret, refresh token, the webhook URL's secret) sealed with the server key and
//! bound to the account, the webhook subscribed at an unguessable URL, and rotated refresh tokens
//! stored as Avito hands them out, or the next start would be locked out (A2).

use frontline_domain::{Account, AccountId, AccountKind, AccountPatch, NewAccount, Timestamp};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::{
    channel::{AvitoChannel, Inner, ServiceError},
    client::{AccountAuth, Credentials},
    wire,
};
use crate::sealed::SealError;

/// What an admin gives to connect an account.
#[derive(Clone)]
pub struct ConnectRequest {
    pub name: String,
    pub user_id: i64,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("name", &self.name)
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Connected {
    pub account: Account,
    /// Whether Avito accepted the webhook subscription (the poller covers the account either way).
    pub subscribed: bool,
    pub subscribe_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookHealth {
    /// This account's subscription is among Avito's list.
    pub subscribed: bool,
    /// Every URL Avito delivers this account's messages to.
    pub subscriptions: Vec<wire::Subscription>,
    /// Deliveries stored but not yet processed (all accounts).
    pub pending_deliveries: i64,
}

/// Non-secret settings kept on the account row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredSettings {
    pub(super) user_id: i64,
    pub(super) client_id: String,
    /// Unix seconds; messages older than this are history (imported), newer ones are live.
    pub(super) connected_at: i64,
}

/// Sealed on the account row.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct StoredSecrets {
    pub(super) client_secret: String,
    pub(super) webhook_secret: String,
    #[serde(default)]
    pub(super) refresh_token: Option<String>,
}

/// An Avito account ready to use.
#[derive(Clone)]
pub(super) struct ReadyAccount {
    pub(super) account: Account,
    pub(super) settings: StoredSettings,
    pub(super) secrets: StoredSecrets,
    pub(super) auth: AccountAuth,
}

impl ReadyAccount {
    pub(super) fn id(&self) -> AccountId {
        self.account.id
    }
    pub(super) fn user_id(&self) -> i64 {
        self.settings.user_id
    }
}

impl AvitoChannel {
    fn seal_context(user_id: i64) -> String {
        format!("avito:{user_id}")
    }

    fn webhook_url(&self, account: AccountId, secret: &str) -> String {
        format!(
            "{}/api/v1/webhooks/avito/{}/{secret}",
            self.0.settings.public_url.trim_end_matches('/'),
            account.0
        )
    }

    pub(super) async fn ready_account(&self, id: AccountId) -> Result<ReadyAccount, ServiceError> {
        let account = self
            .store()
            .account(id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        self.open_account(account)
    }

    fn open_account(&self, account: Account) -> Result<ReadyAccount, ServiceError> {
        if account.kind != AccountKind::Avito {
            return Err(ServiceError::NotFound("avito account"));
        }
        let settings: StoredSettings = account
            .settings
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or(ServiceError::NotFound("avito account settings"))?;
        let sealed = account
            .sealed_secrets
            .as_deref()
            .ok_or(ServiceError::NotFound("avito account secrets"))?;
        let opened = self
            .0
            .sealer
            .open(&Self::seal_context(settings.user_id), sealed)?;
        let secrets: StoredSecrets =
            serde_json::from_slice(&opened).map_err(|_| SealError::Malformed)?;
        let auth = AccountAuth {
            account: account.id,
            credentials: Credentials {
                user_id: settings.user_id,
                client_id: settings.client_id.clone(),
                client_secret: secrets.client_secret.clone(),
                refresh_token: secrets.refresh_token.clone(),
            },
        };
        Ok(ReadyAccount {
            account,
            settings,
            secrets,
            auth,
        })
    }

    /// Enabled Avito accounts that can be used (broken ones are logged and skipped).
    pub(super) async fn ready_accounts(&self) -> Result<Vec<ReadyAccount>, ServiceError> {
        let mut out = Vec::new();
        for account in self.store().list_accounts().await? {
            if account.kind != AccountKind::Avito || !account.enabled {
                continue;
            }
            let id = account.id;
            match self.open_account(account) {
                Ok(acct) => out.push(acct),
                Err(e) => warn!(account = id.0, error = %e, "avito account unusable"),
            }
        }
        Ok(out)
    }

    /// Check the credentials against `/token`, store the account (secrets sealed), subscribe its
    /// webhook and, when configured, import its history in the background.
    pub async fn connect(&self, req: ConnectRequest) -> Result<Connected, ServiceError> {
        let name = req.name.trim().to_string();
        if name.is_empty() {
            return Err(invalid_field("name", "must not be empty"));
        }
        if req.user_id <= 0 {
            return Err(invalid_field(
                "user_id",
                "must be Avito's positive account id",
            ));
        }
        let client_id = req.client_id.trim().to_string();
        let client_secret = req.client_secret.trim().to_string();
        if client_id.is_empty() {
            return Err(invalid_field("client_id", "must not be empty"));
        }
        if client_secret.is_empty() {
            return Err(invalid_field("client_secret", "must not be empty"));
        }
        let credentials = Credentials {
            user_id: req.user_id,
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            refresh_token: req.refresh_token.clone().filter(|t| !t.trim().is_empty()),
        };
        if let Some(existing) = self.store().list_accounts().await?.into_iter().find(|a| {
            a.kind == AccountKind::Avito
                && a.settings
                    .as_deref()
                    .and_then(|s| serde_json::from_str::<StoredSettings>(s).ok())
                    .is_some_and(|s| s.user_id == req.user_id)
        }) {
            return Err(invalid_field(
                "user_id",
                &format!(
                    "Avito account {} is already connected as account {}",
                    req.user_id, existing.id.0
                ),
            ));
        }
        let rotated = self.0.client.check_credentials(&credentials).await?;

        let mut secret = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let secrets = StoredSecrets {
            client_secret,
            webhook_secret: hex::encode(secret),
            refresh_token: rotated.or(credentials.refresh_token.clone()),
        };
        let settings = StoredSettings {
            user_id: req.user_id,
            client_id,
            connected_at: Timestamp::now().millis() / 1000,
        };
        let sealed = self.0.sealer.seal(
            &Self::seal_context(req.user_id),
            &serde_json::to_vec(&secrets).expect("secrets serialise"),
        );
        let account = self
            .store()
            .create_account(NewAccount {
                kind: AccountKind::Avito,
                name,
                callback_url: None,
                inbound_token_hash: None,
                settings: Some(serde_json::to_string(&settings).expect("settings serialise")),
                sealed_secrets: Some(sealed),
            })
            .await?;
        info!(
            account = account.id.0,
            user_id = req.user_id,
            "avito account connected"
        );
        let acct = self.open_account(account.clone())?;
        let url = self.webhook_url(account.id, &acct.secrets.webhook_secret);
        let (subscribed, subscribe_error) = match self.0.client.subscribe(&acct.auth, &url).await {
            Ok(()) => (true, None),
            Err(e) => {
                warn!(account = account.id.0, error = %e, "webhook subscription failed; the poller covers the account");
                (false, Some(e.to_string()))
            }
        };
        self.0
            .watermarks
            .lock()
            .expect("poisoned")
            .insert(account.id, settings.connected_at);
        if self.0.settings.sync_on_connect {
            let this = self.clone();
            let id = account.id;
            tokio::spawn(async move {
                match this.sync(id).await {
                    Ok(s) => info!(
                        account = id.0,
                        chats = s.chats,
                        imported = s.messages_created,
                        "history imported"
                    ),
                    Err(e) => warn!(account = id.0, error = %e, "history import failed"),
                }
            });
        }
        Ok(Connected {
            account,
            subscribed,
            subscribe_error,
        })
    }

    /// Unsubscribe the webhook and disable the account (its history stays).
    pub async fn disconnect(&self, id: AccountId) -> Result<Account, ServiceError> {
        let acct = self.ready_account(id).await?;
        let url = self.webhook_url(id, &acct.secrets.webhook_secret);
        if let Err(e) = self.0.client.unsubscribe(&acct.auth, &url).await {
            warn!(account = id.0, error = %e, "webhook unsubscribe failed");
        }
        self.0.client.forget(id);
        let account = self
            .store()
            .update_account(
                id,
                AccountPatch {
                    enabled: Some(false),
                    ..AccountPatch::default()
                },
            )
            .await?;
        Ok(account)
    }

    /// Subscribe again (after a re-enable, or when the health view shows the subscription gone).
    pub async fn resubscribe(&self, id: AccountId) -> Result<WebhookHealth, ServiceError> {
        let acct = self.ready_account(id).await?;
        let url = self.webhook_url(id, &acct.secrets.webhook_secret);
        self.0.client.subscribe(&acct.auth, &url).await?;
        self.webhook_health(id).await
    }

    pub async fn webhook_health(&self, id: AccountId) -> Result<WebhookHealth, ServiceError> {
        let acct = self.ready_account(id).await?;
        let url = self.webhook_url(id, &acct.secrets.webhook_secret);
        let subscriptions = self.0.client.subscriptions(&acct.auth).await?;
        Ok(WebhookHealth {
            subscribed: subscriptions.iter().any(|s| s.url == url),
            subscriptions: subscriptions
                .into_iter()
                .map(|mut s| {
                    // Never show our own secret back, even to admins.
                    if s.url == url {
                        s.url = self.webhook_url(id, "…");
                    }
                    s
                })
                .collect(),
            pending_deliveries: self.store().count_channel_deliveries().await?,
        })
    }

    async fn save_refresh_token(&self, id: AccountId, token: String) -> Result<(), ServiceError> {
        let acct = self.ready_account(id).await?;
        let mut secrets = acct.secrets.clone();
        secrets.refresh_token = Some(token);
        let sealed = self.0.sealer.seal(
            &Self::seal_context(acct.user_id()),
            &serde_json::to_vec(&secrets).expect("secrets serialise"),
        );
        self.store()
            .update_account(
                id,
                AccountPatch {
                    sealed_secrets: Some(Some(sealed)),
                    ..AccountPatch::default()
                },
            )
            .await?;
        Ok(())
    }
}

pub(super) async fn store_rotated_tokens(
    channel: std::sync::Weak<Inner>,
    mut rotated: tokio::sync::mpsc::UnboundedReceiver<(AccountId, String)>,
) {
    while let Some((account, token)) = rotated.recv().await {
        let Some(inner) = channel.upgrade() else {
            break;
        };
        if let Err(e) = AvitoChannel(inner).save_refresh_token(account, token).await {
            warn!(account = account.0, error = %e, "storing the rotated refresh token failed");
        }
    }
}

fn invalid_field(field: &'static str, why: &str) -> ServiceError {
    ServiceError::Invalid {
        field,
        why: why.to_string(),
    }
}
