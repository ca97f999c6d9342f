//! Encryption of tokens at rest and the small hashes around it.
//!
//! Tokens are sealed with AES-256-GCM under a fresh random nonce per write.
//! The tenant id is the associated data, so a ciphertext copied onto another
//! tenant's row does not decrypt. Each sealed token carries the id of its key
//! (a hash of the key, never the key), so the keyring opens each row with the
//! key it names. There is no plaintext fallback anywhere. Which keys exist and
//! which is current is [`crate::keyring`]'s business.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;
/// Version prefix of sealed tokens, so the format can change later.
const SEALED_PREFIX: &str = "v1:";

/// A key that cannot be used. The caller names the setting it came from.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("is not the base64 of 32 bytes{}", in_file(.path))]
    NotAKey { path: Option<std::path::PathBuf> },
    #[error("cannot read {}: {source}", .path.display())]
    Unreadable {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("key file {} is readable by other users (mode {mode:o})", .path.display())]
    NotPrivate { path: std::path::PathBuf, mode: u32 },
}

fn in_file(path: &Option<std::path::PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" (in {})", p.display()))
        .unwrap_or_default()
}

impl KeyError {
    /// What to do about it.
    pub fn fix(&self) -> String {
        match self {
            KeyError::NotAKey { .. } => "Generate one with `openssl rand -base64 32`.".into(),
            KeyError::Unreadable { .. } => "Point it at a readable key file.".into(),
            KeyError::NotPrivate { path, .. } => format!("Run `chmod 600 {}`.", path.display()),
        }
    }
}

/// A 256-bit key that encrypts tokens at rest.
#[derive(Clone)]
pub struct TokenKey {
    key: Key<Aes256Gcm>,
    id: String,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    fn from_bytes(bytes: &[u8; 32]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"crm-meta token key id\0")
            .chain_update(bytes)
            .finalize();
        Self {
            key: *Key::<Aes256Gcm>::from_slice(bytes),
            id: hex::encode(&digest[..8]),
        }
    }

    /// Decodes base64 of exactly 32 bytes.
    pub fn from_base64(value: &str) -> Result<Self, KeyError> {
        BASE64
            .decode(value.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(|b| Self::from_bytes(&b))
            .ok_or(KeyError::NotAKey { path: None })
    }

    /// A short, stable id for this key (first 8 bytes of a hash of it).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads a key file, refusing one that group or others can read.
    pub fn load_file(path: &Path) -> Result<Self, KeyError> {
        check_private(path)?;
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        Self::from_base64(&text).map_err(|_| KeyError::NotAKey {
            path: Some(path.to_owned()),
        })
    }

    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        Self::from_bytes(&random_bytes::<32>())
    }

    /// The key's file contents: base64 and a newline.
    pub(crate) fn file_contents(&self) -> String {
        format!("{}\n", BASE64.encode(self.key.as_slice()))
    }
}

/// Writes `contents` to `dir/name` so that a crash at any instant leaves
/// either the old file or the complete new one, and the new one survives a
/// power loss once this returns: a private (0600) temporary file is written
/// and fsynced, then renamed over the name (or linked to it when `replace` is
/// false, which fails if the name exists), then the directory is fsynced.
pub fn write_private_durably(
    dir: &Path,
    name: &str,
    contents: &[u8],
    replace: bool,
) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    let published = written.and_then(|()| {
        if replace {
            std::fs::rename(&tmp, dir.join(name))
        } else {
            std::fs::hard_link(&tmp, dir.join(name))
        }
    });
    let _ = std::fs::remove_file(&tmp);
    published?;
    sync_dir(dir)
}

/// Makes a directory's entries (a new, renamed or removed file) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Creates a directory (and parents) readable by its owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The mode of a directory that group or others can enter, if it is one.
pub fn shared_dir_mode(dir: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
        (mode & 0o011 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Refuses a secret file that group or others can read.
pub fn check_private(path: &Path) -> Result<(), KeyError> {
    let meta = std::fs::metadata(path).map_err(|source| KeyError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(KeyError::NotPrivate {
                path: path.to_owned(),
                mode: mode & 0o777,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// A token that cannot be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "the token of tenant {tenant_id} was encrypted with key {key_id}, which crm-meta does not hold; \
         it was expected {expected}. Restore that key (a backup of the key file, or the variable it was set in); \
         nothing was changed and no new key was made"
    )]
    MissingKey {
        tenant_id: i32,
        key_id: String,
        expected: String,
    },
    #[error(
        "the stored token of tenant {tenant_id} is corrupted (it does not authenticate under key {key_id}); reconnect the tenant with `crm-meta connect --tenant {tenant_id}`"
    )]
    Corrupted { tenant_id: i32, key_id: String },
    /// Only for inputs beyond AES-GCM's limits (64 GiB); never stored as plaintext instead.
    #[error("the token of tenant {tenant_id} could not be encrypted; nothing was stored")]
    Seal { tenant_id: i32 },
    /// The embedded store's current key vanished from disk and none replaced it.
    #[error("the current token key is gone from {dir}: {reason}; nothing was stored")]
    KeyGone { dir: String, reason: String },
}

impl CryptoError {
    pub fn kind(&self) -> &'static str {
        match self {
            CryptoError::MissingKey { .. } | CryptoError::KeyGone { .. } => "missing_key",
            CryptoError::Corrupted { .. } => "corrupted_token",
            CryptoError::Seal { .. } => "encryption_failed",
        }
    }
}

/// A token as stored: ciphertext and the id of the key that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedToken {
    pub ciphertext: String,
    pub key_id: String,
}

fn aad(tenant_id: i32) -> Vec<u8> {
    format!("crm-meta/meta_tokens/{tenant_id}").into_bytes()
}

impl TokenKey {
    /// Encrypts a token for a tenant under this key, with a fresh nonce.
    pub fn seal(&self, tenant_id: i32, token: &SecretString) -> Result<SealedToken, CryptoError> {
        let cipher = Aes256Gcm::new(&self.key);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = aad(tenant_id);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: token.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Seal { tenant_id })?;
        Ok(SealedToken {
            ciphertext: format!(
                "{SEALED_PREFIX}{}",
                BASE64.encode([nonce.as_slice(), &ciphertext].concat())
            ),
            key_id: self.id.clone(),
        })
    }

    /// Decrypts a token this key sealed.
    pub fn open(&self, tenant_id: i32, sealed: &SealedToken) -> Result<SecretString, CryptoError> {
        let corrupted = || CryptoError::Corrupted {
            tenant_id,
            key_id: sealed.key_id.clone(),
        };
        let bytes = sealed
            .ciphertext
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b64| BASE64.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(corrupted)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let aad = aad(tenant_id);
        let plain = Aes256Gcm::new(&self.key)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| corrupted())?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| corrupted())
    }
}

/// A short, non-reversible name for a token, safe to print and log.
pub fn fingerprint(token: &SecretString) -> String {
    let digest = Sha256::digest(token.expose_secret().as_bytes());
    format!("sha256:{}", hex::encode(&digest[..6]))
}

/// Fills a buffer from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> TokenKey {
        TokenKey::from_bytes(&[byte; 32])
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn seal_then_open_round_trips_with_fresh_nonces() {
        let key = key(1);
        let a = key.seal(7, &secret("EAAB-token")).unwrap();
        let b = key.seal(7, &secret("EAAB-token")).unwrap();
        assert_ne!(a.ciphertext, b.ciphertext, "nonce reused");
        assert!(!a.ciphertext.contains("EAAB"));
        assert_eq!(a.key_id, key.id());
        assert_eq!(key.open(7, &a).unwrap().expose_secret(), "EAAB-token");
    }

    #[test]
    fn a_ciphertext_is_bound_to_its_tenant_and_key() {
        let sealed = key(1).seal(7, &secret("t")).unwrap();
        assert!(matches!(
            key(1).open(8, &sealed),
            Err(CryptoError::Corrupted { .. })
        ));
        assert!(key(2).open(7, &sealed).is_err());
    }

    #[test]
    fn tampering_is_detected() {
        let key = key(1);
        let mut sealed = key.seal(7, &secret("token")).unwrap();
        sealed.ciphertext.replace_range(10..12, "AA");
        assert!(key.open(7, &sealed).is_err());
        sealed.ciphertext = "plaintext-token".into();
        assert!(matches!(
            key.open(7, &sealed),
            Err(CryptoError::Corrupted { .. })
        ));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(TokenKey::from_base64(&BASE64.encode([0u8; 32])).is_ok());
        assert!(TokenKey::from_base64(&BASE64.encode([0u8; 16])).is_err());
        assert!(TokenKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn durable_files_are_private_and_publish_whole() {
        let dir = tempfile::tempdir().unwrap();
        let key = TokenKey::generate();
        write_private_durably(dir.path(), "a.key", key.file_contents().as_bytes(), false).unwrap();
        let again = TokenKey::load_file(&dir.path().join("a.key")).unwrap();
        assert_eq!(again.id(), key.id());
        // Without replace, an existing name is kept.
        let err = write_private_durably(dir.path(), "a.key", b"other", false).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        write_private_durably(dir.path(), "a.key", b"other", true).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.key")).unwrap(), b"other");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join("a.key");
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = TokenKey::load_file(&path).unwrap_err();
            assert!(err.fix().contains("chmod 600"), "{err}");
        }
    }

    #[test]
    fn fingerprint_does_not_reveal_the_token() {
        let fp = fingerprint(&secret("EAABsecret"));
        assert!(fp.starts_with("sha256:") && !fp.contains("EAAB"));
        assert_eq!(fp, fingerprint(&secret("EAABsecret")));
    }
}
