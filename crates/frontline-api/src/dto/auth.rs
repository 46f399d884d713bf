//! Wire shapes of logging in and the operator's own preferences.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

/// What the operator chose in the messenger; kept on the server so it follows them to any browser.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Preferences {
    /// Accounts whose conversations this operator hid («Аккаунты (N)» unchecked).
    #[serde(default)]
    pub hidden_account_ids: Vec<i64>,
    /// Sound alerts on (the default) or muted.
    #[serde(default = "sound_on")]
    pub sound: bool,
    /// Interface language, `ru` or `en`; `null`: the default (Russian).
    #[serde(default)]
    pub language: Option<String>,
}

fn sound_on() -> bool {
    true
}

impl From<frontline_domain::OperatorPreferences> for Preferences {
    fn from(p: frontline_domain::OperatorPreferences) -> Self {
        Preferences {
            hidden_account_ids: p.hidden_accounts.iter().map(|a| a.0).collect(),
            sound: !p.sound_muted,
            language: p.language,
        }
    }
}

// ---- requests -----------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …` (also set as the `frontline_session` cookie).
    pub token: String,
    pub expires_at: String,
    pub operator: Operator,
}
