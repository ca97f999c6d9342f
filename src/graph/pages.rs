//! The lead-ads calls: the user's Pages with their Page tokens, the Page's
//! `subscribed_apps` edge, lead access, and the app's own webhook
//! subscriptions. Page-token calls are signed with a proof of the Page token
//! (the transport computes `appsecret_proof` from the token it sends).

use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use super::transport::{Auth, decode};
use super::{GraphClient, GraphError};

/// A Page the user has a role on, from `GET /me/accounts`.
#[derive(Debug, Deserialize)]
pub struct ManagedPage {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
    /// What the user can do on the Page: `ADVERTISE`, `MANAGE`, …
    #[serde(default)]
    pub tasks: Vec<String>,
    /// The Page token for this user: used at once, never stored or shown.
    pub access_token: SecretString,
}

/// The task a user needs on a Page for its lead ads.
pub const LEADS_TASK: &str = "ADVERTISE";

impl ManagedPage {
    pub fn can_advertise(&self) -> bool {
        self.tasks.iter().any(|t| t == LEADS_TASK)
    }
}

/// An app installed on a Page, and the webhook fields it receives.
#[derive(Debug, Deserialize)]
pub struct InstalledApp {
    pub id: String,
    #[serde(default)]
    pub subscribed_fields: Vec<String>,
}

/// The Leads Access Manager's answer for one user on one Page.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct LeadAccess {
    pub can_access_lead: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_resolution: Option<String>,
}

/// One of the app's webhook subscriptions (`GET /{app-id}/subscriptions`).
#[derive(Debug, Deserialize)]
pub struct AppSubscription {
    pub object: String,
    #[serde(default)]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub fields: Vec<SubscribedField>,
}

#[derive(Debug, Deserialize)]
pub struct SubscribedField {
    pub name: String,
}

#[derive(Deserialize)]
struct Data<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
struct LeadAccessAnswer {
    has_lead_access: Option<LeadAccess>,
}

impl GraphClient {
    /// Every Page the token's user has a role on, with its Page token.
    pub async fn pages(&self, user_token: &SecretString) -> Result<Vec<ManagedPage>, GraphError> {
        self.get_all(
            "me/accounts",
            "id,name,category,tasks,access_token",
            user_token,
        )
        .await
    }

    /// The apps installed on a Page (asked with that Page's token).
    pub async fn installed_apps(
        &self,
        page_id: &str,
        page_token: &SecretString,
    ) -> Result<Vec<InstalledApp>, GraphError> {
        let path = format!("{page_id}/subscribed_apps");
        let answer: Data<InstalledApp> = self.get(&path, &[], page_token).await?;
        Ok(answer.data)
    }

    /// Installs this app on the Page for `fields` (sending it again is harmless).
    pub async fn install_on_page(
        &self,
        page_id: &str,
        page_token: &SecretString,
        fields: &[&str],
    ) -> Result<(), GraphError> {
        let path = format!("{page_id}/subscribed_apps");
        let fields = fields.join(",");
        let mut call = self.call(
            Method::POST,
            &path,
            &[("subscribed_fields", fields.as_str())],
            Auth::User(page_token),
        );
        call.idempotent = true;
        success(&path, self.execute(call).await?)
    }

    /// Removes this app from the Page.
    pub async fn remove_from_page(
        &self,
        page_id: &str,
        page_token: &SecretString,
    ) -> Result<(), GraphError> {
        let path = format!("{page_id}/subscribed_apps");
        let mut call = self.call(Method::DELETE, &path, &[], Auth::User(page_token));
        call.idempotent = true;
        success(&path, self.execute(call).await?)
    }

    /// Whether the Leads Access Manager lets `user_id` read the Page's leads.
    pub async fn lead_access(
        &self,
        page_id: &str,
        page_token: &SecretString,
        user_id: &str,
    ) -> Result<LeadAccess, GraphError> {
        let fields = format!("has_lead_access.user_id({user_id})");
        let answer: LeadAccessAnswer = self
            .get(page_id, &[("fields", fields.as_str())], page_token)
            .await?;
        answer
            .has_lead_access
            .ok_or_else(|| GraphError::Unexpected {
                endpoint: page_id.to_owned(),
                detail: "no has_lead_access in the answer".into(),
            })
    }

    /// The app's own webhook subscriptions, asked with the app token.
    pub async fn app_subscriptions(&self) -> Result<Vec<AppSubscription>, GraphError> {
        let path = format!("{}/subscriptions", self.app_id());
        let call = self.call(Method::GET, &path, &[], Auth::App);
        let answer: Data<AppSubscription> = decode(&path, self.execute(call).await?)?;
        Ok(answer.data)
    }
}

fn success(path: &str, value: Value) -> Result<(), GraphError> {
    if value.get("success").and_then(Value::as_bool) == Some(true) {
        Ok(())
    } else {
        Err(GraphError::Unexpected {
            endpoint: path.to_owned(),
            detail: "Meta did not answer success".into(),
        })
    }
}
