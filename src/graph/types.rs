//! The shapes of Graph answers this tool reads.

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

/// `GET /oauth/access_token`: a short- or long-lived token.
#[derive(Deserialize)]
pub struct TokenGrant {
    pub access_token: SecretString,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; absent for tokens that do not expire.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// `GET /debug_token`: Meta's view of a token.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DebugToken {
    #[serde(default, deserialize_with = "opt_id")]
    pub app_id: Option<String>,
    /// USER, SYSTEM_USER, PAGE, APP.
    #[serde(rename = "type", default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    /// Unix seconds; 0 or absent when there is none.
    #[serde(default)]
    pub data_access_expires_at: i64,
    /// Unix seconds; 0 for a token that never expires.
    #[serde(default)]
    pub expires_at: i64,
    #[serde(default)]
    pub is_valid: bool,
    #[serde(default)]
    pub issued_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub granular_scopes: Vec<GranularScope>,
    #[serde(default, deserialize_with = "opt_id")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub error: Option<DebugTokenError>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GranularScope {
    pub scope: String,
    #[serde(default, deserialize_with = "ids")]
    pub target_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DebugTokenError {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub subcode: Option<i64>,
}

/// `GET /me`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Me {
    #[serde(deserialize_with = "id")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A business manager (`/me/businesses`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Business {
    #[serde(deserialize_with = "id")]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// An ad account as Graph returns it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct AdAccount {
    /// `act_…`
    #[serde(deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_id")]
    pub account_id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub account_status: i64,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub timezone_name: Option<String>,
}

/// A page of an edge: `{"data": [...], "paging": {"cursors": {...}, "next": "..."}}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Cursors {
    #[serde(default)]
    pub after: Option<String>,
}

/// The words for `account_status` numbers.
pub fn account_status_word(status: i64) -> &'static str {
    match status {
        1 => "active",
        2 => "disabled",
        3 => "unsettled",
        7 => "pending_risk_review",
        8 => "pending_settlement",
        9 => "in_grace_period",
        100 => "pending_closure",
        101 => "closed",
        201 => "any_active",
        202 => "any_closed",
        _ => "unknown",
    }
}

/// Meta ids are opaque strings, but some answers carry them as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdValue {
    Text(String),
    Number(serde_json::Number),
}

impl IdValue {
    fn into_string(self) -> String {
        match self {
            IdValue::Text(s) => s,
            IdValue::Number(n) => n.to_string(),
        }
    }
}

fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    IdValue::deserialize(d).map(IdValue::into_string)
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<IdValue>::deserialize(d)?.map(IdValue::into_string))
}

fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Vec::<IdValue>::deserialize(d)?
        .into_iter()
        .map(IdValue::into_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_token_accepts_numeric_ids_and_missing_fields() {
        let d: DebugToken = serde_json::from_str(
            r#"{"app_id":123,"type":"USER","expires_at":0,"is_valid":true,"scopes":["ads_read"],
                "granular_scopes":[{"scope":"ads_read","target_ids":[1,"2"]}],"user_id":"42"}"#,
        )
        .unwrap();
        assert_eq!(d.app_id.as_deref(), Some("123"));
        assert_eq!(d.granular_scopes[0].target_ids, ["1", "2"]);
        assert_eq!(d.data_access_expires_at, 0);
    }

    #[test]
    fn status_words() {
        assert_eq!(account_status_word(1), "active");
        assert_eq!(account_status_word(101), "closed");
        assert_eq!(account_status_word(5), "unknown");
    }
}
