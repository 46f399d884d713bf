//! Wire shapes of channel accounts.

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub kind: AccountKind,
    pub name: String,
    pub enabled: bool,
    /// Where outbound messages of an `api` account are POSTed (admins only; `null` for operators).
    pub callback_url: Option<String>,
    /// Whether an inbound token is set (the token itself is shown once, at creation or rotation).
    pub has_inbound_token: bool,
    pub created_at: String,
    /// A `voice` line's settings, to admins only: every field with its default filled in, and
    /// `transfer` without its credentials (`auth_token_set`, `secret_set` say whether they are
    /// set; URLs without their query), or `null`. Absent for other accounts and for operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

impl Account {
    pub fn from_domain(a: &d::Account, admin: bool) -> Self {
        Account {
            id: a.id.0,
            kind: a.kind.into(),
            name: a.name.clone(),
            enabled: a.enabled,
            callback_url: if admin { a.callback_url.clone() } else { None },
            has_inbound_token: a.inbound_token_hash.is_some(),
            created_at: rfc3339(a.created_at),
            settings: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountWithToken {
    pub account: Account,
    /// The inbound bearer token of an `api` account. Shown only in this response: store it now.
    pub inbound_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountRef {
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub kind: AccountKind,
    pub name: String,
    /// For `api` accounts: where outbound messages are POSTed.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// For `voice` accounts (phone lines): the line's settings — `language` (ru, en, auto),
    /// `greeting`, `reprompt`, `goodbye`, `not_heard`, `transfer_notice`, `transfer_failed`,
    /// `reprompt_after_secs`, `max_reprompts`, `dtmf_timeout_ms`, `barge_in`, `vad` {`silence_ms`,
    /// `min_speech_ms`, `max_utterance_ms`, `start_ms`, `pause_ms` — the silence after which the
    /// speech so far is recognised early, 0 off} and `transfer` ({"kind": "twilio" |
    /// "webhook" | "asterisk_ami", …}; its credentials are sealed and never returned).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// A new callback URL; an empty string removes it.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// New settings of a `voice` line (replacing the old ones; see `CreateAccountRequest`), except
    /// `transfer`: absent keeps the line's transfer (its credentials are never returned, so a form
    /// cannot send them back), `null` removes it, an object replaces it whole.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}
