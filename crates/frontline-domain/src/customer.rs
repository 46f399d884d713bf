//! Customers as the channels identify them.

use crate::*;

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: CustomerId,
    pub account_id: AccountId,
    pub external_id: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub created_at: Timestamp,
}

/// What the channel told us about the customer; `None` fields leave stored values alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerProfile {
    pub external_id: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
}
