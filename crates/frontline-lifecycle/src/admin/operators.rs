//! Operators: created, changed, deactivated. Deactivating one or changing their password ends their
//! sessions at once, and an admin cannot deactivate or demote themselves (nobody would be left to
//! undo it).

use frontline_domain::{NewOperator, Operator, OperatorId, OperatorPatch, Role};

use super::Admin;
use crate::{LifecycleError, Result};

impl Admin {
    /// `Conflict` when the login is taken.
    pub async fn create_operator(&self, new: NewOperator) -> Result<Operator> {
        Ok(self.store.create_operator(new).await?)
    }

    /// Change operator `id` on behalf of `actor`.
    pub async fn update_operator(
        &self,
        actor: OperatorId,
        id: OperatorId,
        patch: OperatorPatch,
    ) -> Result<Operator> {
        if id == actor
            && (patch.active == Some(false) || patch.role.is_some_and(|r| r != Role::Admin))
        {
            return Err(LifecycleError::Conflict(
                "an admin cannot deactivate or demote themselves".into(),
            ));
        }
        let ends_sessions = patch.password_hash.is_some() || patch.active == Some(false);
        let op = self.store.update_operator(id, patch).await?;
        if ends_sessions {
            self.store.delete_operator_sessions(id).await?;
        }
        Ok(op)
    }

    /// Deactivate operator `id` (their messages and handoffs stay attributed) and end their
    /// sessions.
    pub async fn deactivate_operator(&self, actor: OperatorId, id: OperatorId) -> Result<()> {
        if id == actor {
            return Err(LifecycleError::Conflict(
                "an admin cannot remove themselves".into(),
            ));
        }
        self.store
            .update_operator(
                id,
                OperatorPatch {
                    active: Some(false),
                    ..OperatorPatch::default()
                },
            )
            .await?;
        self.store.delete_operator_sessions(id).await?;
        Ok(())
    }
}
