//! Wire shapes of quick replies.

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuickReply {
    pub id: i64,
    pub title: String,
    /// May contain placeholders such as `{customer_name}` and `{order_number}`, filled by the client.
    pub text: String,
    /// Shared with everyone (`true`) or personal to `owner_id`.
    pub shared: bool,
    pub owner_id: Option<i64>,
    pub created_at: String,
}

impl From<&d::QuickReply> for QuickReply {
    fn from(q: &d::QuickReply) -> Self {
        QuickReply {
            id: q.id.0,
            title: q.title.clone(),
            text: q.text.clone(),
            shared: q.owner.is_none(),
            owner_id: q.owner.map(|o| o.0),
            created_at: rfc3339(q.created_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyRequest {
    pub title: String,
    pub text: String,
    /// Shared with all operators (admins only) or personal (default).
    #[serde(default)]
    pub shared: bool,
}
