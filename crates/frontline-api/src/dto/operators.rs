//! Wire shapes of operators.

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Operator {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: String,
    /// The last request made with one of their sessions, to the minute; `null` until they first
    /// sign in, and always `null` in the list an operator (not an admin) gets.
    pub last_seen_at: Option<String>,
}

impl From<&d::Operator> for Operator {
    fn from(o: &d::Operator) -> Self {
        Operator {
            id: o.id.0,
            login: o.login.clone(),
            display_name: o.display_name.clone(),
            role: o.role.into(),
            active: o.active,
            created_at: rfc3339(o.created_at),
            last_seen_at: o.last_seen_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperatorRef {
    pub id: i64,
    pub display_name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOperatorRequest {
    pub login: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOperatorRequest {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}
