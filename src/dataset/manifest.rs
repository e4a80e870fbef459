//! The run manifest `_runs/<run_id>.json`: what a run wrote, from where, and how the crawl went.
//! Written by the job in the same commit as the tables, read by the reports; its fields are
//! documented in docs/dataset.md. Every field has a default, so a manifest of an older version
//! (or a damaged one) still reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ado::stats::EndpointStats;

/// One run's manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunManifest {
    pub run_id: String,
    pub tool_version: String,
    pub schema_version: u32,
    /// `YYYY-MM-DD`.
    pub snapshot_date: String,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    pub crawl_seconds: f64,
    /// `success` or `partial`.
    pub status: String,
    /// Every organization attempted: crawled (`status` = `ok`) or not (`failed`).
    pub organizations: Vec<OrganizationRun>,
    /// Rows and files written per table.
    pub tables: BTreeMap<String, TableRows>,
    pub findings: FindingTotals,
    /// Rules that could not run (their findings are missing from the snapshot).
    pub rule_errors: Vec<String>,
    /// Requests per endpoint: calls, retries, errors, throttling, bytes, latency.
    pub api: BTreeMap<String, EndpointStats>,
    pub api_totals: EndpointStats,
    /// A shard's part (`run --shard K/N`): which shard, as `K/N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// A snapshot assembled by `finalize`: each shard's part, or that it was missing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRun>,
}

/// One shard's part of a snapshot `finalize` assembled.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ShardRun {
    /// `K/N`.
    pub shard: String,
    /// The shard's run, when it committed a part of the snapshot's date.
    pub run_id: Option<String>,
    /// `success` or `partial` (the shard's own status), or `missing`.
    pub status: String,
}

/// One organization of the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrganizationRun {
    pub connector: String,
    /// None when discovery itself failed.
    pub organization: Option<String>,
    /// `ok` or `failed`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// The REST API version a server offered, when older than the cloud's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projects: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repositories: Option<u64>,
    /// Why it failed: the error's kind, HTTP status and message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Rows and files of one table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TableRows {
    pub rows: u64,
    pub files: Vec<String>,
}

/// The findings' counts (open = failing, not exempt), as the reports and the summary line count.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingTotals {
    pub open: u64,
    pub by_severity: BTreeMap<String, u64>,
    pub new: u64,
    pub persisting: u64,
    pub resolved: u64,
    pub not_evaluated: u64,
    pub exempt: u64,
}

impl RunManifest {
    /// Reads a manifest file; a missing or unreadable one is `None`.
    pub fn read(path: &std::path::Path) -> Option<Self> {
        let text = std::fs::read(path).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_or_partial_manifest_still_reads() {
        let m: RunManifest =
            serde_json::from_str(r#"{"run_id":"r","status":"success","extra":1}"#).unwrap();
        assert_eq!(m.run_id, "r");
        assert!(m.organizations.is_empty());
        let failed: OrganizationRun = serde_json::from_str(
            r#"{"connector":"c","organization":null,"status":"failed","error":"x"}"#,
        )
        .unwrap();
        assert_eq!(failed.error.as_deref(), Some("x"));
    }
}
