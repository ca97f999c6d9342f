//! [`Answer`], what a handler returns before it becomes HTTP, with Meta's
//! error shape (`{"error":{"message","type","code","error_subcode",
//! "fbtrace_id","is_transient"}}`), and [`param`], the lookup of a query or
//! form parameter every handler uses.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::world::random_string;

/// An answer before it becomes HTTP: status, JSON body, extra headers.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) location: Option<String>,
    pub(crate) html: Option<String>,
}

impl Answer {
    pub(crate) fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            location: None,
            html: None,
        }
    }

    pub(crate) fn error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Self {
        let mut error = json!({
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": random_string("A", 10),
            "is_transient": matches!(code, 1 | 2),
        });
        if let Some(sub) = subcode {
            error["error_subcode"] = json!(sub);
        }
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body: json!({ "error": error }),
            location: None,
            html: None,
        }
    }

    pub(crate) fn redirect(location: String) -> Self {
        Self {
            status: StatusCode::FOUND,
            body: Value::Null,
            location: Some(location),
            html: None,
        }
    }
}

pub(crate) fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
