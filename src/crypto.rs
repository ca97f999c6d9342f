//! Encryption of tokens at rest and the small hashes around it.
//!
//! Tokens are sealed with AES-256-GCM under a fresh random nonce per write.
//! The tenant id is the associated data, so a ciphertext copied onto another
//! tenant's row does not decrypt. Each sealed token carries the id of its key
//! (a hash of the key, never the key) so rotation and wrong-key errors can say
//! which key a row needs. There is no plaintext fallback anywhere.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::ConfigError;

const NONCE_LEN: usize = 12;
/// Version prefix of sealed tokens, so the format can change later.
const SEALED_PREFIX: &str = "v1:";

/// Where a key came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    Variable(&'static str),
    File(&'static str, &'a Path),
}

impl KeySource<'_> {
    fn variable(self) -> &'static str {
        match self {
            KeySource::Variable(v) | KeySource::File(v, _) => v,
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
    pub fn from_base64(value: &str, source: KeySource<'_>) -> Result<Self, ConfigError> {
        let bytes = BASE64
            .decode(value.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok());
        let where_ = match source {
            KeySource::Variable(_) => String::new(),
            KeySource::File(_, path) => format!(" (in {})", path.display()),
        };
        bytes.map(|b| Self::from_bytes(&b)).ok_or_else(|| {
            ConfigError::new(
                source.variable(),
                format!("is not the base64 of 32 bytes{where_}"),
                "Generate one with `openssl rand -base64 32`.",
            )
        })
    }

    /// A short, stable id for this key (first 8 bytes of a hash of it).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads a key file, refusing one that group or others can read.
    pub fn load_file(path: &Path, variable: &'static str) -> Result<Self, ConfigError> {
        check_private(path, variable)?;
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                variable,
                format!("cannot read {}: {e}", path.display()),
                "Point it at a readable key file.",
            )
        })?;
        Self::from_base64(&text, KeySource::File(variable, path))
    }

    /// The embedded store's key: read from `path`, or generated there (mode 0600) on first use.
    pub fn load_or_generate(path: &Path) -> Result<Self, ConfigError> {
        if path.exists() {
            return Self::load_file(path, "CRM_META_TOKEN_KEY");
        }
        let cannot = |e: std::io::Error| {
            ConfigError::new(
                "CRM_META_HOME",
                format!("cannot create the token key {}: {e}", path.display()),
                "Make CRM_META_HOME a writable directory, or set CRM_META_TOKEN_KEY.",
            )
        };
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(cannot)?;
        }
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let key = Self::from_bytes(&bytes);
        // Written whole to a private temporary file, then published with a
        // hard link, which fails if the name exists: a concurrent first run
        // either wins or reads the winner's complete key.
        let tmp = path.with_extension(format!("key.{}", std::process::id()));
        key.write_to(&tmp).map_err(cannot)?;
        let published = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match published {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::load_file(path, "CRM_META_TOKEN_KEY")
            }
            Err(e) => Err(cannot(e)),
        }
    }
}

impl TokenKey {
    /// Writes this key to `path` (mode 0600) by a rename, so a reader sees
    /// the old key or the new one, never half of one.
    pub fn write_file(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("key.new");
        self.write_to(&tmp)?;
        std::fs::rename(&tmp, path)
    }

    /// Writes the key to a new private (0600) file.
    fn write_to(&self, path: &Path) -> std::io::Result<()> {
        let _ = std::fs::remove_file(path);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        file.write_all(format!("{}\n", BASE64.encode(self.key.as_slice())).as_bytes())?;
        file.sync_all()
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

#[cfg(unix)]
fn check_private(path: &Path, variable: &'static str) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| {
            ConfigError::new(
                variable,
                format!("cannot read {}: {e}", path.display()),
                "Point it at a readable key file.",
            )
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(ConfigError::new(
            variable,
            format!(
                "key file {} is readable by other users (mode {:o})",
                path.display(),
                mode & 0o777
            ),
            format!("Run `chmod 600 {}`.", path.display()),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &'static str) -> Result<(), ConfigError> {
    Ok(())
}

/// A token that cannot be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "the token of tenant {tenant_id} was encrypted with key {stored_key_id}, but the configured key is {configured_key_id}; \
         set CRM_META_TOKEN_KEY to the key it was stored with (or CRM_META_TOKEN_KEY_OLD while running `crm-meta keys rotate`)"
    )]
    WrongKey {
        tenant_id: i32,
        stored_key_id: String,
        configured_key_id: String,
    },
    #[error(
        "the stored token of tenant {tenant_id} is corrupted (it does not authenticate under key {key_id}); reconnect the tenant with `crm-meta connect --tenant {tenant_id}`"
    )]
    Corrupted { tenant_id: i32, key_id: String },
    /// Only for inputs beyond AES-GCM's limits (64 GiB); never stored as plaintext instead.
    #[error("the token of tenant {tenant_id} could not be encrypted; nothing was stored")]
    Seal { tenant_id: i32 },
}

impl CryptoError {
    pub fn kind(&self) -> &'static str {
        match self {
            CryptoError::WrongKey { .. } => "wrong_key",
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

/// Seals and opens tokens. Holds the current key and, during rotation, the old one.
#[derive(Debug, Clone)]
pub struct TokenCipher {
    current: TokenKey,
    old: Option<TokenKey>,
}

impl TokenCipher {
    pub fn new(current: TokenKey) -> Self {
        Self { current, old: None }
    }

    /// Also accept tokens sealed under `old` (for `keys rotate`).
    pub fn with_old_key(mut self, old: Option<TokenKey>) -> Self {
        self.old = old;
        self
    }

    pub fn current_key_id(&self) -> &str {
        self.current.id()
    }

    /// The old key's id, during rotation.
    pub fn old_key_id(&self) -> Option<&str> {
        self.old.as_ref().map(TokenKey::id)
    }

    fn aad(tenant_id: i32) -> Vec<u8> {
        format!("crm-meta/meta_tokens/{tenant_id}").into_bytes()
    }

    /// Encrypts a token for a tenant under the current key, with a fresh nonce.
    pub fn seal(&self, tenant_id: i32, token: &SecretString) -> Result<SealedToken, CryptoError> {
        let cipher = Aes256Gcm::new(&self.current.key);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = Self::aad(tenant_id);
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
            key_id: self.current.id.clone(),
        })
    }

    /// Decrypts a stored token with whichever configured key sealed it.
    pub fn open(&self, tenant_id: i32, sealed: &SealedToken) -> Result<SecretString, CryptoError> {
        let key = [Some(&self.current), self.old.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| CryptoError::WrongKey {
                tenant_id,
                stored_key_id: sealed.key_id.clone(),
                configured_key_id: self.current.id.clone(),
            })?;
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
        let aad = Self::aad(tenant_id);
        let plain = Aes256Gcm::new(&key.key)
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
        let cipher = TokenCipher::new(key(1));
        let a = cipher.seal(7, &secret("EAAB-token")).unwrap();
        let b = cipher.seal(7, &secret("EAAB-token")).unwrap();
        assert_ne!(a.ciphertext, b.ciphertext, "nonce reused");
        assert!(!a.ciphertext.contains("EAAB"));
        assert_eq!(cipher.open(7, &a).unwrap().expose_secret(), "EAAB-token");
    }

    #[test]
    fn a_ciphertext_is_bound_to_its_tenant() {
        let cipher = TokenCipher::new(key(1));
        let sealed = cipher.seal(7, &secret("t")).unwrap();
        assert!(matches!(
            cipher.open(8, &sealed),
            Err(CryptoError::Corrupted { .. })
        ));
    }

    #[test]
    fn wrong_key_is_named_not_guessed() {
        let sealed = TokenCipher::new(key(1)).seal(7, &secret("t")).unwrap();
        let err = TokenCipher::new(key(2)).open(7, &sealed).unwrap_err();
        assert!(matches!(err, CryptoError::WrongKey { .. }));
        assert!(err.to_string().contains("CRM_META_TOKEN_KEY"));
        let rotating = TokenCipher::new(key(2)).with_old_key(Some(key(1)));
        assert_eq!(rotating.open(7, &sealed).unwrap().expose_secret(), "t");
    }

    #[test]
    fn tampering_is_detected() {
        let cipher = TokenCipher::new(key(1));
        let mut sealed = cipher.seal(7, &secret("token")).unwrap();
        sealed.ciphertext.replace_range(10..12, "AA");
        assert!(cipher.open(7, &sealed).is_err());
        sealed.ciphertext = "plaintext-token".into();
        assert!(matches!(
            cipher.open(7, &sealed),
            Err(CryptoError::Corrupted { .. })
        ));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(TokenKey::from_base64(&BASE64.encode([0u8; 32]), KeySource::Variable("K")).is_ok());
        assert!(
            TokenKey::from_base64(&BASE64.encode([0u8; 16]), KeySource::Variable("K")).is_err()
        );
        assert!(TokenKey::from_base64("not base64!", KeySource::Variable("K")).is_err());
    }

    #[test]
    fn generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("home/token.key");
        let first = TokenKey::load_or_generate(&path).unwrap();
        let again = TokenKey::load_or_generate(&path).unwrap();
        assert_eq!(first.id(), again.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = TokenKey::load_or_generate(&path).unwrap_err();
            assert!(err.fix.contains("chmod 600"), "{err}");
        }
    }

    #[test]
    fn fingerprint_does_not_reveal_the_token() {
        let fp = fingerprint(&secret("EAABsecret"));
        assert!(fp.starts_with("sha256:") && !fp.contains("EAAB"));
        assert_eq!(fp, fingerprint(&secret("EAABsecret")));
    }
}
