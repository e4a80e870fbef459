//! Writes one run's tables into the next version of the dataset and commits it whole
//! (see [`super::commit`]).

use std::fs::{self, File};
use std::path::PathBuf;

use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::commit::{Keep, Replace, VersionStore};
use super::{Dataset, DatasetError, io_error, parquet_files, partition_name};
use crate::tables::{SCHEMA_VERSION, TableDef};

/// Rows per row group: large enough for analytics scans, small enough to bound writer memory.
const ROW_GROUP_ROWS: usize = 512 * 1024;
/// Encoded bytes a row group may hold in memory before it is flushed (wide tables with `raw`
/// JSON reach this long before [`ROW_GROUP_ROWS`]).
const ROW_GROUP_BYTES: usize = 64 * 1024 * 1024;

/// Encoded bytes an organization's table may hold in memory while its crawl goes on (several
/// organizations' tables are open at once).
const SPOOL_ROW_GROUP_BYTES: usize = 4 * 1024 * 1024;

/// Where organizations' tables are written while they are crawled, inside the staging folder
/// (removed before the commit, so never part of a version).
const SPOOL_FOLDER: &str = "_spool";

/// For the crash and signal tests only (`ADO_POSTURE_TEST_WRITE_DELAY_MS`): a pause after each
/// file staged, to widen the window in which a kill lands mid-write.
fn test_write_delay() {
    if let Some(ms) = std::env::var("ADO_POSTURE_TEST_WRITE_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// How every Parquet file of a table is written.
fn writer_properties(
    def: &TableDef,
    run_id: &str,
) -> Result<WriterProperties, parquet::errors::ParquetError> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_dictionary_enabled(true)
        // The JSON as the service sent it is unique per row: a dictionary only costs memory.
        .set_column_dictionary_enabled(ColumnPath::from("raw"), false)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(concat!("ado-posture ", env!("CARGO_PKG_VERSION")).to_string())
        .set_key_value_metadata(Some(vec![
            KeyValue::new(
                "ado_posture.schema_version".into(),
                SCHEMA_VERSION.to_string(),
            ),
            KeyValue::new("ado_posture.run_id".into(), run_id.to_string()),
            KeyValue::new("ado_posture.table".into(), def.name.to_string()),
            KeyValue::new(
                "ado_posture.tool_version".into(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
        ]))
        .build())
}

/// One organization's tables written while its crawl goes on. A table's rows are kept as Arrow
/// batches until they pass [`SPOOL_BUFFER_BYTES`], then go to a Parquet file of the table: a
/// Parquet writer holds a compression context per column, too much to keep open for every small
/// table of several organizations. [`SnapshotWriter::adopt`] makes the files part of the
/// snapshot once the organization is complete; dropped before that (the organization failed),
/// the spool removes them.
pub struct TableSpool {
    folder: PathBuf,
    run_id: String,
    tables: Vec<SpooledTable>,
}

struct SpooledTable {
    def: &'static TableDef,
    path: PathBuf,
    /// Opened once the table's rows pass [`SPOOL_BUFFER_BYTES`].
    writer: Option<ArrowWriter<File>>,
    /// Rows not yet given to the writer.
    pending: Vec<RecordBatch>,
    pending_bytes: usize,
    rows: usize,
}

/// Arrow bytes a table of a spool keeps in memory before it opens its Parquet file.
const SPOOL_BUFFER_BYTES: usize = 1024 * 1024;

impl SpooledTable {
    fn parquet_error(&self) -> impl Fn(parquet::errors::ParquetError) -> DatasetError + '_ {
        |source| DatasetError::Parquet {
            path: self.path.clone(),
            source,
        }
    }

    /// Gives the pending rows to the table's Parquet file, opening it first if need be.
    fn drain(&mut self, run_id: &str) -> Result<&mut ArrowWriter<File>, DatasetError> {
        let mut writer = match self.writer.take() {
            Some(writer) => writer,
            None => {
                let file = File::create(&self.path).map_err(io_error("creating", &self.path))?;
                writer_properties(self.def, run_id)
                    .and_then(|props| {
                        ArrowWriter::try_new(file, self.def.arrow_schema(), Some(props))
                    })
                    .map_err(self.parquet_error())?
            }
        };
        for batch in std::mem::take(&mut self.pending) {
            writer.write(&batch).map_err(self.parquet_error())?;
            if writer.in_progress_size() >= SPOOL_ROW_GROUP_BYTES {
                writer.flush().map_err(self.parquet_error())?;
            }
        }
        self.pending_bytes = 0;
        Ok(self.writer.insert(writer))
    }
}

impl TableSpool {
    /// Appends rows to a table (an empty batch opens nothing).
    pub fn append(
        &mut self,
        def: &'static TableDef,
        batch: &RecordBatch,
    ) -> Result<(), DatasetError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let index = match self.tables.iter().position(|t| t.def.name == def.name) {
            Some(index) => index,
            None => {
                self.tables.push(SpooledTable {
                    def,
                    path: self.folder.join(format!("{}.parquet", def.name)),
                    writer: None,
                    pending: Vec::new(),
                    pending_bytes: 0,
                    rows: 0,
                });
                self.tables.len() - 1
            }
        };
        let table = &mut self.tables[index];
        table.rows = table.rows.saturating_add(batch.num_rows());
        table.pending_bytes = table
            .pending_bytes
            .saturating_add(batch.get_array_memory_size());
        table.pending.push(batch.clone());
        if table.writer.is_some() || table.pending_bytes >= SPOOL_BUFFER_BYTES {
            table.drain(&self.run_id)?;
        }
        Ok(())
    }
}

impl Drop for TableSpool {
    fn drop(&mut self) {
        // Best effort: the staging folder goes with the writer anyway.
        let _ = fs::remove_dir_all(&self.folder);
    }
}

/// What was written for one table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableWritten {
    pub table: &'static str,
    pub rows: usize,
    pub files: Vec<String>,
}

/// One run's snapshot being written. Nothing is visible to readers until [`commit`](Self::commit),
/// which switches every table at once; dropping the writer without committing removes what it
/// staged. The caller holds the output folder's lock.
pub struct SnapshotWriter {
    store: VersionStore,
    run_id: String,
    date: NaiveDate,
    staging: PathBuf,
    written: Vec<TableWritten>,
    replace: Replace,
    retain_from: Option<NaiveDate>,
    committed: bool,
}

impl SnapshotWriter {
    /// A whole snapshot of `date`: it replaces every table of that date (a same-day re-run).
    pub fn begin(dataset: &Dataset, run_id: &str, date: NaiveDate) -> Result<Self, DatasetError> {
        Self::begin_replacing(dataset, run_id, date, Replace::Date(date))
    }

    /// Some tables of a committed snapshot (re-evaluated findings): the others stay.
    pub fn begin_tables(
        dataset: &Dataset,
        run_id: &str,
        date: NaiveDate,
    ) -> Result<Self, DatasetError> {
        Self::begin_replacing(dataset, run_id, date, Replace::TablesOf(date))
    }

    fn begin_replacing(
        dataset: &Dataset,
        run_id: &str,
        date: NaiveDate,
        replace: Replace,
    ) -> Result<Self, DatasetError> {
        let store = VersionStore::of(dataset.root());
        store.recover()?;
        let staging = store.stage(run_id)?;
        Ok(SnapshotWriter {
            store,
            run_id: run_id.to_string(),
            date,
            staging,
            written: Vec::new(),
            replace,
            retain_from: None,
            committed: false,
        })
    }

    /// Leaves snapshots before `from` out of the committed version (retention, in the same
    /// atomic switch).
    pub fn retain_from(&mut self, from: NaiveDate) {
        self.retain_from = Some(from);
    }

    /// Stages the run manifest `_runs/<run_id>.json`, committed with the tables.
    pub fn write_manifest(
        &self,
        manifest: &super::manifest::RunManifest,
    ) -> Result<(), DatasetError> {
        let dir = self.staging.join("_runs");
        fs::create_dir_all(&dir).map_err(io_error("creating", &dir))?;
        let path = dir.join(format!("{}.json", self.run_id));
        let text =
            serde_json::to_vec_pretty(manifest).map_err(|source| DatasetError::Manifest {
                path: path.clone(),
                source,
            })?;
        let mut file = File::create(&path).map_err(io_error("creating", &path))?;
        std::io::Write::write_all(&mut file, &text).map_err(io_error("writing", &path))?;
        file.sync_all().map_err(io_error("syncing", &path))
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    fn staged_partition(&self, table: &str) -> PathBuf {
        self.staging.join(table).join(partition_name(self.date))
    }

    /// The staged Parquet files of a table (for evaluating rules before the commit).
    pub fn staged_files(&self, table: &str) -> Result<Vec<PathBuf>, DatasetError> {
        parquet_files(&self.staged_partition(table))
    }

    /// Writes a table's batches as one Parquet file. A table with no rows still gets a file, so
    /// readers always find its schema.
    pub fn write_table(
        &mut self,
        def: &'static TableDef,
        batches: &[RecordBatch],
    ) -> Result<&TableWritten, DatasetError> {
        self.write_stream(def, batches.iter().cloned().map(Ok::<_, DatasetError>))
    }

    /// Writes batches as they are produced into one Parquet file: memory holds one batch and
    /// the row group being encoded (flushed at [`ROW_GROUP_ROWS`] rows or
    /// [`ROW_GROUP_BYTES`] bytes), whatever the table's size.
    pub fn write_stream<E>(
        &mut self,
        def: &'static TableDef,
        batches: impl IntoIterator<Item = Result<RecordBatch, E>>,
    ) -> Result<&TableWritten, DatasetError>
    where
        DatasetError: From<E>,
    {
        let (path, file_name) = self.next_file(def)?;
        let file = File::create(&path).map_err(io_error("creating", &path))?;
        let parquet_error = |source| DatasetError::Parquet {
            path: path.clone(),
            source,
        };
        let props = writer_properties(def, &self.run_id).map_err(parquet_error)?;
        let mut writer =
            ArrowWriter::try_new(file, def.arrow_schema(), Some(props)).map_err(parquet_error)?;
        let mut rows = 0;
        for batch in batches {
            let batch = batch?;
            rows += batch.num_rows();
            writer.write(&batch).map_err(parquet_error)?;
            if writer.in_progress_size() >= ROW_GROUP_BYTES {
                writer.flush().map_err(parquet_error)?;
            }
        }
        let file = writer.into_inner().map_err(parquet_error)?;
        file.sync_all().map_err(io_error("syncing", &path))?;
        test_write_delay();
        self.record(def, rows, file_name);
        Ok(self
            .written
            .iter()
            .find(|w| w.table == def.name)
            .expect("pushed or updated just above"))
    }

    pub fn written(&self) -> &[TableWritten] {
        &self.written
    }

    /// A new spool for one organization's tables (`name` tells spools apart).
    pub fn spool(&self, name: &str) -> Result<TableSpool, DatasetError> {
        let folder = self.staging.join(SPOOL_FOLDER).join(name);
        if folder.exists() {
            fs::remove_dir_all(&folder).map_err(io_error("removing", &folder))?;
        }
        fs::create_dir_all(&folder).map_err(io_error("creating", &folder))?;
        Ok(TableSpool {
            folder,
            run_id: self.run_id.clone(),
            tables: Vec::new(),
        })
    }

    /// Makes a complete organization's spooled tables files of the snapshot: each table's file
    /// is finished, synced and moved into the staged partition as the table's next part.
    pub fn adopt(&mut self, mut spool: TableSpool) -> Result<(), DatasetError> {
        for mut table in std::mem::take(&mut spool.tables) {
            table.drain(&spool.run_id)?;
            let SpooledTable {
                def,
                path,
                writer,
                rows,
                ..
            } = table;
            let Some(writer) = writer else { continue };
            let file = writer
                .into_inner()
                .map_err(|source| DatasetError::Parquet {
                    path: path.clone(),
                    source,
                })?;
            file.sync_all().map_err(io_error("syncing", &path))?;
            let (target, file_name) = self.next_file(def)?;
            fs::rename(&path, &target).map_err(io_error("moving", &path))?;
            test_write_delay();
            self.record(def, rows, file_name);
        }
        Ok(())
    }

    /// The path and name of a table's next file in the staged partition (created if need be).
    fn next_file(&self, def: &TableDef) -> Result<(PathBuf, String), DatasetError> {
        let dir = self.staged_partition(def.name);
        fs::create_dir_all(&dir).map_err(io_error("creating", &dir))?;
        let part = self
            .written
            .iter()
            .find(|w| w.table == def.name)
            .map_or(0, |w| w.files.len());
        let file_name = format!("{}-{part:04}.parquet", self.run_id);
        Ok((dir.join(&file_name), file_name))
    }

    /// Counts a written file of a table.
    fn record(&mut self, def: &'static TableDef, rows: usize, file_name: String) {
        if let Some(existing) = self.written.iter_mut().find(|w| w.table == def.name) {
            existing.rows = existing.rows.saturating_add(rows);
            existing.files.push(file_name);
        } else {
            self.written.push(TableWritten {
                table: def.name,
                rows,
                files: vec![file_name],
            });
        }
    }

    /// Makes the staged snapshot visible, every table at once (one atomic switch of the
    /// dataset's version); the same date's partitions it replaces go with the old version.
    pub fn commit(mut self) -> Result<Vec<TableWritten>, DatasetError> {
        let spools = self.staging.join(SPOOL_FOLDER);
        if spools.exists() {
            fs::remove_dir_all(&spools).map_err(io_error("removing", &spools))?;
        }
        let written: Vec<&str> = self.written.iter().map(|w| w.table).collect();
        let keep = Keep {
            replace: self.replace,
            from: self.retain_from,
        };
        self.store.commit(&self.run_id, &written, keep)?;
        self.committed = true;
        Ok(std::mem::take(&mut self.written))
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover folder is also removed by the next writer's recovery.
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}
