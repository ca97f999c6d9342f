//! The token status words of the contract.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a check says about a tenant's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    /// Valid, not expiring within the warning window.
    Ok,
    /// Valid, but it (or its data access) expires within the warning window.
    Expiring,
    Expired,
    /// Revoked, password changed, app removed, unparseable.
    Invalid,
    MissingScope,
    NotConnected,
    /// Meta could not be asked.
    Unreachable,
}

impl TokenStatus {
    pub const ALL: [TokenStatus; 7] = [
        TokenStatus::Ok,
        TokenStatus::Expiring,
        TokenStatus::Expired,
        TokenStatus::Invalid,
        TokenStatus::MissingScope,
        TokenStatus::NotConnected,
        TokenStatus::Unreachable,
    ];

    /// The contract's word for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Ok => "ok",
            TokenStatus::Expiring => "expiring",
            TokenStatus::Expired => "expired",
            TokenStatus::Invalid => "invalid",
            TokenStatus::MissingScope => "missing_scope",
            TokenStatus::NotConnected => "not_connected",
            TokenStatus::Unreachable => "unreachable",
        }
    }

    /// Parses a stored status word; unknown words are `None`.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

/// Days before expiry at which a valid token counts as `expiring` by default.
pub const DEFAULT_WARNING_DAYS: i64 = 14;

/// A connection's status from what the database knows, without asking Meta:
/// a passed expiry is `expired` whatever the last check said; a problem the
/// last check found stands; otherwise the expiry dates decide.
pub fn stored_status(
    expires_at: Option<DateTime<Utc>>,
    data_access_expires_at: Option<DateTime<Utc>>,
    last_check: Option<TokenStatus>,
    now: DateTime<Utc>,
    warning_days: i64,
) -> TokenStatus {
    if expires_at.is_some_and(|at| at <= now) {
        return TokenStatus::Expired;
    }
    if let Some(
        problem @ (TokenStatus::Invalid | TokenStatus::Expired | TokenStatus::MissingScope),
    ) = last_check
    {
        return problem;
    }
    let horizon = now + chrono::Duration::days(warning_days);
    if [expires_at, data_access_expires_at]
        .into_iter()
        .flatten()
        .any(|at| at <= horizon)
    {
        return TokenStatus::Expiring;
    }
    TokenStatus::Ok
}

impl std::fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_match_serde() {
        for status in TokenStatus::ALL {
            assert_eq!(TokenStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(TokenStatus::parse("fine"), None);
    }

    #[test]
    fn stored_status_follows_expiry_then_last_check() {
        let now = Utc::now();
        let days = |d| Some(now + chrono::Duration::days(d));
        assert_eq!(
            stored_status(days(-1), None, Some(TokenStatus::Ok), now, 14),
            TokenStatus::Expired
        );
        assert_eq!(
            stored_status(days(30), None, Some(TokenStatus::Invalid), now, 14),
            TokenStatus::Invalid
        );
        assert_eq!(
            stored_status(days(30), days(5), None, now, 14),
            TokenStatus::Expiring
        );
        assert_eq!(
            stored_status(days(5), None, Some(TokenStatus::Unreachable), now, 14),
            TokenStatus::Expiring
        );
        assert_eq!(
            stored_status(None, days(60), None, now, 14),
            TokenStatus::Ok
        );
        assert_eq!(
            stored_status(days(60), days(60), None, now, 14),
            TokenStatus::Ok
        );
    }
}
