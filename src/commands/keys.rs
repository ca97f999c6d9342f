//! `crm-meta keys rotate [--dry-run]`: every stored token re-sealed under the
//! key in CRM_META_TOKEN_KEY, read with the one in CRM_META_TOKEN_KEY_OLD,
//! in one transaction.

use anyhow::Result;
use serde_json::json;

use super::Context;
use crate::crypto::{TokenCipher, TokenKey};
use crate::error::{ConfigError, Exit, UserError};
use crate::settings::DatabaseTarget;

pub async fn rotate(ctx: &Context, dry_run: bool) -> Result<Exit> {
    let target = ctx.database()?;
    let new_key = ctx.settings.explicit_token_key()?.ok_or_else(|| {
        ConfigError::new(
            "CRM_META_TOKEN_KEY",
            "not set; `keys rotate` re-encrypts every token under the key it names",
            "Set CRM_META_TOKEN_KEY to the new key (`openssl rand -base64 32`) and CRM_META_TOKEN_KEY_OLD to the current one.",
        )
    })?;
    // The embedded store's generated key is the old key unless one is named.
    let generated = matches!(target, DatabaseTarget::Sqlite { .. })
        && ctx.settings.generated_key_path().is_ok_and(|p| p.exists());
    let old_key = match ctx.settings.old_token_key()? {
        Some(old) => Some(old),
        None if generated => Some(TokenKey::load_file(
            &ctx.settings.generated_key_path()?,
            "CRM_META_TOKEN_KEY_OLD",
        )?),
        None => None,
    };
    let cipher = TokenCipher::new(new_key.clone()).with_old_key(old_key);
    let store = ctx.store(&target).await?;
    let by_key = store.key_ids().await?;
    let known = |id: &str| id == cipher.current_key_id() || Some(id) == cipher.old_key_id();
    if let Some((unknown, count)) = by_key.iter().find(|(id, _)| !known(id)) {
        return Err(UserError(format!(
            "{count} token(s) are sealed with key {unknown}, which is neither CRM_META_TOKEN_KEY ({}) nor CRM_META_TOKEN_KEY_OLD ({}); set CRM_META_TOKEN_KEY_OLD to that key",
            cipher.current_key_id(),
            cipher.old_key_id().unwrap_or("unset")
        ))
        .into());
    }
    let to_move: i64 = by_key
        .iter()
        .filter(|(id, _)| id != cipher.current_key_id())
        .map(|(_, n)| n)
        .sum();
    let total: i64 = by_key.iter().map(|(_, n)| n).sum();

    if dry_run {
        // Every token must open: a dry run that cannot read one says so now.
        store.tokens(&cipher).await?;
        store.close().await;
        if ctx.printer.is_json() {
            ctx.printer.json(&json!({ "dry_run": true, "to_key_id": cipher.current_key_id(), "tokens": total, "to_move": to_move }))?;
        } else {
            ctx.printer.line(format!(
                "Dry run: all {total} token(s) decrypt; {to_move} would move to key {}. Nothing was written.",
                cipher.current_key_id()
            ));
        }
        return Ok(Exit::Success);
    }

    let moved = store.rotate_keys(&cipher).await?;
    store.close().await;
    if generated {
        // The embedded store keeps working without the variable from now on.
        let path = ctx.settings.generated_key_path()?;
        new_key.write_file(&path).map_err(|e| {
            anyhow::anyhow!(
                "the tokens now use key {}, but {} could not be updated ({e}); keep CRM_META_TOKEN_KEY set",
                cipher.current_key_id(),
                path.display()
            )
        })?;
    }
    if ctx.printer.is_json() {
        ctx.printer.json(&json!({ "dry_run": false, "to_key_id": cipher.current_key_id(), "tokens": total, "moved": moved }))?;
    } else {
        ctx.printer.line(format!(
            "Re-encrypted {moved} of {total} token(s) under key {}.",
            cipher.current_key_id()
        ));
        if !generated {
            ctx.printer.note("Keep CRM_META_TOKEN_KEY set to the new key everywhere the store is used; CRM_META_TOKEN_KEY_OLD is no longer needed.");
        }
    }
    Ok(Exit::Success)
}
