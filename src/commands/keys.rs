//! `crm-meta keys list` and `crm-meta keys rotate [--dry-run] [--prune]`.
//!
//! Rotation never strands a token: the new key is saved durably and marked
//! current before any row changes; rows then move in batches, each row by
//! compare-and-swap; old keys stay until `--prune` sees, with writers held
//! off, that no row uses them. Killed at any instant, every row still opens
//! with the keys on disk, and running it again completes.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::crypto::TokenKey;
use crate::error::{Exit, UserError};
use crate::keyring::{Inventory, Keyring};
use crate::output::{Printer, Report, new_table};
use crate::settings::{ConfigError, DatabaseTarget};

/// Rows re-encrypted per transaction.
const BATCH: usize = 500;
/// Passes over the table: a writer that loaded an old key before the
/// rotation may add a row under it behind the first pass.
const PASSES: usize = 3;

#[derive(Serialize)]
struct KeyView {
    key_id: String,
    current: bool,
    present: bool,
    /// The file or variable that supplies it; null when missing.
    source: Option<String>,
    rows: i64,
}

#[derive(Serialize)]
struct KeysReport {
    keys: Vec<KeyView>,
}

/// `keys list`: needs no key to be valid, and generates none.
pub async fn list(ctx: &Context) -> Result<Exit> {
    let target = ctx.database()?;
    let settings = ctx.settings.key_settings(&target)?;
    // Listing creates nothing: an embedded store not made yet has no rows.
    let usage = match &target {
        DatabaseTarget::Sqlite { path } if !path.exists() => Vec::new(),
        _ => {
            let store = ctx.store(&target).await?;
            let usage = store.key_ids().await?;
            store.close().await;
            usage
        }
    };
    let inventory = Inventory::read(&settings)?;
    let mut keys: Vec<KeyView> = inventory
        .held
        .iter()
        .map(|h| KeyView {
            key_id: h.key.id().to_owned(),
            current: inventory.current.as_deref() == Some(h.key.id()),
            present: true,
            source: Some(h.source.clone()),
            rows: 0,
        })
        .collect();
    let missing_current = inventory.current.as_ref().filter(|id| !inventory.holds(id));
    for id in missing_current
        .into_iter()
        .chain(usage.iter().map(|(id, _)| id))
    {
        if !keys.iter().any(|k| &k.key_id == id) {
            keys.push(KeyView {
                key_id: id.clone(),
                current: inventory.current.as_ref() == Some(id),
                present: false,
                source: None,
                rows: 0,
            });
        }
    }
    for key in &mut keys {
        key.rows = usage
            .iter()
            .find(|(id, _)| *id == key.key_id)
            .map_or(0, |(_, n)| *n);
    }
    keys.sort_by(|a, b| b.current.cmp(&a.current).then(a.key_id.cmp(&b.key_id)));
    ctx.printer.finish(&KeysReport { keys })
}

impl KeysReport {
    /// Keys that stored tokens use but crm-meta does not hold.
    fn missing(&self) -> usize {
        self.keys
            .iter()
            .filter(|k| !k.present && k.rows > 0)
            .count()
    }
}

impl Report for KeysReport {
    fn exit(&self) -> Exit {
        if self.missing() > 0 {
            Exit::Problem
        } else {
            Exit::Success
        }
    }

    fn show(&self, out: &Printer) {
        let mut table = new_table(["KEY ID", "CURRENT", "PRESENT", "TOKENS", "SOURCE"]);
        for k in &self.keys {
            table.add_row([
                k.key_id.clone(),
                if k.current { "yes" } else { "" }.to_owned(),
                if k.present { "yes" } else { "MISSING" }.to_owned(),
                k.rows.to_string(),
                k.source.clone().unwrap_or_default(),
            ]);
        }
        out.table(&table);
        let missing = self.missing();
        if missing > 0 {
            out.warn(format!(
                "{missing} key(s) that stored tokens use are missing: restore them (key file or CRM_META_TOKEN_KEYS_PREVIOUS) before those tenants can be used"
            ));
        }
    }
}

#[derive(Serialize)]
struct RotateReport {
    dry_run: bool,
    /// The key every token is (or would be) under afterwards.
    to_key_id: String,
    tokens: i64,
    /// Rows not yet under that key (dry run) …
    #[serde(skip_serializing_if = "Option::is_none")]
    to_move: Option<i64>,
    /// … or moved by this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    moved: Option<usize>,
    /// Key files deleted by `--prune` (or that it would delete).
    pruned: Vec<String>,
    /// Keys from variables that no row uses any more: remove them there.
    unused_variables: Vec<String>,
}

pub async fn rotate(ctx: &Context, dry_run: bool, prune: bool) -> Result<Exit> {
    let target = ctx.database()?;
    let settings = ctx.key_settings(&target)?;
    let store = ctx.store(&target).await?;
    let usage = store.key_ids().await?;
    let inventory = Inventory::read(&settings)?;
    if let Some((id, count)) = usage.iter().find(|(id, _)| !inventory.holds(id)) {
        return Err(UserError(format!(
            "{count} token(s) are sealed with key {id}, which crm-meta does not hold; nothing was changed. \
             Restore it (its key file, or CRM_META_TOKEN_KEYS_PREVIOUS) and run `crm-meta keys rotate` again; \
             `crm-meta keys list` shows every key the rows need"
        ))
        .into());
    }
    let total: i64 = usage.iter().map(|(_, n)| n).sum();

    // The new current key: the variable's when set (a no-op if it already
    // is current), else a fresh one for the embedded store.
    let new_key = match (&settings.current, &inventory.dir) {
        (Some((key, _)), _) => key.clone(),
        (None, Some(_)) => TokenKey::generate(),
        // `key_settings` already refused this; the same error, should it not.
        (None, None) => return Err(crate::keyring::missing_postgres_key().into()),
    };
    if dry_run {
        // Every row must open now; a dry run that cannot read one says so.
        // Nothing is written, not even a key.
        let keyring = Keyring::new(new_key.clone())
            .with_previous(inventory.held.iter().map(|h| h.key.clone()));
        store.tokens(&keyring).await?;
        let to_move: i64 = usage
            .iter()
            .filter(|(id, _)| *id != new_key.id())
            .map(|(_, n)| n)
            .sum();
        store.close().await;
        let report = RotateReport {
            dry_run: true,
            to_key_id: new_key.id().to_owned(),
            tokens: total,
            to_move: Some(to_move),
            moved: None,
            pruned: Vec::new(),
            unused_variables: Vec::new(),
        };
        return ctx.printer.finish(&report);
    }

    // One rotation at a time per key directory: a second one waits, so it
    // never prunes the key the first has just made current.
    let _rotating = match &inventory.dir {
        Some(dir) => Some(
            dir.lock_rotation()
                .map_err(|e| cannot_save(dir.path(), e))?,
        ),
        None => None,
    };
    if let Some(dir) = &inventory.dir {
        dir.save(&new_key).map_err(|e| cannot_save(dir.path(), e))?;
        crash_point("key_saved");
        dir.mark_current(new_key.id())
            .map_err(|e| cannot_save(dir.path(), e))?;
        crash_point("key_marked");
    }
    let keyring = Keyring::load(settings, &usage)?;
    let mut moved = 0;
    for _ in 0..PASSES {
        let mut after = 0;
        while let Some((last, n)) = store.reseal_batch(&keyring, after, BATCH).await? {
            moved += n;
            after = last;
            crash_point("batch");
        }
        let usage = store.key_ids().await?;
        let writes_under = keyring.write_key()?.id().to_owned();
        if usage.iter().all(|(id, _)| *id == writes_under) {
            break;
        }
    }

    let (mut pruned, mut unused_variables) = (Vec::new(), Vec::new());
    if prune {
        let current = keyring.current_key_id().to_owned();
        let dir = keyring.dir().cloned();
        let forgotten = store
            .with_writes_held(|usage| -> std::io::Result<()> {
                // Whatever the directory marks current now is kept too.
                let marked = dir
                    .as_ref()
                    .and_then(|d| d.read().ok())
                    .and_then(|disk| disk.current_id);
                for held in keyring.held() {
                    let id = held.key.id();
                    if id == current
                        || marked.as_deref() == Some(id)
                        || usage.iter().any(|(used, _)| used == id)
                    {
                        continue;
                    }
                    match (&held.path, &dir) {
                        // 0.1.0's single key file may serve other databases.
                        (Some(_), Some(dir)) if dir.is_legacy(held) => {
                            unused_variables.push(format!(
                                "{id} ({}; kept: other databases may use it)",
                                held.source
                            ));
                        }
                        (Some(_), Some(dir)) => {
                            crash_point("prune");
                            dir.forget(held)?;
                            pruned.push(id.to_owned());
                        }
                        _ => unused_variables.push(format!("{id} ({})", held.source)),
                    }
                }
                Ok(())
            })
            .await?;
        forgotten?;
    }
    let remaining: i64 = store
        .key_ids()
        .await?
        .iter()
        .filter(|(id, _)| id != keyring.current_key_id())
        .map(|(_, n)| n)
        .sum();
    store.close().await;
    let report = RotateReport {
        dry_run: false,
        to_key_id: keyring.current_key_id().to_owned(),
        tokens: total,
        to_move: None,
        moved: Some(moved),
        pruned,
        unused_variables,
    };
    ctx.printer.finish(&report)?;
    if remaining > 0 {
        // Writers that loaded an old key kept adding rows under it.
        ctx.printer.warn(format!(
            "{remaining} token(s) were written under an older key while this ran; run `crm-meta keys rotate` again"
        ));
        return Ok(Exit::Problem);
    }
    Ok(Exit::Success)
}

impl Report for RotateReport {
    fn show(&self, out: &Printer) {
        if self.dry_run {
            out.line(format!(
                "Dry run: all {} token(s) decrypt; {} would move to key {}. Nothing was written.",
                self.tokens,
                self.to_move.unwrap_or(0),
                self.to_key_id
            ));
            return;
        }
        out.line(format!(
            "Re-encrypted {} of {} token(s) under key {}.",
            self.moved.unwrap_or(0),
            self.tokens,
            self.to_key_id
        ));
        if !self.pruned.is_empty() {
            out.line(format!("Forgot unused key(s): {}.", self.pruned.join(", ")));
        }
        for key in &self.unused_variables {
            out.note(format!(
                "No token uses key {key} any more; remove it from that variable."
            ));
        }
    }
}

fn cannot_save(dir: std::path::PathBuf, e: std::io::Error) -> anyhow::Error {
    ConfigError::new(
        "CRM_META_HOME",
        format!(
            "cannot save the new key in {}: {e}; no token was changed",
            dir.display()
        ),
        "Free some space or fix the directory's permissions, then run `crm-meta keys rotate` again.",
    )
    .into()
}

/// A test hook: `CRM_META_CRASH_AT=<point>` aborts the process at that point
/// of a rotation, as a power cut or SIGKILL would, so the tests can check
/// that every point leaves the store readable.
fn crash_point(point: &str) {
    if std::env::var("CRM_META_CRASH_AT").is_ok_and(|at| at == point) {
        std::process::abort();
    }
}
