//! The `.env` file in the working directory, loaded below the real
//! environment, and only as far as it is safe to.
//!
//! A `.env` is convenient and easy to plant: anyone who can write to the
//! directory an operator runs crm-meta in could otherwise send the app secret
//! and every token to a host of their choosing, or run a program of theirs.
//! So a file that is not the user's own or that others can write is ignored,
//! the settings that decide where secrets go or what runs (`META_GRAPH_URL`,
//! `META_DIALOG_URL`, `BROWSER`) are never taken from it, and a malformed
//! line is reported by number and variable name, never by its text (which
//! may hold a secret).

use std::path::Path;

/// Variables a `.env` may never set.
const NEVER_FROM_FILE: &[&str] = &["META_GRAPH_URL", "META_DIALOG_URL", "BROWSER"];

/// What loading the file found, for the caller to report.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Warnings for stderr: ignored variables or an ignored file.
    pub warnings: Vec<String>,
    /// Variables to set (those the real environment does not already set).
    pub variables: Vec<(String, String)>,
}

/// A `.env` that cannot be read as a whole. Its message holds no value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EnvFileError(pub String);

/// Reads `path` (normally `.env`). A missing file is no error.
pub fn read(path: &Path) -> Result<Loaded, EnvFileError> {
    let mut loaded = Loaded::default();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(loaded),
        Err(e) => {
            return Err(EnvFileError(format!(
                "{}: cannot read it ({e})",
                path.display()
            )));
        }
    };
    if let Some(reason) = untrusted(&meta) {
        loaded.warnings.push(format!(
            "{} is ignored: it {reason}. Run `chown $(id -u) {0}; chmod 600 {0}` if it is yours.",
            path.display()
        ));
        return Ok(loaded);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| EnvFileError(format!("{}: cannot read it ({e})", path.display())))?;
    let items = dotenvy::from_read_iter(text.as_bytes());
    for item in items {
        match item {
            Ok((name, value)) => {
                if NEVER_FROM_FILE.contains(&name.as_str()) {
                    loaded.warnings.push(format!(
                        "{}: {name} is ignored there; set it in the real environment if you mean it",
                        path.display()
                    ));
                } else if std::env::var_os(&name).is_none() {
                    loaded.variables.push((name, value));
                }
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                return Err(EnvFileError(format!(
                    "{}: line {}{} is malformed. Fix it (NAME=value) or pass --no-dotenv",
                    path.display(),
                    line_number(&text, &line),
                    variable_of(&line)
                        .map(|name| format!(" ({name})"))
                        .unwrap_or_default()
                )));
            }
            Err(_) => {
                return Err(EnvFileError(format!(
                    "{}: cannot be read as NAME=value lines. Fix it or pass --no-dotenv",
                    path.display()
                )));
            }
        }
    }
    Ok(loaded)
}

/// Why a file cannot be trusted, if it cannot: another owner, or writable
/// by group or others.
fn untrusted(meta: &std::fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Some(format!("is owned by another user (uid {})", meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            return Some(format!(
                "can be written by other users (mode {:o})",
                meta.mode() & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    None
}

/// The 1-based number of the line dotenvy quotes back.
fn line_number(text: &str, line: &str) -> usize {
    let first = line.lines().next().unwrap_or(line);
    text.lines()
        .position(|l| !first.is_empty() && l.contains(first))
        .map_or(0, |i| i + 1)
}

/// The variable a malformed line was setting, when its name is a plain
/// identifier (anything else could be the value itself).
fn variable_of(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line);
    let name = line.split_once('=')?.0.trim();
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !name.as_bytes()[0].is_ascii_digit();
    plain.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> std::path::PathBuf {
        let path = dir.join(".env");
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    }

    #[test]
    fn redirecting_variables_are_never_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "CRM_META_ENV_FILE_TEST_A=1\nMETA_GRAPH_URL=https://evil.example\nBROWSER=/tmp/x\n",
        );
        let loaded = read(&path).unwrap();
        assert_eq!(
            loaded.variables,
            vec![("CRM_META_ENV_FILE_TEST_A".to_owned(), "1".to_owned())]
        );
        assert_eq!(loaded.warnings.len(), 2);
        assert!(loaded.warnings[0].contains("META_GRAPH_URL"));
        assert!(!loaded.warnings.concat().contains("evil.example"));
    }

    #[test]
    fn a_malformed_line_is_named_by_number_and_variable_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "A_OK=1\n# comment\nMETA_APP_SECRET='s3cr3tvalue\nNEXT=2\n",
        );
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("META_APP_SECRET"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
        let path = write(dir.path(), "s3cr3tvalue without a name\n");
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("line 1") && !err.contains("s3cr3t"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_write_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "CRM_META_ENV_FILE_TEST_B=1\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let loaded = read(&path).unwrap();
        assert!(loaded.variables.is_empty());
        assert!(
            loaded.warnings[0].contains("mode 666"),
            "{:?}",
            loaded.warnings
        );
    }
}
