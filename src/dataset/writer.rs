//! Writes one run's tables into the next version of the dataset and commits it whole
//! (see [`super::commit`]).

use std::fs::{self, File};
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

use arrow::error::ArrowError;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
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

/// Encoded bytes a row group may hold in memory while a complete organization's spooled table
/// becomes its Parquet file (one table at a time, so this bounds the adoption's memory).
const ADOPT_ROW_GROUP_BYTES: usize = 8 * 1024 * 1024;

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
/// batches until they pass [`SPOOL_BUFFER_BYTES`], then go to an Arrow IPC stream on disk: an
/// IPC writer holds no per-column state, where a Parquet writer holds a compression context and
/// page buffers per column (about 190 MB for four organizations of 10,000 repositories).
/// [`SnapshotWriter::adopt`] encodes each table as Parquet, one at a time, once the organization
/// is complete; dropped before that (the organization failed), the spool removes its files.
pub struct TableSpool {
    folder: PathBuf,
    tables: Vec<SpooledTable>,
}

struct SpooledTable {
    def: &'static TableDef,
    path: PathBuf,
    /// Opened once the table's rows pass [`SPOOL_BUFFER_BYTES`].
    writer: Option<StreamWriter<BufWriter<File>>>,
    /// Rows not yet given to the writer.
    pending: Vec<RecordBatch>,
    pending_bytes: usize,
}

/// Arrow bytes a table of a spool keeps in memory before they go to its file: small, because
/// every table of every organization in flight holds up to this much (an IPC write is a copy,
/// with no per-file state worth amortizing).
const SPOOL_BUFFER_BYTES: usize = 64 * 1024;

impl SpooledTable {
    fn ipc_error(&self) -> impl Fn(ArrowError) -> DatasetError + '_ {
        |source| DatasetError::Spool {
            path: self.path.clone(),
            source,
        }
    }

    /// Gives the pending rows to the table's IPC file, opening it first if need be.
    fn drain(&mut self) -> Result<(), DatasetError> {
        let mut writer = match self.writer.take() {
            Some(writer) => writer,
            None => {
                let file = File::create(&self.path).map_err(io_error("creating", &self.path))?;
                StreamWriter::try_new(BufWriter::new(file), &self.def.arrow_schema())
                    .map_err(self.ipc_error())?
            }
        };
        for batch in std::mem::take(&mut self.pending) {
            writer.write(&batch).map_err(self.ipc_error())?;
        }
        self.pending_bytes = 0;
        self.writer = Some(writer);
        Ok(())
    }

    /// The table's rows in the order they came: those on disk, then those still pending.
    fn into_batches(
        mut self,
    ) -> Result<impl Iterator<Item = Result<RecordBatch, DatasetError>>, DatasetError> {
        let on_disk = match self.writer.take() {
            None => None,
            Some(mut writer) => {
                writer.finish().map_err(self.ipc_error())?;
                drop(writer);
                let file = File::open(&self.path).map_err(io_error("opening", &self.path))?;
                let reader =
                    StreamReader::try_new(BufReader::new(file), None).map_err(self.ipc_error())?;
                let path = self.path.clone();
                Some(reader.map(move |batch| {
                    batch.map_err(|source| DatasetError::Spool {
                        path: path.clone(),
                        source,
                    })
                }))
            }
        };
        let pending = std::mem::take(&mut self.pending).into_iter().map(Ok);
        Ok(on_disk.into_iter().flatten().chain(pending))
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
                    path: self.folder.join(format!("{}.arrows", def.name)),
                    writer: None,
                    pending: Vec::new(),
                    pending_bytes: 0,
                });
                self.tables.len() - 1
            }
        };
        let table = &mut self.tables[index];
        table.pending_bytes = table
            .pending_bytes
            .saturating_add(batch.get_array_memory_size());
        table.pending.push(batch.clone());
        if table.pending_bytes >= SPOOL_BUFFER_BYTES {
            table.drain()?;
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
        self.write_parquet(def, batches, ROW_GROUP_BYTES)?;
        Ok(self
            .written
            .iter()
            .find(|w| w.table == def.name)
            .expect("pushed or updated just above"))
    }

    /// Writes batches into the table's next Parquet file, flushing a row group at
    /// `row_group_bytes` encoded bytes, and counts the file.
    fn write_parquet<E>(
        &mut self,
        def: &'static TableDef,
        batches: impl IntoIterator<Item = Result<RecordBatch, E>>,
        row_group_bytes: usize,
    ) -> Result<(), DatasetError>
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
            if writer.in_progress_size() >= row_group_bytes {
                writer.flush().map_err(parquet_error)?;
            }
        }
        let file = writer.into_inner().map_err(parquet_error)?;
        file.sync_all().map_err(io_error("syncing", &path))?;
        test_write_delay();
        self.record(def, rows, file_name);
        Ok(())
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
            tables: Vec::new(),
        })
    }

    /// Makes a complete organization's spooled tables files of the snapshot: each table, one at
    /// a time, is encoded as the table's next Parquet file in the staged partition.
    pub fn adopt(&mut self, mut spool: TableSpool) -> Result<(), DatasetError> {
        for table in std::mem::take(&mut spool.tables) {
            let def = table.def;
            let path = table.path.clone();
            self.write_parquet(def, table.into_batches()?, ADOPT_ROW_GROUP_BYTES)?;
            // The spool's copy is no longer needed; the folder goes with the spool anyway.
            let _ = fs::remove_file(&path);
        }
        Ok(())
    }

    /// Makes committed Parquet files of another dataset (a shard's part) files of this snapshot:
    /// hard links (a copy where the two folders are on different file systems), each as the
    /// table's next file, with its rows read from its footer.
    pub fn link_files(
        &mut self,
        def: &'static TableDef,
        files: &[PathBuf],
    ) -> Result<(), DatasetError> {
        for source in files {
            let rows = super::parquet_rows(source)?;
            let (target, file_name) = self.next_file(def)?;
            if fs::hard_link(source, &target).is_err() {
                fs::copy(source, &target).map_err(io_error("copying", source))?;
            }
            self.record(def, usize::try_from(rows).unwrap_or(0), file_name);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray, TimestampMicrosecondArray,
    };
    use arrow::datatypes::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;
    use crate::tables::inventory::REPOSITORIES;

    /// `rows` rows of `def`, numbered from `first` in every text column.
    fn batch(def: &TableDef, first: usize, rows: usize) -> RecordBatch {
        let schema = def.arrow_schema();
        let numbers = first..first + rows;
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|field| -> ArrayRef {
                match field.data_type() {
                    DataType::Utf8 => Arc::new(StringArray::from_iter_values(
                        numbers
                            .clone()
                            .map(|n| format!("{n:08}{}", "x".repeat(200))),
                    )),
                    DataType::Int64 => Arc::new(Int64Array::from_iter_values(
                        numbers.clone().map(|n| n as i64),
                    )),
                    DataType::Boolean => {
                        Arc::new(BooleanArray::from_iter(numbers.clone().map(|_| Some(true))))
                    }
                    DataType::Date32 => {
                        Arc::new(Date32Array::from_iter_values(numbers.clone().map(|_| 0)))
                    }
                    _ => Arc::new(
                        TimestampMicrosecondArray::from_iter_values(numbers.clone().map(|_| 0))
                            .with_timezone("UTC"),
                    ),
                }
            })
            .collect();
        RecordBatch::try_new(schema, columns).expect("batch of the table's schema")
    }

    #[test]
    fn a_spool_past_its_buffer_is_adopted_whole_and_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dataset = Dataset::new(dir.path().join("dataset"));
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        let mut writer = SnapshotWriter::begin(&dataset, "run", date).expect("writer");
        let mut spool = writer.spool("1").expect("spool");
        // Enough batches to pass SPOOL_BUFFER_BYTES several times, then a tail left pending.
        let mut rows = 0;
        for _ in 0..40 {
            spool
                .append(&REPOSITORIES, &batch(&REPOSITORIES, rows, 250))
                .expect("append");
            rows += 250;
        }
        assert!(
            fs::read_dir(&spool.folder).expect("spool folder").count() == 1,
            "the table went to its IPC file"
        );
        spool
            .append(&REPOSITORIES, &batch(&REPOSITORIES, rows, 7))
            .expect("append");
        rows += 7;
        let folder = spool.folder.clone();
        writer.adopt(spool).expect("adopt");
        assert!(!folder.exists(), "the spool's folder is removed");
        let files = writer.staged_files(REPOSITORIES.name).expect("files");
        assert_eq!(files.len(), 1);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&files[0]).expect("open"))
            .expect("parquet")
            .build()
            .expect("reader");
        let ids: Vec<i64> = reader
            .flat_map(|b| {
                let b = b.expect("batch");
                let column = b
                    .columns()
                    .iter()
                    .find_map(|c| c.as_any().downcast_ref::<StringArray>().cloned())
                    .expect("a text column");
                (0..b.num_rows())
                    .map(|i| column.value(i)[..8].parse::<i64>().expect("number"))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(ids, (0..rows as i64).collect::<Vec<_>>());
        assert_eq!(writer.written()[0].rows, rows);
    }

    #[test]
    fn a_dropped_spool_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dataset = Dataset::new(dir.path().join("dataset"));
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        let writer = SnapshotWriter::begin(&dataset, "run", date).expect("writer");
        let mut spool = writer.spool("1").expect("spool");
        spool
            .append(&REPOSITORIES, &batch(&REPOSITORIES, 0, 10_000))
            .expect("append");
        let folder = spool.folder.clone();
        assert!(folder.exists());
        drop(spool);
        assert!(!folder.exists());
    }
}
