//! Delta Lake logs for the tables on object storage: each table's folder `dataset/<table>/` is
//! also a Delta table, so Spark, Databricks, Fabric, Synapse, Polars and delta-rs read it as a
//! table (time travel included) without being given a file list.
//!
//! Written by hand rather than with the `deltalake` crate (docs/decisions.md): the log is
//! newline-delimited JSON actions, and what this dataset needs of it is the simplest protocol
//! (reader 1, writer 2: no deletion vectors, column mapping or checkpoints). Each version is
//! one commit of ours ([`super::remote::CommitEntry`]) seen from one table: `remove` for its files
//! the previous state had and the new one does not, `add` for the new ones. Delta versions are
//! contiguous per table; `commitInfo.adoPosture.logVersion` says which commit of ours a
//! version reflects, so the next one knows its starting state without replaying the log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::remote::CommittedFile;
use crate::tables::{ColumnType, TableDef};

/// The partition column every reader adds from the folder name.
const PARTITION_COLUMN: &str = "snapshot_date";

/// The key under `commitInfo` that ties a Delta version to a commit of ours.
pub const COMMIT_INFO_KEY: &str = "adoPosture";

/// The name of a Delta log entry.
pub fn log_file_name(version: u64) -> String {
    format!("{version:020}.json")
}

/// Delta's type name for a column type (all five are Delta primitives; timestamps are
/// microseconds, UTC-adjusted, as Delta's `timestamp`).
fn delta_type(column_type: ColumnType) -> &'static str {
    match column_type {
        ColumnType::Utf8 => "string",
        ColumnType::Int64 => "long",
        ColumnType::Boolean => "boolean",
        ColumnType::TimestampUtc => "timestamp",
        ColumnType::Date => "date",
    }
}

/// The table's schema as Delta's `schemaString`: the stored columns, then the partition column.
pub fn schema_string(def: &TableDef) -> String {
    let mut fields: Vec<Value> = def
        .all_columns()
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": delta_type(c.column_type),
                "nullable": c.nullable,
                "metadata": {},
            })
        })
        .collect();
    fields.push(json!({
        "name": PARTITION_COLUMN,
        "type": "date",
        "nullable": false,
        "metadata": {},
    }));
    json!({"type": "struct", "fields": fields}).to_string()
}

/// A stable table id (Delta wants one per table, kept across versions): a UUID-shaped text
/// derived from the table's location, so a new `metaData` keeps it without reading version 0.
pub fn table_id(location: &str) -> String {
    let a = crc32fast::hash(location.as_bytes());
    let b = crc32fast::hash(format!("{location}\u{0}delta").as_bytes());
    let c = crc32fast::hash(format!("{location}\u{0}table").as_bytes());
    let d = crc32fast::hash(format!("{location}\u{0}id").as_bytes());
    format!(
        "{a:08x}-{:04x}-4{:03x}-8{:03x}-{:04x}{d:08x}",
        b >> 16,
        b & 0x0fff,
        c >> 20,
        c & 0xffff
    )
}

/// What a Delta version of one table is built from.
pub struct TableCommit<'a> {
    pub def: &'a TableDef,
    /// The table's location, for its id.
    pub location: &'a str,
    /// The files of the table in its newest Delta version (`None`: the table has no log yet).
    pub previous: Option<&'a [CommittedFile]>,
    /// Whether the newest Delta version was written with this schema version.
    pub schema_current: bool,
    /// The table's files in our new commit.
    pub files: &'a [CommittedFile],
    pub log_version: u64,
    pub run_id: &'a str,
    pub committed_at: DateTime<Utc>,
}

/// The version's actions as newline-delimited JSON, or `None` when nothing changed.
pub fn table_commit(commit: &TableCommit<'_>) -> Option<String> {
    let millis = commit.committed_at.timestamp_millis();
    let by_path = |files: &[CommittedFile]| -> BTreeMap<String, CommittedFile> {
        files
            .iter()
            .map(|f| (relative(commit.def, &f.path), f.clone()))
            .collect()
    };
    let now = by_path(commit.files);
    let before = commit.previous.map(by_path).unwrap_or_default();
    let removed: Vec<(&String, &CommittedFile)> = before
        .iter()
        .filter(|(p, _)| !now.contains_key(*p))
        .collect();
    let added: Vec<(&String, &CommittedFile)> = now
        .iter()
        .filter(|(p, _)| !before.contains_key(*p))
        .collect();
    let first = commit.previous.is_none();
    if !first && commit.schema_current && removed.is_empty() && added.is_empty() {
        return None;
    }
    let mut lines = vec![json!({"commitInfo": {
        "timestamp": millis,
        "operation": "WRITE",
        "operationParameters": {"mode": "Append", "partitionBy": format!("[\"{PARTITION_COLUMN}\"]")},
        "engineInfo": format!("ado-posture/{}", env!("CARGO_PKG_VERSION")),
        "isBlindAppend": removed.is_empty(),
        COMMIT_INFO_KEY: {
            "logVersion": commit.log_version,
            "runId": commit.run_id,
            "schemaVersion": crate::tables::SCHEMA_VERSION,
        },
    }})];
    if first {
        lines.push(json!({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}));
    }
    if first || !commit.schema_current {
        lines.push(json!({"metaData": {
            "id": table_id(commit.location),
            "name": commit.def.name,
            "description": commit.def.doc,
            "format": {"provider": "parquet", "options": {}},
            "schemaString": schema_string(commit.def),
            "partitionColumns": [PARTITION_COLUMN],
            "configuration": {},
            "createdTime": millis,
        }}));
    }
    for (path, file) in removed {
        lines.push(json!({"remove": {
            "path": path,
            "deletionTimestamp": millis,
            "dataChange": true,
            "extendedFileMetadata": true,
            "partitionValues": {PARTITION_COLUMN: file.snapshot_date.to_string()},
            "size": file.size,
        }}));
    }
    for (path, file) in added {
        lines.push(json!({"add": {
            "path": path,
            "partitionValues": {PARTITION_COLUMN: file.snapshot_date.to_string()},
            "size": file.size,
            "modificationTime": millis,
            "dataChange": true,
            "stats": json!({"numRecords": file.rows}).to_string(),
        }}));
    }
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    Some(text)
}

/// A file's path relative to its table's folder (Delta paths are relative to the table).
fn relative(def: &TableDef, path: &str) -> String {
    path.strip_prefix(def.name)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or(path)
        .to_string()
}

/// What a Delta log entry says of the commit of ours it reflects: its log version and schema
/// version.
pub fn reflected(entry: &[u8]) -> Option<(u64, u32)> {
    let text = std::str::from_utf8(entry).ok()?;
    text.lines().find_map(|line| {
        let value: Value = serde_json::from_str(line).ok()?;
        let info = value.get("commitInfo")?.get(COMMIT_INFO_KEY)?;
        let log = info.get("logVersion")?.as_u64()?;
        let schema = u32::try_from(info.get("schemaVersion")?.as_u64()?).ok()?;
        Some((log, schema))
    })
}

/// Replays a Delta log's entries (oldest first) into the paths of its current files: for a
/// table whose newest version does not say which commit of ours it reflects.
pub fn replay<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<String> {
    let mut files = std::collections::BTreeSet::new();
    for entry in entries {
        let Ok(text) = std::str::from_utf8(entry) else {
            continue;
        };
        for line in text.lines() {
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let Some(path) = value.pointer("/add/path").and_then(Value::as_str) {
                files.insert(path.to_string());
            }
            if let Some(path) = value.pointer("/remove/path").and_then(Value::as_str) {
                files.remove(path);
            }
        }
    }
    files.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn file(path: &str, rows: u64) -> CommittedFile {
        CommittedFile {
            path: path.into(),
            table: "findings".into(),
            snapshot_date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            size: 10,
            rows,
        }
    }

    fn commit<'a>(
        previous: Option<&'a [CommittedFile]>,
        files: &'a [CommittedFile],
    ) -> TableCommit<'a> {
        TableCommit {
            def: crate::tables::table("findings").unwrap(),
            location: "memory://x/dataset/findings",
            previous,
            schema_current: true,
            files,
            log_version: 7,
            run_id: "run",
            committed_at: Utc::now(),
        }
    }

    #[test]
    fn the_first_version_declares_the_table_and_later_ones_only_what_changed() {
        let files = [file("findings/snapshot_date=2026-11-26/a-0000.parquet", 3)];
        let first = table_commit(&commit(None, &files)).unwrap();
        let actions: Vec<Value> = first
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(actions[1]["protocol"]["minReaderVersion"] == 1, "{first}");
        let schema: Value =
            serde_json::from_str(actions[2]["metaData"]["schemaString"].as_str().unwrap()).unwrap();
        let last = schema["fields"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["name"], "snapshot_date");
        assert_eq!(
            actions[3]["add"]["path"],
            "snapshot_date=2026-11-26/a-0000.parquet"
        );
        assert_eq!(actions[3]["add"]["stats"], "{\"numRecords\":3}");
        assert_eq!(
            reflected(first.as_bytes()),
            Some((7, crate::tables::SCHEMA_VERSION))
        );

        assert_eq!(
            table_commit(&commit(Some(&files), &files)),
            None,
            "nothing changed"
        );
        let next = [file("findings/snapshot_date=2026-11-26/b-0000.parquet", 4)];
        let second = table_commit(&commit(Some(&files), &next)).unwrap();
        assert!(
            !second.contains("protocol") && !second.contains("metaData"),
            "{second}"
        );
        assert_eq!(
            replay([first.as_bytes(), second.as_bytes()]),
            ["snapshot_date=2026-11-26/b-0000.parquet"]
        );
    }

    #[test]
    fn table_ids_are_stable_and_uuid_shaped() {
        let id = table_id("az://c/p/dataset/findings");
        assert_eq!(id, table_id("az://c/p/dataset/findings"));
        assert_ne!(id, table_id("az://c/p/dataset/repositories"));
        let parts: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "{id}");
    }
}
