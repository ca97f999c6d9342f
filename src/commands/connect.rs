//! `crm-meta connect --tenant N`: from a terminal to a verified, encrypted,
//! long-lived token stored for the tenant. Nothing is stored unless every
//! step succeeded; the store write and its audit row are one transaction.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

use super::{Chosen, Context};
use crate::assets::{self, Assets};
use crate::cli::ConnectArgs;
use crate::crypto::fingerprint;
use crate::error::Exit;
use crate::graph::versions::Clock;
use crate::oauth::loopback::{LoopbackListener, LoopbackTarget};
use crate::oauth::{AuthorizationRequest, Delivery, OAuthError, Permissions, parse_pasted};
use crate::output::{Printer, Report, date_with_distance};
use crate::settings::{DEFAULT_REDIRECT_URI, DEFAULT_SCOPES, split_list};
use crate::store::{AuditEntry, NewConnection, Selection, Tenant, Upserted};
use crate::token::verify::{TokenView, VerifiedToken, status_of, verify};
use crate::token::{DEFAULT_WARNING_DAYS, TokenStatus};

#[derive(Serialize)]
struct ConnectReport {
    #[serde(flatten)]
    token: TokenView,
    stored: bool,
    replaced: bool,
    business_manager_id: Option<String>,
    ad_account_id: Option<String>,
    #[serde(flatten)]
    assets: Assets,
    #[serde(skip)]
    tenant_name: String,
    #[serde(skip)]
    ad_account_name: Option<String>,
    page_id: Option<String>,
    #[serde(skip)]
    page_name: Option<String>,
}

impl Report for ConnectReport {
    fn exit(&self) -> Exit {
        if self.stored {
            Exit::Success
        } else {
            Exit::Problem
        }
    }

    fn show(&self, p: &Printer) {
        if !self.stored {
            return; // the refusal was said on stderr already
        }
        let view = &self.token;
        let now = chrono::Utc::now();
        let user = match &view.meta_user_name {
            Some(name) => format!(
                "{name} ({})",
                view.meta_user_id.as_deref().unwrap_or_default()
            ),
            None => view.meta_user_id.clone().unwrap_or_default(),
        };
        p.line(format!(
            "{} tenant {} ({}) to Meta user {user}.",
            if self.replaced {
                "Reconnected"
            } else {
                "Connected"
            },
            view.tenant_id,
            self.tenant_name
        ));
        p.line(format!(
            "  token        {} ({}), expires {}",
            view.token_fingerprint.as_deref().unwrap_or_default(),
            view.token_type.as_deref().unwrap_or("USER"),
            date_with_distance(view.expires_at, now)
        ));
        p.line(format!(
            "  data access  until {}",
            date_with_distance(view.data_access_expires_at, now)
        ));
        p.line(format!("  scopes       {}", view.scopes.join(", ")));
        if let (Some(id), Some(name)) = (&self.ad_account_id, &self.ad_account_name) {
            p.line(format!(
                "  ad account   {id} {name} (the CRM syncs this one)"
            ));
        }
        if let (Some(id), Some(name)) = (&self.page_id, &self.page_name) {
            p.line(format!(
                "  page         {id} {name} (its lead ads reach the CRM)"
            ));
        }
        if !view.missing_scopes.is_empty() {
            p.warn(format!(
                "stored without the required permission(s) {} (--yes)",
                view.missing_scopes.join(", ")
            ));
        }
        if !view.shared_with.is_empty() {
            let others: Vec<String> = view.shared_with.iter().map(i32::to_string).collect();
            p.warn(format!(
                "this Meta user is also connected to tenant(s) {}; revoking it for one (disconnect) invalidates the others' tokens too",
                others.join(", ")
            ));
        }
        if self.assets.ad_account_count() == 0 {
            p.warn("this Meta user reaches no ad accounts");
            return;
        }
        p.table(&super::accounts_table(
            &self.assets,
            self.ad_account_id.as_deref(),
        ));
    }
}

pub async fn run(ctx: &Context, args: ConnectArgs) -> Result<Exit> {
    // Every setting this command uses, checked before any I/O.
    let graph = ctx.graph(&Clock::BOTH)?;
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let redirect_uri = redirect_uri(args.redirect_uri.as_deref())?;
    // Where the browser's redirect lands on this machine; a redirect URI
    // no listener can serve is refused before anything happens.
    let listen_on = if args.no_browser || args.with_token {
        None
    } else {
        let relay_port = match args.loopback_port {
            Some(port) => port,
            None => ctx.settings.loopback_port()?,
        };
        Some(LoopbackTarget::for_redirect(&redirect_uri, relay_port)?)
    };
    let permissions = match args.config_id.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(id) => Permissions::ConfigId(id.trim().to_owned()),
        None => Permissions::Scopes(split_list(args.scopes.as_deref().unwrap_or(DEFAULT_SCOPES))),
    };
    let required = ctx.settings.required_scopes();
    let tenant_id = args.tenant.tenant;

    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring_for_writing(&store, keys).await?;
    let tenant = store.require_tenant(tenant_id).await?;
    let existing = store.connection_info(tenant_id).await?;
    if let Some(existing) = &existing {
        let question = format!(
            "Tenant {tenant_id} ({}) is already connected to Meta user {}. Replace that connection?",
            tenant.name, existing.meta_user_id
        );
        if !ctx.confirm(&question, "--yes")? {
            return Err(OAuthError::Cancelled.into());
        }
    }

    let (token, method) = if args.with_token {
        (super::read_token("--with-token").await?, "with_token")
    } else {
        let request = Arc::new(AuthorizationRequest::new(
            graph.endpoints(),
            graph.app_id(),
            &redirect_uri,
            &permissions,
            tenant_id,
            Duration::from_secs(args.timeout),
            if listen_on.is_some() {
                Delivery::Listener
            } else {
                Delivery::Paste
            },
        ));
        let code = match &listen_on {
            Some(target) => {
                authorize_in_browser(ctx, Arc::clone(&request), target, &tenant, args.timeout)
                    .await?
            }
            None => authorize_by_paste(&ctx.printer, &request, &tenant, args.timeout).await?,
        };
        ctx.printer
            .note("Authorized. Exchanging the code for a long-lived token…");
        let short = graph
            .exchange_code(&code, &request.redirect_uri, Some(&request.pkce_verifier))
            .await
            .context("exchanging the authorization code")?;
        let long = graph
            .long_lived_token(&short.access_token)
            .await
            .context("exchanging for a long-lived token")?;
        (
            long.access_token,
            if args.no_browser {
                "oauth_paste"
            } else {
                "oauth_loopback"
            },
        )
    };

    let verified = verify(&graph, token, &required)
        .await
        .context("checking the token with Meta")?;
    let shared_with = store
        .tenants_sharing_meta_user(&verified.meta_user_id, tenant_id)
        .await?;
    if !verified.missing_scopes.is_empty() && !ctx.yes {
        let view = TokenView::from_verified(
            tenant_id,
            TokenStatus::MissingScope,
            &verified,
            None,
            shared_with,
        );
        ctx.printer.error(format!(
            "the token lacks required permission(s): {}. Nothing was stored. \
             Run connect again and grant them in Meta's dialog, or pass --yes to store the token anyway.",
            view.missing_scopes.join(", ")
        ));
        return ctx.printer.finish(&ConnectReport {
            token: view,
            stored: false,
            replaced: false,
            business_manager_id: None,
            ad_account_id: None,
            assets: Assets::default(),
            tenant_name: tenant.name,
            ad_account_name: None,
            page_id: None,
            page_name: None,
        });
    }

    ctx.printer
        .note("Fetching business managers and ad accounts…");
    let (me, assets) = tokio::join!(
        graph.me(&verified.token),
        assets::fetch(&graph, &verified.token, None, assets::DEFAULT_CONCURRENCY)
    );
    let me = me.context("reading the Meta user")?;
    let assets = match assets {
        Ok(assets) => assets,
        // Stored anyway (--yes) without the scopes that list business assets.
        Err(e)
            if !verified.missing_scopes.is_empty()
                && e.api().is_some_and(|a| a.is_permission()) =>
        {
            ctx.printer.warn(format!(
                "business assets not readable without the missing permission(s): {e}"
            ));
            Assets::default()
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context("reading the Meta user's business assets"));
        }
    };

    // The wizard's last step, decided before anything is stored: a
    // --ad-account the token cannot reach stores nothing.
    let options = assets::reachable(&assets);
    let kept = existing
        .as_ref()
        .filter(|e| e.meta_user_id == verified.meta_user_id && args.choice.ad_account.is_none())
        .and_then(|e| e.ad_account_id.as_deref())
        .and_then(|id| options.iter().find(|o| o.account.id == id));
    let chosen = match kept {
        Some(kept) => Chosen::Picked(kept),
        None => ctx.choose_account(&options, &args.choice)?,
    };

    let selection = match &chosen {
        Chosen::Picked(picked) => Some(*picked),
        Chosen::Undecided(why) => {
            ctx.printer.note(format!(
                "No ad account chosen yet: {why}, or choose later with `crm-meta select --tenant {tenant_id}`."
            ));
            None
        }
    };
    // The Page whose leads reach the CRM, also decided before anything is
    // stored: a --page the user cannot advertise on stores nothing.
    let can_list_pages = verified.scopes.iter().any(|s| s == "pages_show_list");
    let pages = if can_list_pages || args.page.is_some() {
        super::select::pages_of(&graph, &verified.token, tenant_id).await?
    } else {
        Vec::new()
    };
    let page = match ctx.choose_page(&pages, args.page.as_deref())? {
        super::PagePick::Picked(page) => Some(page),
        super::PagePick::Undecided(why) => {
            ctx.printer.note(format!(
                "No Page chosen for lead ads: {why}; choose later with `crm-meta select --tenant {tenant_id} --page`."
            ));
            None
        }
    };
    // Token, check result, chosen account, Page and audit row: one transaction.
    let status = status_of(&verified, DEFAULT_WARNING_DAYS);
    let mut connection = new_connection(
        tenant_id,
        graph.version(),
        &verified,
        me.name.clone(),
        &assets,
    )?;
    connection.checked = Some(status);
    connection.selection = selection.map(|s| Selection {
        business_manager_id: s.business.map(|(id, _)| id.to_owned()),
        ad_account_id: s.account.id.clone(),
    });
    connection.page_id = page.map(|p| p.id.clone());
    let mut audit = connect_audit(
        tenant_id,
        method,
        &verified,
        &assets,
        connection.selection.as_ref(),
    );
    audit.detail["page_id"] = json!(connection.page_id);
    let replaced = store
        .upsert_connection(&cipher, &connection, &audit)
        .await?
        == Upserted::Updated;
    store.close().await;
    let report = ConnectReport {
        token: TokenView::from_verified(tenant_id, status, &verified, me.name, shared_with),
        stored: true,
        replaced,
        business_manager_id: selection.and_then(|s| s.business.map(|(id, _)| id.to_owned())),
        ad_account_id: selection.map(|s| s.account.id.clone()),
        ad_account_name: selection.map(|s| s.account.name.clone()),
        page_id: page.map(|p| p.id.clone()),
        page_name: page.map(|p| p.name.clone()),
        assets,
        tenant_name: tenant.name,
    };
    ctx.printer.finish(&report)
}

fn redirect_uri(flag_or_env: Option<&str>) -> Result<String> {
    let uri = flag_or_env
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_REDIRECT_URI);
    match url::Url::parse(uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(uri.to_owned()),
        _ => Err(crate::settings::ConfigError::new(
            "META_REDIRECT_URI",
            format!("`{uri}` is not an http(s) URL"),
            "Use the redirect URI registered on the Meta app: an https:// relay page (Live apps) or http://localhost:8765/callback (development mode).",
        )
        .into()),
    }
}

fn show_url(printer: &Printer, request: &AuthorizationRequest, tenant: &Tenant) {
    // Even with --quiet or --json: the browser may not appear.
    printer.instruct(format!(
        "To connect tenant {} ({}) to Meta, open this URL:\n\n  {}\n",
        tenant.id, tenant.name, request.url
    ));
}

async fn authorize_in_browser(
    ctx: &Context,
    request: Arc<AuthorizationRequest>,
    target: &LoopbackTarget,
    tenant: &Tenant,
    timeout: u64,
) -> Result<SecretString> {
    let interrupted = super::ctrl_c();
    let mut listener = LoopbackListener::start(Arc::clone(&request), target)?;
    show_url(&ctx.printer, &request, tenant);
    if let Err(e) = open_browser(&request.url, ctx.settings.browser()) {
        ctx.printer.warn(format!(
            "could not open a browser ({e}); open the URL above by hand"
        ));
    }
    ctx.printer.note(format!(
        "Waiting up to {timeout}s for Meta to redirect back (Ctrl-C cancels)…"
    ));
    let callback = tokio::select! {
        callback = listener.wait() => callback?,
        _ = tokio::time::sleep(Duration::from_secs(timeout)) => return Err(OAuthError::TimedOut(Duration::from_secs(timeout)).into()),
        _ = interrupted => return Err(OAuthError::Cancelled.into()),
    };
    listener.shutdown();
    Ok(callback.into_code()?)
}

async fn authorize_by_paste(
    printer: &Printer,
    request: &AuthorizationRequest,
    tenant: &Tenant,
    timeout: u64,
) -> Result<SecretString> {
    let interrupted = super::ctrl_c();
    show_url(printer, request, tenant);
    if request.redirect_uri.starts_with("https://") {
        printer.instruct(format!(
            "After approving, the browser lands on the relay page {}, which shows the address to copy.",
            request.redirect_uri
        ));
    } else {
        printer.instruct(format!(
            "After approving, the browser lands on {}.",
            request.redirect_uri
        ));
    }
    printer
        .instruct("Paste that whole address (it contains code= and state=) here and press Enter:");
    let mut line = String::new();
    let mut stdin =
        tokio::io::BufReader::new(tokio::io::stdin()).take(crate::oauth::MAX_QUERY_LEN as u64 * 2);
    let read = tokio::select! {
        read = stdin.read_line(&mut line) => read.context("reading the pasted URL")?,
        _ = tokio::time::sleep(Duration::from_secs(timeout)) => return Err(OAuthError::TimedOut(Duration::from_secs(timeout)).into()),
        _ = interrupted => return Err(OAuthError::Cancelled.into()),
    };
    if read == 0 {
        return Err(OAuthError::Cancelled.into());
    }
    let callback = parse_pasted(&line).map_err(OAuthError::from)?;
    Ok(request.redeem(callback)?)
}

/// `$BROWSER <url>` (with `%s` replaced, if present), else the system opener.
fn open_browser(url: &str, browser: Option<&str>) -> std::io::Result<()> {
    let Some(command) = browser else {
        return open::that_detached(url);
    };
    let mut parts = command.split_whitespace();
    let program = parts
        .next()
        .ok_or_else(|| std::io::Error::other("BROWSER is empty"))?;
    let mut args: Vec<String> = parts.map(|p| p.replace("%s", url)).collect();
    if !command.contains("%s") {
        args.push(url.to_owned());
    }
    std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}

/// The row `connect` stores for a verified token.
fn new_connection(
    tenant_id: i32,
    graph_api_version: &str,
    verified: &VerifiedToken,
    meta_user_name: Option<String>,
    assets: &Assets,
) -> Result<NewConnection> {
    Ok(NewConnection {
        tenant_id,
        access_token: verified.token.clone(),
        token_type: verified.token_type.clone(),
        expires_at: verified.expires_at,
        data_access_expires_at: verified.data_access_expires_at,
        scopes: verified.scopes.clone(),
        business_managers: serde_json::to_value(&assets.business_managers)?,
        meta_user_id: verified.meta_user_id.clone(),
        meta_user_name,
        graph_api_version: graph_api_version.to_owned(),
        checked: None,
        selection: None,
        page_id: None,
    })
}

/// The audit row of a connect: what was stored, never the token.
fn connect_audit(
    tenant_id: i32,
    method: &str,
    verified: &VerifiedToken,
    assets: &Assets,
    selection: Option<&Selection>,
) -> AuditEntry {
    AuditEntry::new(
        tenant_id,
        "connect",
        json!({
            "method": method,
            "token_fingerprint": fingerprint(&verified.token),
            "token_type": verified.token_type,
            "meta_user_id": verified.meta_user_id,
            "scopes": verified.scopes,
            "missing_scopes": verified.missing_scopes,
            "expires_at": verified.expires_at,
            "business_managers": assets.business_managers.len(),
            "ad_accounts": assets.ad_account_count(),
            "business_manager_id": selection.and_then(|s| s.business_manager_id.clone()),
            "ad_account_id": selection.map(|s| s.ad_account_id.clone()),
        }),
    )
}
