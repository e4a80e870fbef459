//! The Parquet dataset on disk: Hive-partitioned tables, one snapshot per run. Every change is
//! committed as a new version of the whole dataset, switched in at one instant, so readers never
//! see half a snapshot or tables of two runs for one date ([`commit`]).
//!
//! ```text
//! OUT/dataset -> .dataset-versions/<id>          the current version (a symbolic link)
//! ROOT/<table>/snapshot_date=YYYY-MM-DD/<run_id>-<part>.parquet
//! ROOT/_runs/<run_id>.json                       the run manifest
//! OUT/.dataset-versions/<id>.staging/            a version being written (never read)
//! ```

pub mod commit;
pub mod delta;
pub mod manifest;
pub mod query;
pub mod remote;
mod writer;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

pub use writer::{SnapshotWriter, TableSpool, TableWritten};

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("dataset: {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("dataset: writing Parquet {path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("dataset: spooling {path}: {source}")]
    Spool {
        path: PathBuf,
        source: arrow::error::ArrowError,
    },
    #[error("dataset: {0}")]
    Table(#[from] crate::tables::TableError),
    #[error("dataset: manifest {path}: {source}")]
    Manifest {
        path: PathBuf,
        source: serde_json::Error,
    },
}

pub(crate) fn io_error(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(io::Error) -> DatasetError {
    let path = path.to_path_buf();
    move |source| DatasetError::Io {
        action,
        path,
        source,
    }
}

/// The rows a Parquet file holds, from its footer.
pub fn parquet_rows(path: &Path) -> Result<i64, DatasetError> {
    use parquet::file::reader::FileReader as _;
    let file = std::fs::File::open(path).map_err(io_error("opening", path))?;
    let reader =
        parquet::file::serialized_reader::SerializedFileReader::new(file).map_err(|source| {
            DatasetError::Parquet {
                path: path.to_path_buf(),
                source,
            }
        })?;
    Ok(reader.metadata().file_metadata().num_rows())
}

/// The name of a table's partition folder for a date.
pub fn partition_name(date: NaiveDate) -> String {
    format!("snapshot_date={}", date.format("%Y-%m-%d"))
}

/// The date a partition folder's name (`snapshot_date=YYYY-MM-DD`) holds, if it is one.
pub fn partition_date(name: &str) -> Option<NaiveDate> {
    let date = name.strip_prefix("snapshot_date=")?;
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// A dataset root (`OUT/dataset`).
#[derive(Debug, Clone)]
pub struct Dataset {
    root: PathBuf,
}

impl Dataset {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Dataset { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The committed partition folder of a table for a date (it may not exist).
    pub fn partition_dir(&self, table: &str, date: NaiveDate) -> PathBuf {
        self.root.join(table).join(partition_name(date))
    }

    /// The Parquet files of a committed partition, sorted; empty when there is none.
    pub fn partition_files(
        &self,
        table: &str,
        date: NaiveDate,
    ) -> Result<Vec<PathBuf>, DatasetError> {
        parquet_files(&self.partition_dir(table, date))
    }

    /// The manifest of the newest run of `shard` (`K/N`) committed for `date`, if any.
    pub fn shard_manifest(&self, shard: &str, date: NaiveDate) -> Option<manifest::RunManifest> {
        let mut paths: Vec<PathBuf> = fs::read_dir(self.root.join("_runs"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        // Run ids sort by time.
        paths.sort();
        let date = date.to_string();
        paths
            .iter()
            .rev()
            .filter_map(|p| manifest::RunManifest::read(p))
            .find(|m| m.snapshot_date == date && m.shard.as_deref() == Some(shard))
    }

    /// The committed snapshot dates of a table, oldest first.
    pub fn snapshot_dates(&self, table: &str) -> Result<Vec<NaiveDate>, DatasetError> {
        let dir = self.root.join(table);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("listing", &dir)(e)),
        };
        let mut dates = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("listing", &dir))?;
            let name = entry.file_name();
            if let Some(date) = name.to_str().and_then(partition_date) {
                dates.push(date);
            }
        }
        dates.sort_unstable();
        Ok(dates)
    }
}

/// The `.parquet` files directly in a folder, sorted; empty when the folder does not exist.
pub fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("listing", dir)(e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files)
}

/// A lazy Polars frame over Parquet files (read without Hive columns: the caller knows the date).
pub fn scan_files(files: &[PathBuf]) -> polars::prelude::PolarsResult<polars::prelude::LazyFrame> {
    use polars::prelude::*;
    let args = || ScanArgsParquet {
        glob: false,
        hive_options: HiveOptions {
            enabled: Some(false),
            ..HiveOptions::new_disabled()
        },
        ..Default::default()
    };
    let frames = files
        .iter()
        .map(|f| LazyFrame::scan_parquet(PlRefPath::try_from_path(f)?, args()))
        .collect::<PolarsResult<Vec<_>>>()?;
    match frames.len() {
        0 => Err(PolarsError::NoData("no Parquet files to read".into())),
        1 => Ok(frames.into_iter().next().unwrap_or_default()),
        _ => concat(frames, UnionArgs::default()),
    }
}

impl Dataset {
    /// Removes every table's partitions and the run manifests older than `cutoff`, in one
    /// commit. Returns the number of partitions removed. The caller holds the output folder's
    /// lock.
    pub fn prune_before(&self, cutoff: NaiveDate) -> Result<usize, DatasetError> {
        let store = commit::VersionStore::of(&self.root);
        store.recover()?;
        let Some(current) = store.current()? else {
            return Ok(0);
        };
        let mut removed = 0;
        for entry in fs::read_dir(&current)
            .map_err(io_error("listing", &current))?
            .flatten()
        {
            let name = entry.file_name();
            let Some(table) = name.to_str() else { continue };
            if table.starts_with(['_', '.']) || !entry.path().is_dir() {
                continue;
            }
            removed += self
                .snapshot_dates(table)?
                .iter()
                .filter(|d| **d < cutoff)
                .count();
        }
        let id = format!("prune-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"));
        store.stage(&id)?;
        store.commit(
            &id,
            &[],
            commit::Keep {
                replace: commit::Replace::Nothing,
                from: Some(cutoff),
            },
        )?;
        Ok(removed)
    }
}
