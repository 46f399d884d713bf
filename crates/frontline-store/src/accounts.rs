//! Channel accounts: the connections conversations arrive through.

use async_trait::async_trait;
use frontline_domain::{Account, AccountId, AccountPatch, NewAccount};

use crate::*;

/// Channel accounts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_account(&self, new: NewAccount) -> Result<Account>;

    async fn account(&self, id: AccountId) -> Result<Option<Account>>;

    /// Ordered by id.
    async fn list_accounts(&self) -> Result<Vec<Account>>;

    async fn update_account(&self, id: AccountId, patch: AccountPatch) -> Result<Account>;

    /// `Conflict` when the account has conversations (disable it instead: history must not vanish).
    async fn delete_account(&self, id: AccountId) -> Result<()>;
}
