//! Pages and lead ads: `GET /me/accounts` (each Page the user has a task on,
//! with a Page token issued for that user), the Page's `subscribed_apps`
//! edge (GET, POST, DELETE, with that Page's token and `pages_manage_metadata`),
//! `has_lead_access` (the Leads Access Manager's answer for a user), and the
//! app's own webhook subscriptions (`GET /{app-id}/subscriptions`, app token).

use serde_json::{Value, json};

use crate::answer::{Answer, param};
use crate::world::{Page, Token, World, now, random_string};

fn no_such_object(id: &str) -> Answer {
    Answer::error(
        400,
        100,
        Some(33),
        &format!(
            "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
        ),
    )
}

fn requires(scope: &str) -> Answer {
    Answer::error(
        403,
        200,
        None,
        &format!("(#200) Requires {scope} permission to manage the object"),
    )
}

/// `GET /me/accounts`: the user's Pages, each with a fresh Page token that
/// lives as long as the user token it came from.
pub(crate) fn accounts(w: &mut World, user_token: &Token, params: &[(String, String)]) -> Answer {
    if !user_token.scopes.iter().any(|s| s == "pages_show_list") {
        return requires("pages_show_list");
    }
    let pages: Vec<Page> = w
        .pages
        .values()
        .filter(|p| p.tasks.contains_key(&user_token.user_id))
        .cloned()
        .collect();
    let mut items = Vec::with_capacity(pages.len());
    for page in &pages {
        let token = random_string("EAAPage", 40);
        w.tokens.insert(
            token.clone(),
            Token {
                kind: "PAGE",
                page_id: Some(page.id.clone()),
                expires_at: 0,
                issued_at: now(),
                ..user_token.clone()
            },
        );
        items.push(json!({
            "id": page.id,
            "name": page.name,
            "category": page.category,
            "tasks": page.tasks[&user_token.user_id],
            "access_token": token,
        }));
    }
    crate::graph::page("me/accounts", &items, Value::clone, params)
}

/// A Page's edges and fields, for a Page or user token.
pub(crate) fn page_call(
    w: &mut World,
    token: &Token,
    method: &str,
    page_id: &str,
    edge: Option<&str>,
    params: &[(String, String)],
) -> Option<Answer> {
    let page = w.pages.get(page_id)?;
    let page_token = token.page_id.as_deref() == Some(page_id);
    let answer = match (method, edge) {
        (_, Some("subscribed_apps")) if !page_token => Answer::error(
            400,
            210,
            None,
            "(#210) A page access token is required to request this resource.",
        ),
        ("GET", Some("subscribed_apps")) => {
            let data: Vec<Value> = page
                .subscribed_apps
                .iter()
                .map(|(app, fields)| json!({ "id": app, "name": "CRM Ventas (fake)", "subscribed_fields": fields }))
                .collect();
            Answer::ok(json!({ "data": data }))
        }
        ("POST", Some("subscribed_apps")) => {
            if !token.scopes.iter().any(|s| s == "pages_manage_metadata") {
                return Some(requires("pages_manage_metadata"));
            }
            let fields: Vec<String> = param(params, "subscribed_fields")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            if fields.is_empty() {
                return Some(Answer::error(
                    400,
                    100,
                    None,
                    "(#100) The parameter subscribed_fields is required",
                ));
            }
            let app = token.app_id.clone();
            if let Some(page) = w.pages.get_mut(page_id) {
                page.subscribed_apps.insert(app, fields);
            }
            Answer::ok(json!({ "success": true }))
        }
        ("DELETE", Some("subscribed_apps")) => {
            if !token.scopes.iter().any(|s| s == "pages_manage_metadata") {
                return Some(requires("pages_manage_metadata"));
            }
            let app = token.app_id.clone();
            if let Some(page) = w.pages.get_mut(page_id) {
                page.subscribed_apps.remove(&app);
            }
            Answer::ok(json!({ "success": true }))
        }
        ("GET", None) => {
            if !page_token && !page.tasks.contains_key(&token.user_id) {
                return Some(no_such_object(page_id));
            }
            let fields = param(params, "fields").unwrap_or("id,name");
            let mut answer = json!({ "id": page.id });
            for field in fields.split(',') {
                if field == "name" {
                    answer["name"] = json!(page.name);
                } else if let Some(user) = field
                    .strip_prefix("has_lead_access.user_id(")
                    .and_then(|rest| rest.strip_suffix(')'))
                {
                    if !token.scopes.iter().any(|s| s == "leads_retrieval") {
                        return Some(requires("leads_retrieval"));
                    }
                    answer["has_lead_access"] = if page.lead_access_denied.contains(user) {
                        json!({
                            "can_access_lead": false,
                            "failure_reason": "The user is not assigned lead access in the Leads Access Manager.",
                            "failure_resolution": "Ask a Page admin to assign this user in Leads Access Manager.",
                        })
                    } else {
                        json!({ "can_access_lead": true })
                    };
                }
            }
            Answer::ok(answer)
        }
        _ => Answer::error(400, 100, None, "Unsupported request - method type"),
    };
    Some(answer)
}

/// `GET /{app-id}/subscriptions` with the app token.
pub(crate) fn app_subscriptions(w: &World, app_id: &str, params: &[(String, String)]) -> Answer {
    let token = param(params, "access_token").unwrap_or_default();
    let app_secret_token = format!("{}|{}", w.app_id, w.app_secret);
    let is_app_token = token == app_secret_token
        || w.tokens
            .get(token)
            .is_some_and(|t| t.kind == "APP" && t.app_id == w.app_id);
    if !is_app_token || app_id != w.app_id {
        return Answer::error(
            400,
            190,
            None,
            "Invalid OAuth access token - an app access token is required",
        );
    }
    let data: Vec<Value> = w
        .app_subscriptions
        .iter()
        .map(|s| {
            json!({
                "object": s.object,
                "callback_url": s.callback_url,
                "active": s.active,
                "fields": s.fields.iter().map(|f| json!({ "name": f, "version": "v27.0" })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Answer::ok(json!({ "data": data }))
}
