//! Operators, their logins and passwords, and the preferences that follow them across devices.

use crate::*;

string_enum!(
    Role { Admin => "admin", Operator => "operator" }
);

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub id: OperatorId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: Timestamp,
    /// The last request made with one of their sessions, to the minute
    /// ([`SEEN_EVERY`]); `None` until they first sign in.
    pub last_seen_at: Option<Timestamp>,
}

/// How stale `last_seen_at` may get before a request records it again: one write per operator per
/// minute at the most, not one per request.
pub const SEEN_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl Operator {
    /// Whether a request at `now` should record that the operator was seen.
    pub fn seen_is_stale(&self, now: Timestamp) -> bool {
        self.last_seen_at
            .is_none_or(|seen| seen < now.minus(SEEN_EVERY))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOperator {
    pub login: Login,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperatorPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
}

/// An operator login: 2–64 characters of letters, digits, `.`, `_`, `-`, `@`; case-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim().to_lowercase();
        let n = s.chars().count();
        if !(2..=64).contains(&n) {
            return Err(ParseError::new("login", "must be 2 to 64 characters"));
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(ParseError::new(
                "login",
                "may contain letters, digits, '.', '_', '-' and '@' only",
            ));
        }
        Ok(Login(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy (8–256 characters). Never logged, never stored: only its hash is.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let n = s.chars().count();
        if n < 8 {
            return Err(ParseError::new("password", "must be at least 8 characters"));
        }
        if n > 256 {
            return Err(ParseError::new(
                "password",
                "must be at most 256 characters",
            ));
        }
        Ok(Password(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What an operator chose in the messenger, kept with the operator so it follows them across
/// browsers and devices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OperatorPreferences {
    /// Accounts whose conversations the operator hid («Аккаунты (N)» unchecked). Hidden rather than
    /// shown ones are kept, so an account connected later appears for everyone.
    pub hidden_accounts: Vec<AccountId>,
    /// Sound alerts muted (they are on by default).
    pub sound_muted: bool,
    /// The interface language chosen (`ru`, `en`); `None`: the default.
    pub language: Option<String>,
}

impl OperatorPreferences {
    /// Hidden accounts sorted and without repeats, as stored.
    pub fn normalized(mut self) -> Self {
        self.hidden_accounts.sort_by_key(|a| a.0);
        self.hidden_accounts.dedup();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_rules() {
        assert_eq!(Login::parse(" Anna.K ").unwrap().as_str(), "anna.k");
        assert_eq!(Login::parse("оператор1").unwrap().as_str(), "оператор1");
        assert!(Login::parse("a").is_err());
        assert!(Login::parse("has space").is_err());
        assert!(Login::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn password_policy_and_redaction() {
        assert!(Password::parse("short").is_err());
        let p = Password::parse("long enough").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }
}
