//! The fake's state: the [`World`] of users, businesses, ad accounts, tokens
//! and pending authorization codes, the dialog's behaviour, injected faults
//! and the rate budget, with the methods tests use to arrange and inspect it
//! (`demo`, `issue_token`, `fail_next`, ...). Nothing here speaks HTTP.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::{Value, json};

pub const APP_ID: &str = "1234567890";
pub const APP_SECRET: &str = "fakeappsecret0123456789abcdef";
/// Meta's "long-lived" lifetime, as its exchange reports it.
/// The Page of [`World::demo`]'s user.
pub const DEMO_PAGE_ID: &str = "200000001";
pub const LONG_LIVED_SECONDS: i64 = 5_183_944;
pub(crate) const DATA_ACCESS_SECONDS: i64 = 90 * 86_400;

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

    pub(crate) fn json(&self) -> Value {
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
                "pages_manage_metadata",
                "pages_read_engagement",
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
    /// A Page token: the Page it acts for (it dies with the user's token).
    pub page_id: Option<String>,
}

/// A Facebook Page, the users who have tasks on it, and the apps installed on it.
#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub category: String,
    /// User id → the tasks that user can perform (`ADVERTISE`, `MANAGE`, …).
    pub tasks: BTreeMap<String, Vec<String>>,
    /// App id → the webhook fields it is installed for.
    pub subscribed_apps: BTreeMap<String, Vec<String>>,
    /// Users the business's Leads Access Manager refuses.
    pub lead_access_denied: std::collections::BTreeSet<String>,
}

impl Page {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            category: "Retail Company".into(),
            tasks: BTreeMap::new(),
            subscribed_apps: BTreeMap::new(),
            lead_access_denied: Default::default(),
        }
    }

    /// Gives `user_id` these tasks on the Page.
    pub fn with_user(mut self, user_id: &str, tasks: &[&str]) -> Self {
        self.tasks.insert(
            user_id.to_owned(),
            tasks.iter().map(|t| (*t).to_owned()).collect(),
        );
        self
    }
}

/// Every task a Page admin has.
pub const ALL_PAGE_TASKS: [&str; 6] = [
    "ADVERTISE",
    "ANALYZE",
    "CREATE_CONTENT",
    "MESSAGING",
    "MODERATE",
    "MANAGE",
];

/// The app's own webhook subscription to one object's fields.
#[derive(Debug, Clone)]
pub struct AppSubscription {
    pub object: String,
    pub callback_url: String,
    pub active: bool,
    pub fields: Vec<String>,
}

/// An authorization code the dialog issued, awaiting its exchange.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) user_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) issued: Instant,
    pub(crate) used: bool,
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

    /// A window in which others already spent `used` calls.
    pub fn with_used(mut self, used: u32) -> Self {
        self.used = used;
        self
    }
}

/// Everything the fake knows. Tests arrange and inspect it through [`FakeMeta::world`](crate::FakeMeta::world).
#[derive(Debug)]
pub struct World {
    pub app_id: String,
    pub app_secret: String,
    pub users: BTreeMap<String, User>,
    pub dialog: Dialog,
    /// Redirect URIs the app registered; empty accepts any.
    pub redirect_uris: Vec<String>,
    /// A Live app: the dialog refuses every `http://` redirect URI (Meta
    /// allows `http://localhost` only in development mode), registered or not.
    pub live: bool,
    /// Scopes a Login for Business configuration grants, by config id.
    pub login_configs: HashMap<String, Vec<String>>,
    pub tokens: HashMap<String, Token>,
    pub(crate) codes: HashMap<String, Code>,
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
    /// Versions (`"v24.0"`) whose Marketing API calls (businesses, ad
    /// accounts) fail with #2635, as Meta's do once a version has ended.
    pub ads_versions_ended: Vec<String>,
    /// Versions whose Marketing API calls are served from a newer version
    /// with an `X-Ad-Api-Version-Warning` header instead.
    pub ads_versions_upgraded: Vec<String>,
    /// Added to the `Date` header of every answer (a server clock off by this).
    pub clock_skew_seconds: i64,
    /// The highest usage percentage any answer's `x-app-usage` reported.
    pub peak_usage_percent: u32,
    /// Pages by id.
    pub pages: BTreeMap<String, Page>,
    /// The app's webhook subscriptions (`GET /{app-id}/subscriptions`).
    pub app_subscriptions: Vec<AppSubscription>,
}

impl Default for World {
    fn default() -> Self {
        Self {
            app_id: APP_ID.into(),
            app_secret: APP_SECRET.into(),
            users: BTreeMap::new(),
            dialog: Dialog::Deny,
            redirect_uris: Vec::new(),
            live: false,
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
            ads_versions_ended: Vec::new(),
            ads_versions_upgraded: Vec::new(),
            clock_skew_seconds: 0,
            peak_usage_percent: 0,
            pages: BTreeMap::new(),
            app_subscriptions: Vec::new(),
        }
    }
}

pub(crate) fn random_string(prefix: &str, len: usize) -> String {
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
        // One Page the user runs, and the app subscribed to Pages' leadgen.
        let store = Page::new(DEMO_PAGE_ID, "Acme Store").with_user(&user.id, &ALL_PAGE_TASKS);
        world.pages.insert(store.id.clone(), store);
        world.app_subscriptions.push(AppSubscription {
            object: "page".into(),
            callback_url: "https://crm.example/webhooks/meta".into(),
            active: true,
            fields: vec!["leadgen".into()],
        });
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
                page_id: None,
            },
        );
        token
    }

    /// Injects `fault` into the next `times` requests whose "METHOD /path"
    /// contains `path` (batch items are matched too, as "GET /v27.0/debug_token").
    pub fn fail_next(&mut self, path: &str, times: usize, fault: Fault) {
        let queue = std::iter::repeat_n(fault, times).collect();
        self.faults.push((path.to_owned(), queue));
    }

    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
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
    pub(crate) fn spend(&mut self) -> bool {
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

    pub(crate) fn usage_percent(&self) -> u32 {
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
