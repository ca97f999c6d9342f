//! Lead ads into the CRM, without terminal code: which Page a tenant's
//! leads come from, what a connection needs for them (permissions, the
//! `ADVERTISE` task, the app installed on the Page for `leadgen`, lead
//! access, the app's own `page`/`leadgen` webhook subscription), and the
//! check of all of it for one tenant.

use secrecy::SecretString;
use serde::Serialize;

use crate::error::UserError;
use crate::graph::pages::{LEADS_TASK, ManagedPage};
use crate::graph::{GraphClient, GraphError};

/// The webhook field that carries new leads.
pub const LEADGEN: &str = "leadgen";

/// The permissions Meta's lead-ads guide requires of the connected user.
pub const PERMISSIONS: [&str; 5] = [
    "ads_management",
    "leads_retrieval",
    "pages_manage_metadata",
    "pages_read_engagement",
    "pages_show_list",
];

/// The lead-ads permissions `scopes` lacks.
pub fn missing_permissions(scopes: &[String]) -> Vec<String> {
    PERMISSIONS
        .iter()
        .filter(|p| !scopes.iter().any(|s| s == *p))
        .map(|p| (*p).to_owned())
        .collect()
}

/// How a tenant's Page was decided.
pub enum PageChoice<'a> {
    Picked(&'a ManagedPage),
    /// No Page the user can advertise on.
    NoneEligible,
    /// Several: someone must pick.
    Several(Vec<&'a ManagedPage>),
}

/// Resolves `--page ID`, or the only Page the user can advertise on.
/// Refuses a Page the user has no role on, or one without `ADVERTISE`.
pub fn choose_page<'a>(
    pages: &'a [ManagedPage],
    requested: Option<&str>,
) -> Result<PageChoice<'a>, UserError> {
    let eligible: Vec<&ManagedPage> = pages.iter().filter(|p| p.can_advertise()).collect();
    let Some(id) = requested else {
        return Ok(match eligible.as_slice() {
            [] => PageChoice::NoneEligible,
            [only] => PageChoice::Picked(only),
            _ => PageChoice::Several(eligible),
        });
    };
    let Some(page) = pages.iter().find(|p| p.id == id) else {
        let known = if pages.is_empty() {
            "it has a role on none".to_owned()
        } else {
            let ids: Vec<String> = pages
                .iter()
                .map(|p| format!("{} {}", p.id, p.name))
                .collect();
            format!("its Pages are: {}", ids.join(", "))
        };
        return Err(UserError(format!(
            "Page {id} is not one this tenant's Meta user has a role on ({known}); \
             pick one of them, or connect with a user who manages Page {id}"
        )));
    };
    if !page.can_advertise() {
        return Err(UserError(format!(
            "the Meta user cannot perform the {LEADS_TASK} task on Page {} ({}) (its tasks: {}); \
             a Page admin must give it {LEADS_TASK} in the Page's settings, or choose another Page",
            page.id,
            page.name,
            if page.tasks.is_empty() {
                "none".to_owned()
            } else {
                page.tasks.join(", ")
            }
        )));
    }
    Ok(PageChoice::Picked(page))
}

/// The user's Page token for `page_id`, asked for now (never stored).
pub async fn page_token(
    graph: &GraphClient,
    user_token: &SecretString,
    page_id: &str,
) -> Result<Result<SecretString, UserError>, GraphError> {
    let pages = graph.pages(user_token).await?;
    Ok(match choose_page(&pages, Some(page_id)) {
        Ok(PageChoice::Picked(page)) => Ok(page.access_token.clone()),
        Ok(_) => Err(UserError(format!("Page {page_id} not found"))),
        Err(e) => Err(e),
    })
}

/// The leads checks of one tenant, as `leads status` reports them.
#[derive(Debug, Clone, Serialize)]
pub struct LeadsCheck {
    pub tenant_id: i32,
    pub page_id: Option<String>,
    /// The app is installed on the Page with `leadgen`.
    pub page_subscribed: bool,
    /// The fields the app is installed for on the Page.
    pub subscribed_fields: Vec<String>,
    /// The Leads Access Manager's answer for the connected user (`null`
    /// when it could not be asked).
    pub has_lead_access: Option<bool>,
    pub missing_permissions: Vec<String>,
    /// The app subscribes to the `page` object's `leadgen` field.
    pub app_subscription: bool,
    /// `ok`, `incomplete` (a check failed) or `unreachable` (Meta could not be asked).
    pub status: &'static str,
    /// Each failed check, with what to do.
    pub problems: Vec<String>,
}

/// What one tenant's check starts from.
pub struct LeadsInput<'a> {
    pub tenant_id: i32,
    pub token: &'a SecretString,
    pub meta_user_id: &'a str,
    pub page_id: Option<&'a str>,
    /// The token's granted scopes from `debug_token`, or why they are unknown.
    pub scopes: Result<Vec<String>, GraphError>,
}

/// Checks one tenant's lead flow. `app_subscription` is the app-level
/// answer, asked once per run. Meta failing to answer makes it `unreachable`.
pub async fn check(
    graph: &GraphClient,
    input: LeadsInput<'_>,
    app_subscription: Result<bool, GraphError>,
) -> LeadsCheck {
    let tenant_id = input.tenant_id;
    let mut c = LeadsCheck {
        tenant_id,
        page_id: input.page_id.map(str::to_owned),
        page_subscribed: false,
        subscribed_fields: Vec::new(),
        has_lead_access: None,
        missing_permissions: Vec::new(),
        app_subscription: false,
        status: "ok",
        problems: Vec::new(),
    };
    let mut unreachable = false;
    let mut meta_failed = |c: &mut LeadsCheck, what: &str, e: GraphError| {
        if e.is_unreachable() {
            unreachable = true;
        }
        c.problems.push(format!("{what}: {e}"));
    };
    match app_subscription {
        Ok(true) => c.app_subscription = true,
        Ok(false) => c.problems.push(
            "the app is not subscribed to the page object's leadgen field with an active callback (App Dashboard → Webhooks)".into(),
        ),
        Err(e) => meta_failed(&mut c, "reading the app's webhook subscriptions", e),
    }
    match input.scopes {
        Ok(scopes) => {
            c.missing_permissions = missing_permissions(&scopes);
            if !c.missing_permissions.is_empty() {
                c.problems.push(format!(
                    "the token lacks {}: run `crm-meta connect --tenant {tenant_id}` and grant them",
                    c.missing_permissions.join(", ")
                ));
            }
        }
        Err(e) => meta_failed(&mut c, "checking the token", e),
    }
    let Some(page_id) = input.page_id else {
        c.problems.push(format!(
            "no Page chosen: run `crm-meta select --tenant {tenant_id} --page`"
        ));
        return c.finish(unreachable);
    };
    if c.missing_permissions.iter().any(|p| p == "pages_show_list") {
        return c.finish(unreachable);
    }
    let page_token = match page_token(graph, input.token, page_id).await {
        Ok(Ok(token)) => token,
        Ok(Err(refused)) => {
            c.problems.push(refused.0);
            return c.finish(unreachable);
        }
        Err(e) => {
            meta_failed(&mut c, "listing the user's Pages", e);
            return c.finish(unreachable);
        }
    };
    let (installed, access) = tokio::join!(
        graph.installed_apps(page_id, &page_token),
        graph.lead_access(page_id, &page_token, input.meta_user_id)
    );
    match installed {
        Ok(apps) => {
            if let Some(app) = apps.iter().find(|a| a.id == graph.app_id()) {
                c.subscribed_fields = app.subscribed_fields.clone();
            }
            c.page_subscribed = c.subscribed_fields.iter().any(|f| f == LEADGEN);
            if !c.page_subscribed {
                c.problems.push(format!(
                    "the app is not installed on Page {page_id} for leadgen: run `crm-meta leads subscribe --tenant {tenant_id}`"
                ));
            }
        }
        Err(e) => meta_failed(&mut c, "reading the Page's installed apps", e),
    }
    match access {
        Ok(access) => {
            c.has_lead_access = Some(access.can_access_lead);
            if !access.can_access_lead {
                let why = [access.failure_reason, access.failure_resolution]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                c.problems.push(format!(
                    "the Leads Access Manager refuses Meta user {}: {}",
                    input.meta_user_id,
                    if why.is_empty() {
                        "a Page admin must assign the user in Leads Access Manager".to_owned()
                    } else {
                        crate::text::clean_line(&why).into_owned()
                    }
                ));
            }
        }
        // Without leads_retrieval Meta refuses the question; that is reported above.
        Err(e)
            if e.api().is_some_and(|a| a.is_permission()) && !c.missing_permissions.is_empty() => {}
        Err(e) => meta_failed(&mut c, "asking for lead access", e),
    }
    c.finish(unreachable)
}

impl LeadsCheck {
    fn finish(mut self, unreachable: bool) -> Self {
        self.status = if unreachable {
            "unreachable"
        } else if self.problems.is_empty() {
            "ok"
        } else {
            "incomplete"
        };
        self
    }
}

/// Whether the app subscribes, with an active callback, to Pages' `leadgen`.
pub async fn app_subscribed(graph: &GraphClient) -> Result<bool, GraphError> {
    let subscriptions = graph.app_subscriptions().await?;
    Ok(subscriptions
        .iter()
        .any(|s| s.object == "page" && s.active && s.fields.iter().any(|f| f.name == LEADGEN)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(id: &str, tasks: &[&str]) -> ManagedPage {
        ManagedPage {
            id: id.into(),
            name: format!("Page {id}"),
            category: None,
            tasks: tasks.iter().map(|t| (*t).to_owned()).collect(),
            access_token: SecretString::from(format!("page-token-{id}")),
        }
    }

    #[test]
    fn the_only_page_the_user_can_advertise_on_is_chosen() {
        let pages = [page("1", &["ANALYZE"]), page("2", &["ADVERTISE", "MANAGE"])];
        assert!(matches!(choose_page(&pages, None), Ok(PageChoice::Picked(p)) if p.id == "2"));
        let more = [page("1", &["ADVERTISE"]), page("2", &["ADVERTISE"])];
        assert!(matches!(choose_page(&more, None), Ok(PageChoice::Several(v)) if v.len() == 2));
        assert!(matches!(
            choose_page(&[page("1", &["ANALYZE"])], None),
            Ok(PageChoice::NoneEligible)
        ));
    }

    #[test]
    fn a_page_without_advertise_or_of_another_user_is_refused_by_name() {
        let pages = [page("1", &["ANALYZE"])];
        let e = choose_page(&pages, Some("1")).err().unwrap();
        assert!(
            e.0.contains("ADVERTISE") && e.0.contains("ANALYZE"),
            "{}",
            e.0
        );
        let e = choose_page(&pages, Some("9")).err().unwrap();
        assert!(
            e.0.contains("Page 9") && e.0.contains("1 Page 1"),
            "{}",
            e.0
        );
        assert!(!e.0.contains("page-token"), "a Page token leaked");
    }

    #[test]
    fn missing_permissions_are_named() {
        let scopes: Vec<String> = ["ads_management", "leads_retrieval", "pages_show_list"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            missing_permissions(&scopes),
            vec!["pages_manage_metadata", "pages_read_engagement"]
        );
    }
}
