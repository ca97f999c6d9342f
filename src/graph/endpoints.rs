//! The typed Graph calls crm-meta makes, on top of the transport.

use std::time::Instant;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::transport::{Auth, Call, decode};
use super::{
    ApiError, DebugToken, GraphClient, GraphError, MAX_PAGES, Me, PAGE_LIMIT, Page, TokenGrant,
};

/// Times a batch item that failed transiently is sent again.
const MAX_ITEM_RETRIES: u32 = 4;

impl GraphClient {
    /// `GET path` with a user token.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: &SecretString,
    ) -> Result<T, GraphError> {
        let value = self
            .execute(self.call(Method::GET, path, query, Auth::User(token)))
            .await?;
        decode(path, value)
    }

    /// Every item of a list edge, following `paging.next` until it is absent.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        fields: &str,
        token: &SecretString,
    ) -> Result<Vec<T>, GraphError> {
        let limit = PAGE_LIMIT.to_string();
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("fields", fields), ("limit", limit.as_str())];
            if let Some(cursor) = after.as_deref() {
                query.push(("after", cursor));
            }
            let page: Page<T> = self.get(path, &query, token).await?;
            items.extend(page.data);
            let Some(paging) = page.paging else { break };
            let Some(next) = paging.next else { break };
            let cursor = paging
                .cursors
                .and_then(|c| c.after)
                .or_else(|| cursor_from_next(&next));
            match cursor {
                Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
                _ => {
                    return Err(GraphError::Unexpected {
                        endpoint: path.to_owned(),
                        detail: "a `next` page without a new cursor".into(),
                    });
                }
            }
        }
        Ok(items)
    }

    /// Exchanges an OAuth code for a short-lived token. Not retried after the
    /// request was sent: a code works once.
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        redirect_uri: &str,
        code_verifier: Option<&SecretString>,
    ) -> Result<TokenGrant, GraphError> {
        let mut query = vec![
            ("client_id".to_owned(), self.app.id.clone()),
            ("redirect_uri".to_owned(), redirect_uri.to_owned()),
            (
                "client_secret".to_owned(),
                self.app.secret.expose_secret().to_owned(),
            ),
            ("code".to_owned(), code.expose_secret().to_owned()),
        ];
        let mut extra: Vec<&str> = vec![code.expose_secret()];
        if let Some(verifier) = code_verifier {
            query.push((
                "code_verifier".to_owned(),
                verifier.expose_secret().to_owned(),
            ));
            extra.push(verifier.expose_secret());
        }
        let call = Call {
            method: Method::GET,
            path: "oauth/access_token",
            query,
            form: None,
            auth: Auth::None,
            idempotent: false,
            extra_secrets: extra,
            reserved_calls: 0,
        };
        decode("oauth/access_token", self.execute(call).await?)
    }

    /// Exchanges a (short- or long-lived) user token for a long-lived one.
    pub async fn long_lived_token(&self, token: &SecretString) -> Result<TokenGrant, GraphError> {
        let call = Call {
            method: Method::GET,
            path: "oauth/access_token",
            query: vec![
                ("grant_type".to_owned(), "fb_exchange_token".to_owned()),
                ("client_id".to_owned(), self.app.id.clone()),
                (
                    "client_secret".to_owned(),
                    self.app.secret.expose_secret().to_owned(),
                ),
                (
                    "fb_exchange_token".to_owned(),
                    token.expose_secret().to_owned(),
                ),
            ],
            form: None,
            auth: Auth::None,
            idempotent: true,
            extra_secrets: vec![token.expose_secret()],
            reserved_calls: 0,
        };
        decode("oauth/access_token", self.execute(call).await?)
    }

    /// An app access token by `client_credentials`: proves the app id and
    /// secret to Meta without any user's token.
    pub async fn app_token(&self) -> Result<TokenGrant, GraphError> {
        let mut call = self.call(Method::GET, "oauth/access_token", &[], Auth::None);
        call.query = vec![
            ("client_id".to_owned(), self.app.id.clone()),
            (
                "client_secret".to_owned(),
                self.app.secret.expose_secret().to_owned(),
            ),
            ("grant_type".to_owned(), "client_credentials".to_owned()),
        ];
        call.idempotent = true;
        decode("oauth/access_token", self.execute(call).await?)
    }

    /// Meta's view of a token, asked with the app token.
    pub async fn debug_token(&self, token: &SecretString) -> Result<DebugToken, GraphError> {
        let mut call = self.call(Method::GET, "debug_token", &[], Auth::App);
        call.query
            .push(("input_token".to_owned(), token.expose_secret().to_owned()));
        call.extra_secrets.push(token.expose_secret());
        let value = self.execute(call).await?;
        let data = value.get("data").cloned().unwrap_or(Value::Null);
        decode("debug_token", data)
    }

    /// `debug_token` for up to [`MAX_BATCH`](super::MAX_BATCH) tokens in one Graph batch request.
    /// Under a `--max-usage` ceiling the caller reserves its items first.
    ///
    /// The outer error is the batch failing as a whole (after the client's
    /// own retries); each item has its own result. Items Meta answers with
    /// `null` (it does, under load) come back as a retryable transport error.
    async fn debug_tokens(
        &self,
        tokens: &[&SecretString],
    ) -> Result<Vec<Result<DebugToken, GraphError>>, GraphError> {
        let batch: Vec<Value> = tokens
            .iter()
            .map(|token| {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("input_token", token.expose_secret())
                    .finish();
                serde_json::json!({ "method": "GET", "relative_url": format!("debug_token?{query}") })
            })
            .collect();
        let call = Call {
            method: Method::POST,
            path: "",
            query: Vec::new(),
            form: Some(vec![
                (
                    "access_token".to_owned(),
                    format!("{}|{}", self.app.id, self.app.secret.expose_secret()),
                ),
                ("include_headers".to_owned(), "false".to_owned()),
                ("batch".to_owned(), Value::Array(batch).to_string()),
            ]),
            auth: Auth::None,
            // Reading token metadata twice is harmless.
            idempotent: true,
            extra_secrets: tokens.iter().map(|t| t.expose_secret()).collect(),
            // Each item is one call; debug_tokens_settled reserved them.
            reserved_calls: tokens.len().max(1) as u64,
        };
        let answer = self.execute(call).await?;
        let items = answer.as_array().ok_or_else(|| GraphError::Unexpected {
            endpoint: "batch".into(),
            detail: "the answer is not an array".into(),
        })?;
        if items.len() != tokens.len() {
            return Err(GraphError::Unexpected {
                endpoint: "batch".into(),
                detail: format!("{} answers for {} requests", items.len(), tokens.len()),
            });
        }
        Ok(items
            .iter()
            .map(|item| parse_batch_item(item, tokens))
            .collect())
    }

    /// `GET /me`.
    pub async fn me(&self, token: &SecretString) -> Result<Me, GraphError> {
        self.get("me", &[("fields", "id,name")], token).await
    }

    /// `DELETE /me/permissions`: revokes the app for the token's user.
    pub async fn revoke_permissions(&self, token: &SecretString) -> Result<(), GraphError> {
        let mut call = self.call(Method::DELETE, "me/permissions", &[], Auth::User(token));
        // Revoking twice is harmless: a retry after a lost answer only meets an invalid token.
        call.idempotent = true;
        let value = self.execute(call).await?;
        let ok = value.as_bool() == Some(true)
            || value.get("success").and_then(Value::as_bool) == Some(true);
        if ok {
            Ok(())
        } else {
            Err(GraphError::Unexpected {
                endpoint: "me/permissions".into(),
                detail: "revocation did not answer success".into(),
            })
        }
    }

    /// `debug_token` for up to [`MAX_BATCH`](super::MAX_BATCH) tokens, with the items that
    /// failed transiently or were rate limited sent again in later batches
    /// until each settles (a rate limit waits, shared by every batch of this
    /// client, up to the policy's bound). One result per token, in order.
    pub async fn debug_tokens_settled(
        &self,
        chunk: &[SecretString],
    ) -> Vec<Result<DebugToken, GraphError>> {
        let mut results: Vec<Option<Result<DebugToken, GraphError>>> =
            (0..chunk.len()).map(|_| None).collect();
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        let mut transient_rounds = 0;
        let started = Instant::now();
        let budget = self.policy().max_rate_limit_wait + self.policy().request_timeout;
        while !pending.is_empty() {
            // Under --max-usage, only as many calls as the ceiling allows now.
            let grant = match self.usage().reserve(pending.len() as u64).await {
                Ok(grant) => grant,
                Err(reached) => {
                    let e = GraphError::RateLimited(Box::new(ceiling_reached(reached)));
                    for &i in &pending {
                        results[i] = Some(Err(e.clone()));
                    }
                    break;
                }
            };
            let later = pending.split_off((grant.calls as usize).clamp(1, pending.len()));
            let tokens: Vec<&SecretString> = pending.iter().map(|&i| &chunk[i]).collect();
            let answers = self.debug_tokens(&tokens).await;
            self.usage().settle(grant);
            let answers = match answers {
                Ok(answers) => answers,
                Err(e) => {
                    // The batch failed as a whole after the client's own retries.
                    for &i in pending.iter().chain(&later) {
                        results[i] = Some(Err(e.clone()));
                    }
                    break;
                }
            };
            let held_back = later.len();
            let mut again = later;
            let mut rate_limited = false;
            for (&i, answer) in pending.iter().zip(answers) {
                match answer {
                    Err(e)
                        if e.api().is_some_and(|a| a.is_rate_limit())
                            && started.elapsed() < budget =>
                    {
                        rate_limited = true;
                        again.push(i);
                        results[i] = Some(Err(e));
                    }
                    Err(e) if e.is_retryable() && transient_rounds < MAX_ITEM_RETRIES => {
                        again.push(i);
                        results[i] = Some(Err(e));
                    }
                    answer => results[i] = Some(answer),
                }
            }
            if again.is_empty() {
                break;
            }
            if again.len() == held_back {
                // Only the ceiling held some back: go on with them at once.
                pending = again;
                continue;
            }
            if rate_limited {
                // Every batch of this client pauses until the block should be over.
                self.usage().blocked_for(self.policy().rate_limit_backoff);
            } else {
                transient_rounds += 1;
                tokio::time::sleep(self.policy().base_backoff * 2u32.pow(transient_rounds)).await;
            }
            pending = again;
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(GraphError::Transport("no answer".into()))))
            .collect()
    }
}

/// The error of calls the `--max-usage` ceiling kept from being sent.
pub(super) fn ceiling_reached(reached: super::usage::CeilingReached) -> ApiError {
    ApiError::own_rate_limit(format!(
        "not asked: the app's usage stayed at {:.0}% and this run may not push it past {:.0}% (--max-usage) within META_RATE_LIMIT_MAX_WAIT",
        reached.percent, reached.max_percent
    ))
}

/// One item of a batch answer, `{"code", "headers", "body": "<JSON>"}` or
/// `null`, as a `debug_token` result. Tokens are scrubbed from any message.
pub fn parse_batch_item(item: &Value, tokens: &[&SecretString]) -> Result<DebugToken, GraphError> {
    if item.is_null() {
        return Err(GraphError::Transport(
            "Meta left this batch item unanswered".into(),
        ));
    }
    let code = item.get("code").and_then(Value::as_u64).unwrap_or(0) as u16;
    let body = item.get("body").and_then(Value::as_str).unwrap_or_default();
    if let Some(mut api) = ApiError::parse(code, body.as_bytes()) {
        api.clean();
        for token in tokens {
            api.message = api.message.replace(token.expose_secret(), "[redacted]");
            api.user_message = api
                .user_message
                .map(|m| m.replace(token.expose_secret(), "[redacted]"));
        }
        return Err(GraphError::Api(Box::new(api)));
    }
    let mut value: Value = serde_json::from_str(body).map_err(|e| GraphError::Unexpected {
        endpoint: "batch item".into(),
        detail: e.to_string(),
    })?;
    crate::text::clean_json(&mut value);
    decode(
        "debug_token",
        value.get("data").cloned().unwrap_or(Value::Null),
    )
}

fn cursor_from_next(next: &str) -> Option<String> {
    url::Url::parse(next)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_is_read_from_next_links() {
        assert_eq!(
            cursor_from_next("https://graph.facebook.com/v25.0/me/adaccounts?limit=100&after=QVFI")
                .as_deref(),
            Some("QVFI")
        );
        assert_eq!(cursor_from_next("not a url"), None);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::graph::ApiError;

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[ -~]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof!["error", "code", "message", "data", "body", "[a-z]{1,6}"],
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn error_envelopes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200), status in 100u16..600) {
            let _ = ApiError::parse(status, &body);
        }

        #[test]
        fn json_of_any_shape_is_an_error_or_not(value in arbitrary_json(), status in 100u16..600) {
            let body = value.to_string();
            if let Some(error) = ApiError::parse(status, body.as_bytes()) {
                prop_assert!(value.get("error").is_some());
                prop_assert_eq!(error.http_status, status);
            }
        }

        /// A batch item of any shape: no panic, and the token never in an error.
        #[test]
        fn batch_items_never_panic_or_leak(item in arbitrary_json(), message in "[ -~]{0,20}") {
            let token = SecretString::from("EAAsecretTOKEN".to_owned());
            let _ = parse_batch_item(&item, &[&token]);
            let leaky = json!({"code": 400, "body": json!({"error": {
                "code": 190,
                "message": format!("{message} EAAsecretTOKEN"),
                "error_user_msg": format!("EAAsecretTOKEN {message}"),
            }}).to_string()});
            let error = parse_batch_item(&leaky, &[&token]).err().map(|e| e.to_string()).unwrap_or_default();
            prop_assert!(!error.contains("EAAsecretTOKEN"));
        }
    }
}
