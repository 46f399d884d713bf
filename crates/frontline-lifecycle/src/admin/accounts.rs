//! Channel accounts as admins manage them. Connecting a channel that needs to talk to its remote
//! side first (Avito's credential check, a phone line's settings) is that channel's own code; what
//! is left here is the store's half.

use frontline_domain::{Account, AccountId, AccountPatch, NewAccount};

use super::Admin;
use crate::Result;

impl Admin {
    pub async fn create_account(&self, new: NewAccount) -> Result<Account> {
        Ok(self.store.create_account(new).await?)
    }

    pub async fn update_account(&self, id: AccountId, patch: AccountPatch) -> Result<Account> {
        Ok(self.store.update_account(id, patch).await?)
    }

    /// `Conflict` when the account has conversations (disable it instead: history must not vanish).
    pub async fn delete_account(&self, id: AccountId) -> Result<()> {
        Ok(self.store.delete_account(id).await?)
    }
}
