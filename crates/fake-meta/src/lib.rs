//! A fake Meta: the OAuth dialog and the parts of the Graph API crm-meta
//! uses, served over real HTTP on 127.0.0.1, behaving as META-GRAPH.md says
//! the real one does: single-use codes bound to their redirect URI and PKCE
//! challenge, short- and long-lived tokens, `debug_token`, cursor pagination
//! that ends at the missing `next`, `appsecret_proof` enforcement, revocation,
//! batch requests, Meta's error shapes and usage headers. Latency, faults and
//! rate limits can be injected.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const APP_ID: &str = "1234567890";
pub const APP_SECRET: &str = "fakeappsecret0123456789abcdef";
/// Meta's "long-lived" lifetime, as its exchange reports it.
pub const LONG_LIVED_SECONDS: i64 = 5_183_944;
const SHORT_LIVED_SECONDS: i64 = 7_200;
const DATA_ACCESS_SECONDS: i64 = 90 * 86_400;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// An ad account as the fake serves it.
#[derive(Debug, Clone)]
pub struct AdAccount {
    pub account_id: String,
    pub name: String,
    pub account_status: i64,
    pub currency: String,
    pub timezone_name: String,
}

impl AdAccount {
    pub fn new(account_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            name: name.into(),
            account_status: 1,
            currency: "USD".into(),
            timezone_name: "America/Bogota".into(),
        }
    }

    pub fn with_status(mut self, status: i64) -> Self {
        self.account_status = status;
        self
    }

    fn json(&self) -> Value {
        json!({
            "id": format!("act_{}", self.account_id),
            "account_id": self.account_id,
            "name": self.name,
            "account_status": self.account_status,
            "currency": self.currency,
            "timezone_name": self.timezone_name,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Business {
    pub id: String,
    pub name: String,
    pub owned: Vec<AdAccount>,
    pub client: Vec<AdAccount>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    /// What the user grants when the dialog approves.
    pub grants: Vec<String>,
    pub businesses: Vec<Business>,
    pub personal: Vec<AdAccount>,
}

impl User {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            grants: [
                "ads_management",
                "ads_read",
                "business_management",
                "leads_retrieval",
                "pages_show_list",
            ]
            .map(String::from)
            .to_vec(),
            businesses: Vec::new(),
            personal: Vec::new(),
        }
    }
}

/// What the OAuth dialog does when a browser reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Redirects at once with a code for this user.
    Approve { user_id: String },
    /// Redirects at once with Meta's `access_denied` error.
    Deny,
    /// Shows a page with Approve and Deny links, for a person in a browser.
    Ask { user_id: String },
}

#[derive(Debug, Clone)]
pub struct Token {
    pub user_id: String,
    pub app_id: String,
    pub kind: &'static str,
    /// Unix seconds; 0 never expires.
    pub expires_at: i64,
    pub data_access_expires_at: i64,
    pub issued_at: i64,
    pub scopes: Vec<String>,
    pub valid: bool,
    pub long_lived: bool,
}

#[derive(Debug, Clone)]
struct Code {
    user_id: String,
    redirect_uri: String,
    challenge: Option<String>,
    scopes: Vec<String>,
    issued: Instant,
    used: bool,
}

/// A fault to inject into answers.
#[derive(Debug, Clone)]
pub enum Fault {
    /// HTTP 500 with Meta's transient error (code 2).
    Transient,
    /// HTTP 503 with an HTML page, as a proxy in front of Meta would answer.
    Html,
    /// A 200 whose JSON body stops half-way.
    Truncated,
    /// A rate-limit error with this code (4, 17, 32, 613, 80000…).
    RateLimit(i64),
    /// Any Meta error.
    Error {
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
    },
    /// Answer only after this long.
    Delay(Duration),
    /// A 200 with this body verbatim (JSON of the wrong shape, say).
    Body(String),
}

/// A budget of calls per window; past it, every call fails with code 4.
#[derive(Debug, Clone)]
pub struct RateBudget {
    pub calls: u32,
    pub window: Duration,
    window_start: Instant,
    used: u32,
}

impl RateBudget {
    pub fn new(calls: u32, window: Duration) -> Self {
        Self {
            calls,
            window,
            window_start: Instant::now(),
            used: 0,
        }
    }
}

/// Everything the fake knows. Tests arrange and inspect it through [`FakeMeta::world`].
#[derive(Debug)]
pub struct World {
    pub app_id: String,
    pub app_secret: String,
    pub users: BTreeMap<String, User>,
    pub dialog: Dialog,
    /// Redirect URIs the app registered; empty accepts any.
    pub redirect_uris: Vec<String>,
    /// Scopes a Login for Business configuration grants, by config id.
    pub login_configs: HashMap<String, Vec<String>>,
    pub tokens: HashMap<String, Token>,
    codes: HashMap<String, Code>,
    pub require_appsecret_proof: bool,
    /// Added to every answer.
    pub latency: Duration,
    /// Faults for the next requests whose path contains the key, each used once.
    faults: Vec<(String, VecDeque<Fault>)>,
    pub rate_budget: Option<RateBudget>,
    /// Every HTTP request: "METHOD /path".
    pub requests: Vec<String>,
    /// Batch items served (each counts toward the rate budget).
    pub batch_items: usize,
    /// Code exchanges that sent a PKCE verifier.
    pub pkce_exchanges: usize,
    /// Whether the last dialog request carried config_id rather than scope.
    pub last_dialog_query: HashMap<String, String>,
    /// Tokens `fb_exchange_token` refuses to extend (it returns the same expiry).
    pub no_extension: bool,
}

impl Default for World {
    fn default() -> Self {
        Self {
            app_id: APP_ID.into(),
            app_secret: APP_SECRET.into(),
            users: BTreeMap::new(),
            dialog: Dialog::Deny,
            redirect_uris: Vec::new(),
            login_configs: HashMap::new(),
            tokens: HashMap::new(),
            codes: HashMap::new(),
            require_appsecret_proof: true,
            latency: Duration::ZERO,
            faults: Vec::new(),
            rate_budget: None,
            requests: Vec::new(),
            batch_items: 0,
            pkce_exchanges: 0,
            last_dialog_query: HashMap::new(),
            no_extension: false,
        }
    }
}

fn random_string(prefix: &str, len: usize) -> String {
    let mut rng = rand::thread_rng();
    let body: String = (0..len)
        .map(|_| rng.sample(rand::distributions::Alphanumeric) as char)
        .collect();
    format!("{prefix}{body}")
}

impl World {
    /// A world with one user who owns `businesses` business managers of
    /// `accounts` ad accounts each, plus two personal accounts, and a dialog
    /// that approves for that user.
    pub fn demo(businesses: usize, accounts: usize) -> Self {
        let mut world = World::default();
        let mut user = User::new("10001", "Ana Operator");
        for b in 0..businesses {
            let id = format!("{}", 5_000_000 + b);
            let owned = (0..accounts)
                .map(|a| {
                    AdAccount::new(format!("{}{:04}", 90 + b, a), format!("BM{b} account {a}"))
                })
                .collect();
            let client = vec![
                AdAccount::new(format!("{}9999", 70 + b), format!("BM{b} client account"))
                    .with_status(2),
            ];
            user.businesses.push(Business {
                id,
                name: format!("Business {b}"),
                owned,
                client,
            });
        }
        user.personal = vec![
            AdAccount::new("111", "Personal account"),
            AdAccount::new("112", "Closed personal").with_status(101),
        ];
        world.dialog = Dialog::Approve {
            user_id: user.id.clone(),
        };
        world.users.insert(user.id.clone(), user);
        world
    }

    /// Issues a token directly (as if obtained elsewhere), for `--with-token` and `import`.
    pub fn issue_token(
        &mut self,
        user_id: &str,
        kind: &'static str,
        expires_in: Option<i64>,
        scopes: &[&str],
    ) -> String {
        let token = random_string("EAAFake", 120);
        let now = now();
        self.tokens.insert(
            token.clone(),
            Token {
                user_id: user_id.into(),
                app_id: self.app_id.clone(),
                kind,
                expires_at: expires_in.map_or(0, |s| now + s),
                data_access_expires_at: now + DATA_ACCESS_SECONDS,
                issued_at: now,
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                valid: true,
                long_lived: true,
            },
        );
        token
    }

    /// Injects `fault` into the next `times` requests whose "METHOD /path"
    /// contains `path` (batch items are matched too, as "GET /v25.0/debug_token").
    pub fn fail_next(&mut self, path: &str, times: usize, fault: Fault) {
        let queue = std::iter::repeat_n(fault, times).collect();
        self.faults.push((path.to_owned(), queue));
    }

    fn take_fault(&mut self, path: &str) -> Option<Fault> {
        for (matcher, queue) in &mut self.faults {
            if path.contains(matcher.as_str()) {
                if let Some(fault) = queue.pop_front() {
                    return Some(fault);
                }
            }
        }
        None
    }

    /// Counts a call against the budget; false when it is spent.
    fn spend(&mut self) -> bool {
        let Some(budget) = &mut self.rate_budget else {
            return true;
        };
        if budget.window_start.elapsed() >= budget.window {
            budget.window_start = Instant::now();
            budget.used = 0;
        }
        budget.used += 1;
        budget.used <= budget.calls
    }

    fn usage_percent(&self) -> u32 {
        match &self.rate_budget {
            Some(b) => (b.used.min(b.calls) * 100 / b.calls.max(1)).min(100),
            None => 1,
        }
    }

    /// Drops every pending fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Every authorization code the dialog issued.
    pub fn codes(&self) -> Vec<String> {
        self.codes.keys().cloned().collect()
    }

    pub fn http_requests(&self, contains: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| r.contains(contains))
            .count()
    }
}

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

/// An answer before it becomes HTTP: status, JSON body, extra headers.
struct Answer {
    status: StatusCode,
    body: Value,
    location: Option<String>,
    html: Option<String>,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            location: None,
            html: None,
        }
    }

    fn error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Self {
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

    fn redirect(location: String) -> Self {
        Self {
            status: StatusCode::FOUND,
            body: Value::Null,
            location: Some(location),
            html: None,
        }
    }
}

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
    let answer = {
        let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
        route(&mut w, &method, &path, &params)
    };
    render(&world, answer)
}

fn render(world: &Shared, answer: Answer) -> Response {
    let usage = world.lock().map(|w| w.usage_percent()).unwrap_or(1);
    let mut headers = HeaderMap::new();
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

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Splits `/v25.0/rest` into the rest; the version must look like Meta's.
fn strip_version(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v")?;
    let (version, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let (major, minor) = version.split_once('.')?;
    (major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok()).then_some(rest)
}

fn route(w: &mut World, method: &Method, path: &str, params: &[(String, String)]) -> Answer {
    let Some(rest) = strip_version(path) else {
        return Answer::error(400, 2500, None, "Unknown path components");
    };
    let rest = rest.trim_end_matches('/');
    match (method.as_str(), rest) {
        ("GET", "dialog/oauth") => dialog(w, params),
        ("GET", "dialog/oauth/decide") => decide(w, params),
        ("GET", "oauth/access_token") => access_token(w, params),
        ("GET", "debug_token") => debug_token(w, params),
        ("POST", "") => batch(w, params),
        _ => {
            if !w.spend() {
                return Answer::error(400, 4, None, "(#4) Application request limit reached");
            }
            graph_call(w, method.as_str(), rest, params)
        }
    }
}

fn dialog(w: &mut World, params: &[(String, String)]) -> Answer {
    w.last_dialog_query = params.iter().cloned().collect();
    if param(params, "client_id") != Some(w.app_id.as_str()) {
        return Answer {
            html: Some("<h1>Invalid App ID</h1>".into()),
            ..Answer::error(400, 100, None, "Invalid App ID")
        };
    }
    let Some(redirect_uri) = param(params, "redirect_uri") else {
        return Answer {
            html: Some("<h1>redirect_uri missing</h1>".into()),
            ..Answer::error(400, 100, None, "redirect_uri")
        };
    };
    if !w.redirect_uris.is_empty() && !w.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Answer {
            html: Some("<h1>URL Blocked: the redirect URI is not whitelisted in the app's Client OAuth Settings.</h1>".into()),
            ..Answer::error(400, 191, None, "redirect_uri not allowed")
        };
    }
    match w.dialog.clone() {
        Dialog::Deny => deny_redirect(params),
        Dialog::Approve { user_id } => approve_redirect(w, params, &user_id),
        Dialog::Ask { user_id } => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            let user = w
                .users
                .get(&user_id)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            Answer {
                html: Some(format!(
                    "<!doctype html><h1>Fake Meta</h1><p>crm-meta asks for access as <b>{user}</b>.</p>\
                     <p><a href=\"decide?{query}&approve=1\">Continue</a> &middot; <a href=\"decide?{query}&approve=0\">Cancel</a></p>"
                )),
                ..Answer::ok(Value::Null)
            }
        }
    }
}

fn decide(w: &mut World, params: &[(String, String)]) -> Answer {
    let user_id = match &w.dialog {
        Dialog::Ask { user_id } | Dialog::Approve { user_id } => user_id.clone(),
        Dialog::Deny => return deny_redirect(params),
    };
    if param(params, "approve") == Some("1") {
        approve_redirect(w, params, &user_id)
    } else {
        deny_redirect(params)
    }
}

fn with_query(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return redirect_uri.to_owned(),
    };
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

fn deny_redirect(params: &[(String, String)]) -> Answer {
    let redirect_uri = param(params, "redirect_uri").unwrap_or_default();
    let state = param(params, "state").unwrap_or_default();
    Answer::redirect(with_query(
        redirect_uri,
        &[
            ("error", "access_denied"),
            ("error_code", "200"),
            ("error_description", "Permissions error"),
            ("error_reason", "user_denied"),
            ("state", state),
        ],
    ))
}

fn approve_redirect(w: &mut World, params: &[(String, String)], user_id: &str) -> Answer {
    let Some(user) = w.users.get(user_id) else {
        return Answer::error(500, 1, None, "fake: the dialog's user does not exist");
    };
    let requested: Vec<String> = match param(params, "config_id") {
        Some(config) => w.login_configs.get(config).cloned().unwrap_or_default(),
        None => param(params, "scope")
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect(),
    };
    let scopes = requested
        .into_iter()
        .filter(|s| user.grants.contains(s))
        .collect();
    let code = random_string("AQ", 200);
    w.codes.insert(
        code.clone(),
        Code {
            user_id: user_id.to_owned(),
            redirect_uri: param(params, "redirect_uri").unwrap_or_default().to_owned(),
            challenge: param(params, "code_challenge").map(str::to_owned),
            scopes,
            issued: Instant::now(),
            used: false,
        },
    );
    let redirect_uri = param(params, "redirect_uri").unwrap_or_default();
    let state = param(params, "state").unwrap_or_default();
    Answer::redirect(
        with_query(redirect_uri, &[("code", code.as_str()), ("state", state)]) + "#_=_",
    )
}

fn access_token(w: &mut World, params: &[(String, String)]) -> Answer {
    if param(params, "client_id") != Some(w.app_id.as_str()) {
        return Answer::error(
            400,
            101,
            None,
            "Error validating application. Invalid application ID.",
        );
    }
    if param(params, "client_secret") != Some(w.app_secret.as_str()) {
        return Answer::error(400, 1, None, "Error validating client secret.");
    }
    if param(params, "grant_type") == Some("fb_exchange_token") {
        let Some(old) = param(params, "fb_exchange_token")
            .and_then(|t| w.tokens.get(t))
            .cloned()
        else {
            return Answer::error(
                400,
                190,
                None,
                "Invalid OAuth access token - Cannot parse access token",
            );
        };
        if !old.valid {
            return Answer::error(
                400,
                190,
                Some(460),
                "Error validating access token: The session has been invalidated.",
            );
        }
        if old.expires_at != 0 && old.expires_at <= now() {
            return Answer::error(
                400,
                190,
                Some(463),
                "Error validating access token: Session has expired.",
            );
        }
        let expires_at = if w.no_extension {
            old.expires_at
        } else {
            now() + LONG_LIVED_SECONDS
        };
        let token = random_string("EAAFakeLong", 150);
        w.tokens.insert(
            token.clone(),
            Token {
                expires_at,
                long_lived: true,
                issued_at: now(),
                data_access_expires_at: now() + DATA_ACCESS_SECONDS,
                ..old
            },
        );
        return Answer::ok(
            json!({ "access_token": token, "token_type": "bearer", "expires_in": expires_at - now() }),
        );
    }
    let Some(code_value) = param(params, "code") else {
        return Answer::error(400, 100, None, "Missing authorization code");
    };
    let Some(code) = w.codes.get_mut(code_value) else {
        return Answer::error(400, 100, None, "Invalid verification code format.");
    };
    if code.used {
        return Answer::error(
            400,
            100,
            Some(36009),
            "This authorization code has been used.",
        );
    }
    if code.issued.elapsed() > Duration::from_secs(600) {
        return Answer::error(
            400,
            100,
            Some(36007),
            "This authorization code has expired.",
        );
    }
    if param(params, "redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Answer::error(
            400,
            100,
            Some(36008),
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        );
    }
    if let Some(challenge) = &code.challenge {
        let verifier = param(params, "code_verifier").unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
            return Answer::error(400, 100, None, "Invalid code verifier");
        }
    }
    code.used = true;
    let code = code.clone();
    if param(params, "code_verifier").is_some() {
        w.pkce_exchanges += 1;
    }
    let token = random_string("EAAFakeShort", 150);
    let now = now();
    w.tokens.insert(
        token.clone(),
        Token {
            user_id: code.user_id,
            app_id: w.app_id.clone(),
            kind: "USER",
            expires_at: now + SHORT_LIVED_SECONDS,
            data_access_expires_at: now + DATA_ACCESS_SECONDS,
            issued_at: now,
            scopes: code.scopes,
            valid: true,
            long_lived: false,
        },
    );
    Answer::ok(
        json!({ "access_token": token, "token_type": "bearer", "expires_in": SHORT_LIVED_SECONDS }),
    )
}

fn debug_token_data(w: &World, input: &str) -> Value {
    let Some(t) = w.tokens.get(input) else {
        return json!({ "is_valid": false, "scopes": [], "error": { "code": 190, "message": "Invalid OAuth access token." } });
    };
    let expired = t.expires_at != 0 && t.expires_at <= now();
    let mut data = json!({
        "app_id": t.app_id,
        "type": t.kind,
        "application": "CRM Ventas (fake)",
        "data_access_expires_at": t.data_access_expires_at,
        "expires_at": t.expires_at,
        "is_valid": t.valid && !expired,
        "issued_at": t.issued_at,
        "scopes": t.scopes,
        "granular_scopes": t.scopes.iter().filter(|s| s.starts_with("business") || s.starts_with("ads")).map(|s| {
            let targets: Vec<&str> = w.users.get(&t.user_id).map(|u| u.businesses.iter().map(|b| b.id.as_str()).collect()).unwrap_or_default();
            json!({ "scope": s, "target_ids": targets })
        }).collect::<Vec<_>>(),
        "user_id": t.user_id,
    });
    if expired {
        data["error"] = json!({ "code": 190, "subcode": 463, "message": format!("Session has expired on {}.", t.expires_at) });
    } else if !t.valid {
        data["error"] = json!({ "code": 190, "subcode": 460, "message": "The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons." });
    }
    data
}

fn debug_token(w: &mut World, params: &[(String, String)]) -> Answer {
    if !w.spend() {
        return Answer::error(400, 4, None, "(#4) Application request limit reached");
    }
    let app_token = format!("{}|{}", w.app_id, w.app_secret);
    if param(params, "access_token") != Some(app_token.as_str()) {
        return Answer::error(
            400,
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    let Some(input) = param(params, "input_token") else {
        return Answer::error(400, 100, None, "The parameter input_token is required");
    };
    Answer::ok(json!({ "data": debug_token_data(w, input) }))
}

/// The user behind a user token, checking validity, expiry and appsecret_proof.
fn authenticate(w: &World, params: &[(String, String)]) -> Result<Token, Answer> {
    let Some(token) = param(params, "access_token") else {
        return Err(Answer::error(
            400,
            2500,
            None,
            "An active access token must be used to query information about the current user.",
        ));
    };
    let Some(t) = w.tokens.get(token) else {
        return Err(Answer::error(
            400,
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        ));
    };
    if t.expires_at != 0 && t.expires_at <= now() {
        return Err(Answer::error(
            400,
            190,
            Some(463),
            "Error validating access token: Session has expired.",
        ));
    }
    if !t.valid {
        return Err(Answer::error(
            400,
            190,
            Some(460),
            "Error validating access token: The session has been invalidated.",
        ));
    }
    if w.require_appsecret_proof {
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(w.app_secret.as_bytes())
                .map_err(|_| Answer::error(500, 1, None, "hmac"))?;
            mac.update(token.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        };
        match param(params, "appsecret_proof") {
            None => {
                return Err(Answer::error(
                    400,
                    100,
                    None,
                    "API calls from the server require an appsecret_proof argument",
                ));
            }
            Some(proof) if proof != expected => {
                return Err(Answer::error(
                    400,
                    100,
                    None,
                    "Invalid appsecret_proof provided in the API argument",
                ));
            }
            Some(_) => {}
        }
    }
    Ok(t.clone())
}

fn graph_call(w: &mut World, method: &str, rest: &str, params: &[(String, String)]) -> Answer {
    let token = match authenticate(w, params) {
        Ok(t) => t,
        Err(answer) => return answer,
    };
    if (method, rest) == ("DELETE", "me/permissions") {
        for t in w
            .tokens
            .values_mut()
            .filter(|t| t.user_id == token.user_id && t.app_id == token.app_id)
        {
            t.valid = false;
        }
        return Answer::ok(json!({ "success": true }));
    }
    let Some(user) = w.users.get(&token.user_id) else {
        return Answer::error(400, 190, None, "Invalid OAuth access token.");
    };
    let lacks = |scope: &str| !token.scopes.iter().any(|s| s == scope);
    match (method, rest) {
        ("GET", "me") => Answer::ok(json!({ "id": user.id, "name": user.name })),
        ("GET", "me/businesses") => {
            if lacks("business_management") {
                return Answer::error(
                    403,
                    200,
                    None,
                    "(#200) Requires business_management permission to manage the object",
                );
            }
            page(
                rest,
                &user.businesses,
                |b| json!({ "id": b.id, "name": b.name }),
                params,
            )
        }
        ("GET", "me/adaccounts") => page(rest, &user.personal, AdAccount::json, params),
        ("GET", edge) => {
            let Some((bm, kind)) = edge.split_once('/') else {
                return Answer::error(400, 100, None, "Unsupported get request.");
            };
            let Some(business) = user.businesses.iter().find(|b| b.id == bm) else {
                return Answer::error(
                    400,
                    100,
                    Some(33),
                    "Unsupported get request. Object does not exist or cannot be loaded due to missing permissions.",
                );
            };
            let accounts = match kind {
                "owned_ad_accounts" => &business.owned,
                "client_ad_accounts" => &business.client,
                _ => return Answer::error(400, 100, None, "Tried accessing nonexisting field"),
            };
            page(rest, accounts, AdAccount::json, params)
        }
        _ => Answer::error(400, 100, None, "Unsupported request - method type"),
    }
}

/// One page of a list, with cursors; `next` only when more remain.
fn page<T>(
    rest: &str,
    items: &[T],
    to_json: impl Fn(&T) -> Value,
    params: &[(String, String)],
) -> Answer {
    let limit = param(params, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let offset = param(params, "after")
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let end = (offset + limit).min(items.len());
    let data: Vec<Value> = items
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(to_json)
        .collect();
    let cursor = |n: usize| URL_SAFE_NO_PAD.encode(n.to_string());
    let mut paging = json!({ "cursors": { "before": cursor(offset), "after": cursor(end) } });
    if end < items.len() {
        let mut next = url::Url::parse(&format!("https://graph.facebook.com/v25.0/{rest}")).ok();
        if let Some(next) = next.as_mut() {
            next.query_pairs_mut()
                .extend_pairs(params.iter().filter(|(k, _)| k != "after"))
                .append_pair("after", &cursor(end));
        }
        paging["next"] = json!(next.map(String::from));
    }
    Answer::ok(json!({ "data": data, "paging": paging }))
}

/// `POST /` with `batch=[{"method","relative_url"}]`: each item answered as
/// `{"code","headers","body":"<JSON string>"}`, in order; at most 50.
fn batch(w: &mut World, params: &[(String, String)]) -> Answer {
    let Some(items) =
        param(params, "batch").and_then(|b| serde_json::from_str::<Vec<Value>>(b).ok())
    else {
        return Answer::error(
            400,
            100,
            None,
            "The parameter batch is required and must be a JSON array",
        );
    };
    if items.len() > 50 {
        return Answer::error(
            400,
            1,
            None,
            "Batch requests cannot have more than 50 items",
        );
    }
    let outer_token = param(params, "access_token").map(str::to_owned);
    let outer_proof = param(params, "appsecret_proof").map(str::to_owned);
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        w.batch_items += 1;
        let method = item
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_uppercase();
        let relative = item
            .get("relative_url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
        let mut item_params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if param(&item_params, "access_token").is_none() {
            item_params.extend(outer_token.clone().map(|t| ("access_token".to_owned(), t)));
            item_params.extend(
                outer_proof
                    .clone()
                    .map(|p| ("appsecret_proof".to_owned(), p)),
            );
        }
        let path = format!("/{}", path.trim_start_matches('/'));
        let path = if strip_version(&path).is_some() {
            path
        } else {
            format!("/v25.0{path}")
        };
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let answer = match w.take_fault(&format!("{method} {path}")) {
            Some(Fault::RateLimit(code)) => {
                Answer::error(400, code, None, "(#4) Application request limit reached")
            }
            Some(Fault::Error {
                status,
                code,
                subcode,
                message,
            }) => Answer::error(status, code, subcode, &message),
            Some(_) => Answer::error(
                500,
                2,
                None,
                "An unexpected error has occurred. Please retry your request later.",
            ),
            // Each item counts against the budget (route spends it), as at Meta.
            None => route(w, &method, &path, &item_params),
        };
        answers.push(json!({
            "code": answer.status.as_u16(),
            "headers": [{ "name": "Content-Type", "value": "application/json" }],
            "body": answer.body.to_string(),
        }));
    }
    Answer::ok(Value::Array(answers))
}
