//! The HTTP side: [`FakeMeta`] binds 127.0.0.1 and serves a [`World`] with
//! axum; `handle` records each request, applies the world's latency and any
//! injected [`Fault`], and `route` dispatches by method and versioned path to
//! the OAuth ([`crate::oauth`]) and Graph ([`crate::graph`]) handlers;
//! `render` turns an [`Answer`] into a response with the `x-app-usage` header.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::answer::Answer;
use crate::graph::{batch, debug_token, graph_call};
use crate::oauth::{access_token, decide, dialog};
use crate::world::{Fault, World};

/// A running fake. Dropping it stops the server.
pub struct FakeMeta {
    pub addr: SocketAddr,
    world: Arc<Mutex<World>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl FakeMeta {
    /// Serves `world` on 127.0.0.1 at an ephemeral port.
    pub async fn start(world: World) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), world).await
    }

    pub async fn start_on(addr: SocketAddr, world: World) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let world = Arc::new(Mutex::new(world));
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&world));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(Self {
            addr,
            world,
            _shutdown: tx,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The variables that point crm-meta at this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let world = self.world();
        vec![
            ("META_GRAPH_URL", self.base_url()),
            ("META_DIALOG_URL", self.base_url()),
            ("META_APP_ID", world.app_id.clone()),
            ("META_APP_SECRET", world.app_secret.clone()),
        ]
    }

    /// Locks the world for arranging or inspecting.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

type Shared = Arc<Mutex<World>>;

async fn handle(
    State(world): State<Shared>,
    ConnectInfo(_peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let mut params: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    if method == Method::POST {
        params.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    let path = uri.path().to_owned();
    let (fault, latency) = {
        let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
        let request = format!("{method} {path}");
        let fault = w.take_fault(&request);
        w.requests.push(request);
        (fault, w.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Html) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>Sorry, something went wrong.</h1></body></html>",
            )
                .into_response();
        }
        Some(Fault::Body(body)) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
        Some(Fault::Truncated) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"data\": [{\"id\": \"1\", \"na",
            )
                .into_response();
        }
        Some(Fault::Transient) => {
            return render(
                &world,
                Answer::error(
                    500,
                    2,
                    None,
                    "An unexpected error has occurred. Please retry your request later.",
                ),
            );
        }
        Some(Fault::RateLimit(code)) => {
            return render(
                &world,
                Answer::error(400, code, None, "(#4) Application request limit reached"),
            );
        }
        Some(Fault::Error {
            status,
            code,
            subcode,
            message,
        }) => return render(&world, Answer::error(status, code, subcode, &message)),
        None => {}
    }
    let (answer, upgraded) = {
        let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
        let version = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let marketing = strip_version(&path).is_some_and(is_marketing_path);
        if marketing && w.ads_versions_ended.iter().any(|v| v == version) {
            let answer = Answer::error(
                400,
                2635,
                None,
                "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version.",
            );
            (answer, None)
        } else {
            let upgraded = (marketing && w.ads_versions_upgraded.iter().any(|v| v == version))
                .then(|| format!("{version} is deprecated; this call was served by v27.0"));
            (route(&mut w, &method, &path, &params), upgraded)
        }
    };
    let mut response = render(&world, answer);
    if let Some(warning) = upgraded.and_then(|w| HeaderValue::from_str(&w).ok()) {
        response
            .headers_mut()
            .insert("x-ad-api-version-warning", warning);
    }
    response
}

/// Business and ad-account edges: the Marketing API's.
fn is_marketing_path(rest: &str) -> bool {
    rest.contains("businesses") || rest.contains("ad_accounts") || rest.contains("adaccounts")
}

fn render(world: &Shared, answer: Answer) -> Response {
    let (usage, skew) = world
        .lock()
        .map(|mut w| {
            let usage = w.usage_percent();
            w.peak_usage_percent = w.peak_usage_percent.max(usage);
            (usage, w.clock_skew_seconds)
        })
        .unwrap_or((1, 0));
    let mut headers = HeaderMap::new();
    if skew != 0 {
        let at = std::time::SystemTime::now()
            .checked_add(std::time::Duration::from_secs(skew.unsigned_abs()))
            .filter(|_| skew > 0)
            .or_else(|| {
                std::time::SystemTime::now()
                    .checked_sub(std::time::Duration::from_secs(skew.unsigned_abs()))
            });
        if let Some(value) =
            at.and_then(|at| HeaderValue::from_str(&httpdate::fmt_http_date(at)).ok())
        {
            headers.insert(header::DATE, value);
        }
    }
    if let Ok(v) = HeaderValue::from_str(
        &json!({"call_count": usage, "total_time": usage / 2, "total_cputime": usage / 3})
            .to_string(),
    ) {
        headers.insert("x-app-usage", v);
    }
    if let Some(location) = answer.location {
        if let Ok(v) = HeaderValue::from_str(&location) {
            headers.insert(header::LOCATION, v);
        }
        return (answer.status, headers).into_response();
    }
    if let Some(html) = answer.html {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return (answer.status, headers, html).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (answer.status, headers, answer.body.to_string()).into_response()
}

/// Splits `/v25.0/rest` into the rest; the version must look like Meta's.
pub(crate) fn strip_version(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v")?;
    let (version, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let (major, minor) = version.split_once('.')?;
    (major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok()).then_some(rest)
}

pub(crate) fn route(
    w: &mut World,
    method: &Method,
    path: &str,
    params: &[(String, String)],
) -> Answer {
    let Some(rest) = strip_version(path) else {
        return Answer::error(400, 2500, None, "Unknown path components");
    };
    let rest = rest.trim_end_matches('/');
    match (method.as_str(), rest) {
        ("GET", "dialog/oauth") => dialog(w, params),
        ("GET", "dialog/oauth/decide") => decide(w, params),
        ("GET", "oauth/access_token") => access_token(w, params),
        ("GET", "debug_token") => debug_token(w, params),
        ("POST", "") => {
            let version = path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("v27.0");
            batch(w, version, params)
        }
        _ => {
            if !w.spend() {
                return Answer::error(400, 4, None, "(#4) Application request limit reached");
            }
            if let Some(app_id) = rest.strip_suffix("/subscriptions")
                && method == Method::GET
            {
                return crate::pages::app_subscriptions(w, app_id, params);
            }
            graph_call(w, method.as_str(), rest, params)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::strip_version;

    #[test]
    fn strip_version_accepts_only_meta_style_versions() {
        assert_eq!(strip_version("/v25.0/me/adaccounts"), Some("me/adaccounts"));
        assert_eq!(strip_version("/v25.0/"), Some(""));
        assert_eq!(strip_version("/v25.0"), Some(""));
        assert_eq!(strip_version("/v3.2/debug_token"), Some("debug_token"));
        assert_eq!(strip_version("/me"), None);
        assert_eq!(strip_version("/v25/me"), None);
        assert_eq!(strip_version("/vX.0/me"), None);
        assert_eq!(strip_version("/v25.x/me"), None);
    }
}
