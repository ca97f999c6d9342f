//! The audit as Prometheus text exposition format (0.0.4), for a cron job
//! whose file node_exporter's textfile collector reads. A metric family's
//! samples must be contiguous, so each per-tenant family goes to its own
//! unlinked temporary file while tenants stream by, and the families are
//! joined at the end: memory stays flat however many tenants there are.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::token::TokenStatus;

const EXPIRY: &str = "crm_meta_token_expiry_timestamp_seconds";
const DATA_ACCESS: &str = "crm_meta_token_data_access_expiry_timestamp_seconds";
const STATUS: &str = "crm_meta_token_status";

/// Every status word a token can have in an audit, for the per-run counts.
const STATUSES: [TokenStatus; 6] = [
    TokenStatus::Ok,
    TokenStatus::Expiring,
    TokenStatus::Expired,
    TokenStatus::Invalid,
    TokenStatus::MissingScope,
    TokenStatus::Unreachable,
];

/// What the run as a whole reports.
pub struct RunFacts {
    pub finished_at: DateTime<Utc>,
    pub duration_seconds: f64,
    pub graph_requests: u64,
}

/// Per-tenant samples collected while the audit streams.
pub struct Metrics {
    expiry: BufWriter<File>,
    data_access: BufWriter<File>,
    status: BufWriter<File>,
    counts: [u64; STATUSES.len()],
}

impl Metrics {
    pub fn new() -> std::io::Result<Self> {
        let family = || tempfile::tempfile().map(BufWriter::new);
        Ok(Self {
            expiry: family()?,
            data_access: family()?,
            status: family()?,
            counts: [0; STATUSES.len()],
        })
    }

    /// One tenant's samples; an unknown date (never expires) has none.
    pub fn tenant(
        &mut self,
        tenant_id: i32,
        status: TokenStatus,
        expires_at: Option<DateTime<Utc>>,
        data_access_expires_at: Option<DateTime<Utc>>,
    ) -> std::io::Result<()> {
        let labels = format!("tenant_id=\"{}\"", escape(&tenant_id.to_string()));
        if let Some(at) = expires_at {
            writeln!(self.expiry, "{EXPIRY}{{{labels}}} {}", at.timestamp())?;
        }
        if let Some(at) = data_access_expires_at {
            writeln!(
                self.data_access,
                "{DATA_ACCESS}{{{labels}}} {}",
                at.timestamp()
            )?;
        }
        writeln!(
            self.status,
            "{STATUS}{{{labels},status=\"{}\"}} 1",
            escape(status.as_str())
        )?;
        let slot = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len() - 1);
        self.counts[slot] += 1;
        Ok(())
    }

    /// Writes the whole exposition: HELP and TYPE before each family.
    pub fn write_to(self, out: &mut dyn Write, run: &RunFacts) -> std::io::Result<()> {
        let Self {
            expiry,
            data_access,
            status,
            counts,
        } = self;
        for (name, help, file) in [
            (
                EXPIRY,
                "When the tenant's Meta token expires (Unix time); absent when it never does.",
                expiry,
            ),
            (
                DATA_ACCESS,
                "When the tenant's Meta data access expires (Unix time).",
                data_access,
            ),
            (
                STATUS,
                "The tenant's token status in the last audit (1 for its status).",
                status,
            ),
        ] {
            writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge")?;
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            file.rewind()?;
            std::io::copy(&mut file, out)?;
        }
        writeln!(
            out,
            "# HELP crm_meta_tokens Tokens by status in the last audit.\n# TYPE crm_meta_tokens gauge"
        )?;
        for (status, count) in STATUSES.iter().zip(counts) {
            writeln!(
                out,
                "crm_meta_tokens{{status=\"{}\"}} {count}",
                escape(status.as_str())
            )?;
        }
        writeln!(
            out,
            "# HELP crm_meta_audit_last_run_timestamp_seconds When the last audit finished (Unix time).\n\
             # TYPE crm_meta_audit_last_run_timestamp_seconds gauge\n\
             crm_meta_audit_last_run_timestamp_seconds {}",
            run.finished_at.timestamp()
        )?;
        writeln!(
            out,
            "# HELP crm_meta_audit_duration_seconds How long the last audit took.\n\
             # TYPE crm_meta_audit_duration_seconds gauge\n\
             crm_meta_audit_duration_seconds {:.3}",
            run.duration_seconds
        )?;
        writeln!(
            out,
            "# HELP crm_meta_graph_requests_total Graph API HTTP requests the last audit sent.\n\
             # TYPE crm_meta_graph_requests_total counter\n\
             crm_meta_graph_requests_total {}",
            run.graph_requests
        )?;
        out.flush()
    }

    /// Writes the exposition to `path` atomically (a temporary file in the
    /// same directory, synced, then renamed over it), readable by the
    /// collector: it holds tenant ids and dates, never a token.
    pub fn write_file(self, path: &Path, run: &RunFacts) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut file = tempfile::Builder::new()
            .prefix(".crm-meta-metrics")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        {
            let mut out = BufWriter::new(file.as_file_mut());
            self.write_to(&mut out, run)?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        crate::crypto::sync_dir(dir)
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn each_family_is_contiguous_with_its_help_and_type() {
        let mut m = Metrics::new().unwrap();
        let at = DateTime::from_timestamp(1_900_000_000, 0);
        m.tenant(7, TokenStatus::Ok, at, at).unwrap();
        m.tenant(8, TokenStatus::Expired, None, at).unwrap();
        let mut out = Vec::new();
        let run = RunFacts {
            finished_at: Utc::now(),
            duration_seconds: 1.5,
            graph_requests: 3,
        };
        m.write_to(&mut out, &run).unwrap();
        let text = String::from_utf8(out).unwrap();
        let families: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(['{', ' ']).next().unwrap())
            .collect();
        let mut seen: Vec<&str> = families.clone();
        seen.dedup();
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(seen.len(), unique.len(), "a family is split: {text}");
        assert!(
            text.contains("crm_meta_token_expiry_timestamp_seconds{tenant_id=\"7\"} 1900000000")
        );
        assert!(!text.contains("crm_meta_token_expiry_timestamp_seconds{tenant_id=\"8\"}"));
        assert!(text.contains("crm_meta_token_status{tenant_id=\"8\",status=\"expired\"} 1"));
        assert!(text.contains("crm_meta_tokens{status=\"ok\"} 1\n"));
        assert!(text.contains("crm_meta_tokens{status=\"invalid\"} 0\n"));
        assert!(text.contains(
            "# TYPE crm_meta_graph_requests_total counter\ncrm_meta_graph_requests_total 3"
        ));
    }
}
