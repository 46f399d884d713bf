//! Wire shapes of the generic inbound API channel.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboundAccepted {
    pub conversation_id: i64,
    pub message_id: i64,
    /// `true` when this external message id had been received before; nothing new was created.
    pub duplicate: bool,
}
