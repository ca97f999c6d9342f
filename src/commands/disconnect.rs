//! `crm-meta disconnect --tenant N [--keep-remote]`: remove the app from the
//! tenant's Page (when this tenant installed it and no other tenant uses the
//! Page), revoke the app at Meta, then delete the stored token. A failure at
//! Meta keeps the token.

use anyhow::{Context as _, Result};
use chrono::Utc;
use serde::Serialize;
use serde_json::json;

use super::Context;
use crate::cli::DisconnectArgs;
use crate::crypto::fingerprint;
use crate::error::{Exit, UserError};
use crate::graph::GraphClient;
use crate::graph::versions::Clock;
use crate::leads;
use crate::output::{Printer, Report};
use crate::store::{AuditEntry, Expected, Store, StoreError};
use secrecy::SecretString;

pub async fn run(ctx: &Context, args: DisconnectArgs) -> Result<Exit> {
    let tenant_id = args.tenant.tenant;
    let graph = if args.keep_remote {
        None
    } else {
        Some(ctx.graph(&[Clock::Graph])?)
    };
    let target = ctx.database()?;
    // --keep-remote never decrypts the token, so it needs no key.
    let keys = match graph {
        Some(_) => Some(ctx.key_settings(&target)?),
        None => None,
    };
    let store = ctx.store(&target).await?;
    let (info, stored_as, token, keyring) = match keys {
        Some(keys) => {
            let keyring = ctx.keyring(&store, keys).await?;
            let c = ctx.connection(&store, &keyring, tenant_id).await?;
            (c.info, c.stored_as, Some(c.access_token), Some(keyring))
        }
        None => {
            store.require_tenant(tenant_id).await?;
            let (info, stored_as) = store
                .connection_sealed(tenant_id)
                .await?
                .ok_or(crate::error::NotConnected { tenant_id })?;
            (info, stored_as, None, None)
        }
    };
    let meta_user = info.meta_user_id.clone();
    let shared_with = store
        .tenants_sharing_meta_user(&meta_user, tenant_id)
        .await?;

    let mut invalidated = Vec::new();
    let mut page_unsubscribed = None;
    if let (Some(graph), Some(token)) = (&graph, &token) {
        if !shared_with.is_empty() {
            let others = shared_with
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let warning = format!(
                "Meta user {meta_user} is also connected to tenant(s) {others}. Revoking removes the app for that user, \
                 so their tokens stop working too (use --keep-remote to delete only this tenant's token)."
            );
            ctx.printer.warn(&warning);
            if !ctx.yes && !ctx.printer.can_prompt() {
                ctx.printer
                    .error("refused without --yes: pass --yes to revoke anyway, or --keep-remote");
                return ctx.printer.finish(&Disconnected {
                    tenant_id,
                    disconnected: false,
                    revoked: false,
                    shared_with,
                    invalidated: Vec::new(),
                    page_unsubscribed: None,
                    meta_user_id: meta_user,
                });
            }
            if !ctx.confirm(
                &format!("Revoke for tenant {tenant_id} and invalidate tenant(s) {others} too?"),
                "--yes",
            )? {
                return Err(UserError("disconnect cancelled; nothing changed".into()).into());
            }
        }
        // First the Page this tenant installed the app on (a revoked user's
        // Page token no longer works), unless another tenant uses that Page.
        if let (Some(page_id), Some(_)) = (&info.page_id, info.page_subscribed_at) {
            page_unsubscribed = remove_from_page(ctx, graph, &store, tenant_id, token, page_id)
                .await?
                .then(|| page_id.clone());
        }
        if let Err(e) = graph.revoke_permissions(token).await {
            let already_dead = e.api().is_some_and(|a| a.is_token_problem());
            let hint = if already_dead {
                "the token is already invalid at Meta, so `--keep-remote` deletes it safely"
            } else {
                "the stored token was kept; try again later, or pass --keep-remote to delete it without revoking"
            };
            return Err(
                anyhow::Error::new(e).context(format!("revoking the app at Meta failed ({hint})"))
            );
        }
        invalidated = shared_with.clone();
    }

    let detail = json!({
        "revoked": graph.is_some(),
        "meta_user_id": meta_user,
        "token_fingerprint": token.as_ref().map(fingerprint),
        "invalidated_tenants": invalidated,
        "page_unsubscribed": page_unsubscribed,
    });
    // Meta has revoked the user's app: the tenants sharing that user are
    // cut off whatever happens to this tenant's row.
    if !invalidated.is_empty() {
        let reason = |other: i32| {
            AuditEntry::new(
                other,
                "invalidate",
                json!({ "reason": "revoked_for_shared_meta_user", "revoked_by_tenant": tenant_id, "meta_user_id": meta_user }),
            )
        };
        store.mark_invalid(&invalidated, Utc::now(), reason).await?;
    }
    // Deletes only the token that was read (and revoked): a connection that
    // a concurrent connect put in its place stays. Re-encryption by a key
    // rotation meanwhile is no change: the token itself is compared.
    let expected = match (&token, &keyring) {
        (Some(token), Some(keyring)) => Expected::Token(token, keyring),
        _ => Expected::Stored(&stored_as),
    };
    let deleted = store
        .delete_connection(
            tenant_id,
            expected,
            &AuditEntry::new(tenant_id, "disconnect", detail),
        )
        .await;
    match deleted {
        Err(changed @ StoreError::ConnectionChanged(_)) if graph.is_some() => {
            store.close().await;
            return Err(anyhow::Error::new(changed).context(
                "the app was revoked at Meta for the token that was read, but the connection was replaced meanwhile; \
                 run `crm-meta test-connection --tenant N` to see whether the new token still works",
            ));
        }
        other => other.context("deleting the stored token")?,
    }
    store.close().await;

    ctx.printer.finish(&Disconnected {
        tenant_id,
        disconnected: true,
        revoked: graph.is_some(),
        shared_with,
        invalidated,
        page_unsubscribed,
        meta_user_id: meta_user,
    })
}

/// Removes the app from the tenant's Page unless another tenant uses it.
/// Returns whether it was removed; Meta failing to answer keeps everything.
async fn remove_from_page(
    ctx: &Context,
    graph: &GraphClient,
    store: &Store,
    tenant_id: i32,
    token: &SecretString,
    page_id: &str,
) -> Result<bool> {
    let others = store.tenants_on_page(page_id, tenant_id).await?;
    if !others.is_empty() {
        let others: Vec<String> = others.iter().map(i32::to_string).collect();
        ctx.printer.note(format!(
            "The app stays on Page {page_id}: tenant(s) {} use it too.",
            others.join(", ")
        ));
        return Ok(false);
    }
    let page_token = match leads::page_token(graph, token, page_id).await {
        Ok(Ok(page_token)) => page_token,
        Ok(Err(refused)) => {
            ctx.printer
                .warn(format!("the app stays on Page {page_id}: {}", refused.0));
            return Ok(false);
        }
        Err(e)
            if e.api()
                .is_some_and(|a| a.is_token_problem() || a.is_permission()) =>
        {
            ctx.printer.warn(format!(
                "the app stays on Page {page_id}: the token cannot ask for the Page's token ({e})"
            ));
            return Ok(false);
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(
                "reading the tenant's Pages failed; nothing changed (try again, or pass --keep-remote)",
            ));
        }
    };
    graph
        .remove_from_page(page_id, &page_token)
        .await
        .context("removing the app from the tenant's Page failed; nothing changed (try again, or pass --keep-remote)")?;
    Ok(true)
}

#[derive(Serialize)]
struct Disconnected {
    tenant_id: i32,
    disconnected: bool,
    revoked: bool,
    shared_with: Vec<i32>,
    invalidated: Vec<i32>,
    /// The Page the app was removed from first, if any.
    page_unsubscribed: Option<String>,
    #[serde(skip)]
    meta_user_id: String,
}

impl Report for Disconnected {
    fn exit(&self) -> Exit {
        if self.disconnected {
            Exit::Success
        } else {
            Exit::Problem
        }
    }

    fn show(&self, out: &Printer) {
        if !self.disconnected {
            return; // the refusal was said on stderr already
        }
        let how = if self.revoked {
            "revoked the app at Meta and deleted"
        } else {
            "deleted (not revoked at Meta)"
        };
        out.line(format!(
            "Disconnected tenant {}: {how} its token.",
            self.tenant_id
        ));
        if let Some(page_id) = &self.page_unsubscribed {
            out.line(format!("Removed the app from Page {page_id}."));
        }
        if !self.invalidated.is_empty() {
            let others = self
                .invalidated
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            out.line(format!(
                "Marked tenant(s) {others} invalid: they shared Meta user {}.",
                self.meta_user_id
            ));
        }
    }
}
