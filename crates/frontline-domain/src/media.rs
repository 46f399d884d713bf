//! Files stored by frontline (images, voice messages, uploads).

use crate::*;

/// A file to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMedia {
    /// The account it came from or is meant for; `None` for files not tied to one.
    pub account_id: Option<AccountId>,
    pub mime: String,
    pub name: Option<String>,
    pub bytes: Vec<u8>,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub id: MediaId,
    pub account_id: Option<AccountId>,
    pub mime: String,
    pub name: Option<String>,
    /// Length of `bytes`.
    pub size: i64,
    pub bytes: Vec<u8>,
    pub created_at: Timestamp,
}
