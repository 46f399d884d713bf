//! Channel accounts: the connections (an Avito profile, an API client, a phone line) that conversations arrive through.

use crate::*;

string_enum!(
    /// The kind of channel an account connects.
    AccountKind { Api => "api", Avito => "avito", Voice => "voice" }
);

/// A connected channel account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub kind: AccountKind,
    pub name: String,
    pub enabled: bool,
    /// Where outbound messages of an `api` account are POSTed.
    pub callback_url: Option<String>,
    /// SHA-256 (hex) of the inbound bearer token of an `api` account; the token itself is shown once.
    pub inbound_token_hash: Option<String>,
    /// The channel's settings as JSON text (an Avito profile's user id, …): not secret, owned and
    /// parsed by the channel module.
    pub settings: Option<String>,
    /// The channel's secrets as opaque ciphertext sealed by the channel layer; stores never
    /// interpret it.
    pub sealed_secrets: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub name: String,
    pub callback_url: Option<String>,
    pub inbound_token_hash: Option<String>,
    pub settings: Option<String>,
    pub sealed_secrets: Option<String>,
}

/// `None` leaves a field alone; for the nullable ones `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub callback_url: Option<Option<String>>,
    pub inbound_token_hash: Option<Option<String>>,
    pub settings: Option<Option<String>>,
    pub sealed_secrets: Option<Option<String>>,
}
