//! The keys that encrypt tokens at rest: every key a stored row may still
//! use, and the one new writes use.
//!
//! Every sealed token names its key's id, so a row opens with the key it
//! names and a store may hold rows under several keys at once (a rotation
//! under way, a writer that loaded its key before a rotation). A key is
//! forgotten only by `keys rotate --prune`, once no row uses it.
//!
//! Where keys come from:
//! - the embedded store keeps them under `$CRM_META_HOME/keys/` (`<id>.key`,
//!   mode 0600 each, and `current` naming the current one); the single
//!   `token.key` of earlier releases is read as one more key, current until a
//!   rotation marks another;
//! - `CRM_META_TOKEN_KEY` (or `_FILE`) is the current key when set, and the
//!   only source of it on PostgreSQL;
//! - `CRM_META_TOKEN_KEYS_PREVIOUS` (or `_FILE`) and `CRM_META_TOKEN_KEY_OLD`
//!   add earlier keys.
//!
//! A missing key is an error, never a reason to make a new one: a key is
//! generated only for an embedded store with no key and no stored token.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::crypto::{CryptoError, SealedToken, TokenKey, sync_dir, write_private_durably};
use crate::settings::ConfigError;

/// The file under the keys directory that names the current key.
const CURRENT_MARKER: &str = "current";
/// The embedded store's key file of releases before the keyring.
const LEGACY_KEY_FILE: &str = "token.key";

/// The keys the settings name, before the embedded store's own are read.
#[derive(Debug, Default)]
pub struct KeySettings {
    /// `CRM_META_TOKEN_KEY` or `_FILE`, with the variable that named it.
    pub current: Option<(TokenKey, &'static str)>,
    /// `CRM_META_TOKEN_KEYS_PREVIOUS` (or `_FILE`) and `CRM_META_TOKEN_KEY_OLD`.
    pub previous: Vec<(TokenKey, &'static str)>,
    /// The embedded store's key directory; `None` on PostgreSQL.
    pub home: Option<KeyDir>,
}

impl KeySettings {
    /// PostgreSQL has no key directory: its current key must be configured.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.home.is_none() && self.current.is_none() {
            return Err(missing_postgres_key());
        }
        Ok(())
    }
}

/// PostgreSQL has no key directory: `CRM_META_TOKEN_KEY` is required.
pub(crate) fn missing_postgres_key() -> ConfigError {
    ConfigError::new(
        "CRM_META_TOKEN_KEY",
        "not set; a PostgreSQL store needs an explicit encryption key",
        "Set CRM_META_TOKEN_KEY to the base64 of 32 random bytes (`openssl rand -base64 32`), \
         or CRM_META_TOKEN_KEY_FILE to a file holding it; every machine sharing the database needs the same key.",
    )
}

/// One key the tool holds, and where it came from.
#[derive(Debug, Clone)]
pub struct HeldKey {
    pub key: TokenKey,
    /// A file path or the variable that supplied it, for `keys list` and errors.
    pub source: String,
    /// The file it was read from, if any (the embedded store's keys).
    pub path: Option<PathBuf>,
}

/// What the key directory holds.
#[derive(Debug, Default)]
pub struct DiskKeys {
    pub keys: Vec<HeldKey>,
    /// The id `keys/current` names, if the marker exists.
    pub current_id: Option<String>,
}

/// The embedded store's key directory, and the single key file of 0.1.0.
#[derive(Debug, Clone)]
pub struct KeyDir {
    keys: PathBuf,
    legacy: PathBuf,
}

impl KeyDir {
    /// The keys of the database at `database` under the home `home`: the
    /// default database keeps them in `$CRM_META_HOME/keys`; any other
    /// SQLite file beside itself (`<file>.keys`), so that two databases never
    /// share, or prune, each other's keys. `$CRM_META_HOME/token.key`, the
    /// one key of 0.1.0, is read by every embedded database and never pruned.
    pub fn for_database(home: &Path, database: &Path) -> Self {
        let keys = if database == home.join("crm-meta.db") {
            home.join("keys")
        } else {
            let mut name = database.as_os_str().to_owned();
            name.push(".keys");
            PathBuf::from(name)
        };
        Self {
            keys,
            legacy: home.join(LEGACY_KEY_FILE),
        }
    }

    /// The keys of the default database of `home`.
    pub fn new(home: &Path) -> Self {
        Self::for_database(home, &home.join("crm-meta.db"))
    }

    /// Where the key files live.
    pub fn path(&self) -> PathBuf {
        self.keys.clone()
    }

    /// Whether `held` is 0.1.0's shared key file, which prune leaves alone.
    pub fn is_legacy(&self, held: &HeldKey) -> bool {
        held.path.as_deref() == Some(self.legacy.as_path())
    }

    fn key_path(&self, id: &str) -> PathBuf {
        self.path().join(format!("{id}.key"))
    }

    fn unreadable(&self, e: impl std::fmt::Display) -> ConfigError {
        ConfigError::new(
            "CRM_META_HOME",
            format!(
                "cannot read the token keys in {}: {e}",
                self.path().display()
            ),
            "Make the directory readable by this user, or point CRM_META_HOME at the right one.",
        )
    }

    /// Reads every key file and the current marker.
    pub fn read(&self) -> Result<DiskKeys, ConfigError> {
        let mut disk = DiskKeys::default();
        let legacy = self.legacy.clone();
        if legacy.exists() {
            disk.keys.push(HeldKey {
                key: TokenKey::load_file(&legacy)
                    .map_err(|e| ConfigError::key("CRM_META_HOME", e))?,
                source: legacy.display().to_string(),
                path: Some(legacy),
            });
        }
        let dir = self.path();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(disk),
            Err(e) => return Err(self.unreadable(e)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "key"))
            .collect();
        paths.sort();
        for path in paths {
            let key =
                TokenKey::load_file(&path).map_err(|e| ConfigError::key("CRM_META_HOME", e))?;
            if !disk.keys.iter().any(|h| h.key.id() == key.id()) {
                disk.keys.push(HeldKey {
                    key,
                    source: path.display().to_string(),
                    path: Some(path),
                });
            }
        }
        match std::fs::read_to_string(dir.join(CURRENT_MARKER)) {
            Ok(text) => disk.current_id = Some(text.trim().to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.unreadable(e)),
        }
        Ok(disk)
    }

    /// The key the marker names, read afresh from disk.
    pub fn current_key(&self) -> Result<TokenKey, ConfigError> {
        let disk = self.read()?;
        let id = disk.current_id.as_deref();
        disk.keys
            .into_iter()
            .find(|h| Some(h.key.id()) == id)
            .map(|h| h.key)
            .ok_or_else(|| self.unreadable("no current key"))
    }

    /// Saves a key durably as `keys/<id>.key` (an existing file of that id is kept).
    pub fn save(&self, key: &TokenKey) -> std::io::Result<PathBuf> {
        let dir = self.path();
        crate::crypto::create_private_dir(&dir)?;
        let name = format!("{}.key", key.id());
        match write_private_durably(&dir, &name, key.file_contents().as_bytes(), false) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        Ok(dir.join(name))
    }

    /// Marks a saved key current, durably (a rename: readers see the old
    /// marker or the new one).
    pub fn mark_current(&self, id: &str) -> std::io::Result<()> {
        write_private_durably(
            &self.path(),
            CURRENT_MARKER,
            format!("{id}\n").as_bytes(),
            true,
        )
    }

    /// Saves a first key and marks it current unless another process marked
    /// one first; returns the key that is current afterwards.
    fn publish_first(&self, key: TokenKey) -> Result<TokenKey, ConfigError> {
        let cannot = |e: std::io::Error| {
            ConfigError::new(
                "CRM_META_HOME",
                format!(
                    "cannot create the token key in {}: {e}",
                    self.path().display()
                ),
                "Make CRM_META_HOME a writable directory, or set CRM_META_TOKEN_KEY.",
            )
        };
        self.save(&key).map_err(cannot)?;
        let marker = format!("{}\n", key.id());
        match write_private_durably(&self.path(), CURRENT_MARKER, marker.as_bytes(), false) {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A concurrent first run won; its key is current, ours unused.
                let _ = std::fs::remove_file(self.key_path(key.id()));
                self.current_key()
            }
            Err(e) => Err(cannot(e)),
        }
    }

    /// An exclusive lock on this directory's rotations, held until dropped.
    pub fn lock_rotation(&self) -> std::io::Result<std::fs::File> {
        crate::crypto::create_private_dir(&self.keys)?;
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(self.keys.join(".rotate.lock"))?;
        file.lock()?;
        Ok(file)
    }

    /// Deletes a key file durably.
    pub fn forget(&self, held: &HeldKey) -> std::io::Result<()> {
        if let Some(path) = &held.path {
            std::fs::remove_file(path)?;
            if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
        }
        Ok(())
    }
}

/// Every key the settings and the key directory supply, and which one is
/// current, read without generating anything (`keys list` shows this).
#[derive(Debug)]
pub struct Inventory {
    /// The current key's id: `CRM_META_TOKEN_KEY`'s, else the one the
    /// directory marks, else the legacy `token.key`'s. It may be missing.
    pub current: Option<String>,
    pub held: Vec<HeldKey>,
    pub dir: Option<KeyDir>,
}

impl Inventory {
    pub fn read(settings: &KeySettings) -> Result<Self, ConfigError> {
        let mut inventory = Self {
            current: settings.current.as_ref().map(|(k, _)| k.id().to_owned()),
            held: Vec::new(),
            dir: settings.home.clone(),
        };
        if let Some(dir) = &inventory.dir {
            // A key on disk is listed by its file, which outlives any variable.
            let disk = dir.read()?;
            let legacy = dir.legacy.clone();
            let marked = disk.current_id.clone().or_else(|| {
                disk.keys
                    .iter()
                    .find(|h| h.path.as_deref() == Some(legacy.as_path()))
                    .map(|h| h.key.id().to_owned())
            });
            inventory.current = inventory.current.or(marked);
            inventory.held = disk.keys;
        }
        let variables = settings.current.iter().chain(&settings.previous);
        for (key, variable) in variables {
            if !inventory.holds(key.id()) {
                inventory.held.push(HeldKey {
                    key: key.clone(),
                    source: (*variable).to_owned(),
                    path: None,
                });
            }
        }
        Ok(inventory)
    }

    pub fn holds(&self, id: &str) -> bool {
        self.held.iter().any(|h| h.key.id() == id)
    }
}

/// The keys this run holds: opens any row sealed under one of them, seals
/// new writes under the current one.
#[derive(Debug, Clone)]
pub struct Keyring {
    current: TokenKey,
    held: Vec<HeldKey>,
    dir: Option<KeyDir>,
}

impl Keyring {
    /// A keyring of one key that lives nowhere but here (tests, tools).
    pub fn new(current: TokenKey) -> Self {
        Self {
            held: vec![HeldKey {
                key: current.clone(),
                source: "given".into(),
                path: None,
            }],
            current,
            dir: None,
        }
    }

    /// Also opens rows sealed under `keys`.
    pub fn with_previous(mut self, keys: impl IntoIterator<Item = TokenKey>) -> Self {
        for key in keys {
            self.hold(HeldKey {
                key,
                source: "given".into(),
                path: None,
            });
        }
        self
    }

    fn hold(&mut self, held: HeldKey) {
        if !self.holds(held.key.id()) {
            self.held.push(held);
        }
    }

    /// Loads the keyring for a store whose rows use `usage` (key id, rows).
    ///
    /// PostgreSQL needs `CRM_META_TOKEN_KEY`. The embedded store reads its
    /// key directory; with no current key there, it generates one only when
    /// every stored row opens with the keys it holds (none, on a new store),
    /// and otherwise refuses, naming the key the rows need.
    pub fn load(settings: KeySettings, usage: &[(String, i64)]) -> Result<Self, ConfigError> {
        settings.check()?;
        let mut inventory = Inventory::read(&settings)?;
        if inventory.current.is_none() {
            let dir = inventory.dir.as_ref().ok_or_else(missing_postgres_key)?;
            // Never a new key next to tokens nobody could read any more.
            if let Some((id, _)) = usage.iter().find(|(id, _)| !inventory.holds(id)) {
                return Err(missing_key_error(dir, id, usage));
            }
            dir.publish_first(TokenKey::generate())?;
            inventory = Inventory::read(&settings)?;
        }
        let current_id = inventory.current.clone().unwrap_or_default();
        let current = inventory
            .held
            .iter()
            .find(|h| h.key.id() == current_id)
            .map(|h| h.key.clone());
        let Some(current) = current else {
            return Err(match &inventory.dir {
                Some(dir) => missing_key_error(dir, &current_id, usage),
                None => missing_postgres_key(),
            });
        };
        Ok(Self {
            current,
            held: inventory.held,
            dir: inventory.dir,
        })
    }

    /// The id of the key new writes use.
    pub fn current_key_id(&self) -> &str {
        self.current.id()
    }

    /// Every key held, the current one included.
    pub fn held(&self) -> &[HeldKey] {
        &self.held
    }

    /// Whether a key of this id is held.
    pub fn holds(&self, id: &str) -> bool {
        self.held.iter().any(|h| h.key.id() == id)
    }

    /// The embedded store's key directory, if this ring reads one.
    pub fn dir(&self) -> Option<&KeyDir> {
        self.dir.as_ref()
    }

    /// Where a key of this id would have to be, for error messages.
    fn expected(&self, id: &str) -> String {
        match &self.dir {
            Some(dir) => format!(
                "at {} (or in CRM_META_TOKEN_KEY / CRM_META_TOKEN_KEYS_PREVIOUS)",
                dir.key_path(id).display()
            ),
            None => "in CRM_META_TOKEN_KEY or CRM_META_TOKEN_KEYS_PREVIOUS".to_owned(),
        }
    }

    /// Decrypts a stored token with the key its id names.
    pub fn open(&self, tenant_id: i32, sealed: &SealedToken) -> Result<SecretString, CryptoError> {
        let held = self
            .held
            .iter()
            .find(|h| h.key.id() == sealed.key_id)
            .ok_or_else(|| CryptoError::MissingKey {
                tenant_id,
                key_id: sealed.key_id.clone(),
                expected: self.expected(&sealed.key_id),
            })?;
        held.key.open(tenant_id, sealed)
    }

    /// Encrypts a token under the key writes use now. The store calls this
    /// inside its write transaction, where a prune cannot run at the same
    /// time (see [`Keyring::write_key`]).
    pub fn seal(&self, tenant_id: i32, token: &SecretString) -> Result<SealedToken, CryptoError> {
        self.write_key()?.seal(tenant_id, token)
    }

    /// The key writes use. On the embedded store every row's key must be on
    /// disk, so: a current key from `CRM_META_TOKEN_KEY` is saved there first
    /// (not marked current); and if `keys rotate --prune` deleted the
    /// current key's file after this run loaded it, the key now marked
    /// current on disk is used instead, so no row is sealed under a
    /// forgotten key.
    pub fn write_key(&self) -> Result<Cow<'_, TokenKey>, CryptoError> {
        let Some(dir) = &self.dir else {
            return Ok(Cow::Borrowed(&self.current));
        };
        let gone = |reason: String| CryptoError::KeyGone {
            dir: dir.path().display().to_string(),
            reason,
        };
        let file = self
            .held
            .iter()
            .find(|h| h.key.id() == self.current.id())
            .and_then(|h| h.path.as_deref());
        match file {
            Some(path) if path.exists() => Ok(Cow::Borrowed(&self.current)),
            Some(_) => dir
                .current_key()
                .map(Cow::Owned)
                .map_err(|e| gone(e.problem)),
            None => {
                if !dir.key_path(self.current.id()).exists() {
                    dir.save(&self.current).map_err(|e| gone(e.to_string()))?;
                }
                Ok(Cow::Borrowed(&self.current))
            }
        }
    }
}

fn missing_key_error(dir: &KeyDir, id: &str, usage: &[(String, i64)]) -> ConfigError {
    let rows = usage
        .iter()
        .find(|(used, _)| used == id)
        .map_or(0, |(_, n)| *n);
    ConfigError::new(
        "CRM_META_HOME",
        format!(
            "token key {id} is missing: it was expected at {} and {rows} stored token(s) use it; no new key was generated",
            dir.key_path(id).display()
        ),
        "Restore the key file from a backup (or set CRM_META_TOKEN_KEY to that key); `crm-meta keys list` shows every key the rows need.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn home_settings(home: &Path) -> KeySettings {
        KeySettings {
            home: Some(KeyDir::new(home)),
            ..KeySettings::default()
        }
    }

    #[test]
    fn a_fresh_home_gets_one_private_marked_key() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::load(home_settings(dir.path()), &[]).unwrap();
        let again = Keyring::load(home_settings(dir.path()), &[]).unwrap();
        assert_eq!(ring.current_key_id(), again.current_key_id());
        let marker = std::fs::read_to_string(dir.path().join("keys/current")).unwrap();
        assert_eq!(marker.trim(), ring.current_key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir
                .path()
                .join(format!("keys/{}.key", ring.current_key_id()));
            assert_eq!(
                std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn rows_without_their_key_are_refused_not_rekeyed() {
        let dir = tempfile::tempdir().unwrap();
        let usage = vec![("0123456789abcdef".to_owned(), 3)];
        let err = Keyring::load(home_settings(dir.path()), &usage).unwrap_err();
        assert!(err.problem.contains("0123456789abcdef"), "{err}");
        assert!(err.problem.contains("3 stored token(s)"), "{err}");
        assert!(!dir.path().join("keys").exists(), "a key was generated");
    }

    #[test]
    fn each_row_opens_with_the_key_it_names() {
        let old = TokenKey::generate();
        let new = TokenKey::generate();
        let sealed_old = old.seal(1, &secret("a")).unwrap();
        let ring = Keyring::new(new.clone()).with_previous([old]);
        assert_eq!(ring.open(1, &sealed_old).unwrap().expose_secret(), "a");
        let sealed_new = ring.seal(2, &secret("b")).unwrap();
        assert_eq!(sealed_new.key_id, new.id());
        let err = Keyring::new(new).open(1, &sealed_old).unwrap_err();
        assert!(matches!(err, CryptoError::MissingKey { .. }), "{err}");
    }

    #[test]
    fn a_pruned_current_key_gives_way_to_the_one_marked_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let stale = Keyring::load(home_settings(dir.path()), &[]).unwrap();
        let keys = KeyDir::new(dir.path());
        let next = TokenKey::generate();
        keys.save(&next).unwrap();
        keys.mark_current(next.id()).unwrap();
        // Before the prune the stale run writes under its own, still present, key.
        assert_eq!(stale.write_key().unwrap().id(), stale.current_key_id());
        let old = stale.held()[0].clone();
        keys.forget(&old).unwrap();
        assert_eq!(stale.write_key().unwrap().id(), next.id());
    }
}
