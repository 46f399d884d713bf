//! Operators, their sessions and their saved preferences.

use async_trait::async_trait;
use frontline_domain::{
    NewOperator, Operator, OperatorId, OperatorPatch, OperatorPreferences, Timestamp,
};

use crate::*;

/// Operators, sessions and preferences.
#[async_trait]
pub trait OperatorStore: Send + Sync {
    async fn count_operators(&self) -> Result<i64>;

    /// `Conflict` when the login is taken.
    async fn create_operator(&self, new: NewOperator) -> Result<Operator>;

    async fn operator(&self, id: OperatorId) -> Result<Option<Operator>>;

    /// `login` is compared as given (logins are stored case-folded by `Login::parse`).
    async fn operator_by_login(&self, login: &str) -> Result<Option<Operator>>;

    /// Ordered by id.
    async fn list_operators(&self) -> Result<Vec<Operator>>;

    async fn update_operator(&self, id: OperatorId, patch: OperatorPatch) -> Result<Operator>;

    /// Store a session; the token itself is never stored, only its hash.
    async fn create_session(
        &self,
        token_hash: &str,
        operator: OperatorId,
        expires_at: Timestamp,
    ) -> Result<()>;

    /// The operator of an unexpired session, if the operator is active.
    async fn session_operator(&self, token_hash: &str, now: Timestamp) -> Result<Option<Operator>>;

    /// Record that the operator made a request at `at`; `last_seen_at` never moves back. Unknown
    /// operators are ignored.
    async fn record_operator_seen(&self, operator: OperatorId, at: Timestamp) -> Result<()>;

    /// Idempotent.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// Log an operator out everywhere (on deactivation or password change). Idempotent.
    async fn delete_operator_sessions(&self, operator: OperatorId) -> Result<()>;

    /// The operator's saved preferences; the defaults when none were saved. `NotFound("operator")`
    /// for an unknown operator.
    async fn operator_preferences(&self, operator: OperatorId) -> Result<OperatorPreferences>;

    /// Replace the operator's preferences (hidden accounts stored sorted, without repeats) and
    /// return what was stored. `NotFound("operator")` for an unknown operator.
    async fn save_operator_preferences(
        &self,
        operator: OperatorId,
        prefs: OperatorPreferences,
    ) -> Result<OperatorPreferences>;
}
