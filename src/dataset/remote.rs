//! The dataset on object storage (issue 17): Azure Blob Storage / ADLS Gen2, S3 and Google Cloud
//! Storage through `object_store`, with a commit log that makes a snapshot visible at one instant.
//!
//! A run still works in a local folder (the crawl's spool, the rules and the reports need
//! files); this module moves committed data between that folder and the store:
//! - before the run, [`RemoteDataset::hydrate`] makes the local dataset exactly the committed
//!   files the run reads (the previous snapshot, for findings history and the change feed; for
//!   `finalize`, each shard's part of the day);
//! - after it, [`RemoteDataset::publish`] uploads the snapshot's files and then commits them by
//!   writing the next log entry, which names every file of the new version.
//!
//! Layout under the URL's prefix (the local layout, plus `_log/`):
//! - `dataset/<table>/snapshot_date=D/<run_id>-<part>.parquet`: data files, never modified;
//! - `dataset/_runs/<run_id>.json`: run manifests, never modified;
//! - `dataset/_log/<version, 20 digits>.json`: one [`CommitEntry`] per commit;
//! - `reports/D/…`: each snapshot's reports;
//! - `shards/K-of-N/dataset/…`: a shard's part, the same layout.
//!
//! The commit is the creation of `_log/<N+1>.json` with create-if-absent (`PutMode::Create`:
//! `If-None-Match: *` on Azure and S3, a generation precondition on Cloud Storage): one writer
//! wins version N+1; another fails with nothing of its run visible. Readers list `_log/`, read
//! the newest entry and open exactly its files, so files no entry names (an unfinished run's
//! uploads, a replaced snapshot) are never read; a later writer deletes them once no entry of
//! the last two names them and they are older than [`ORPHAN_AGE`].

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use object_store::path::Path as StorePath;
use object_store::{
    ObjectStore, ObjectStoreExt as _, PutMode, PutOptions, PutPayload, WriteMultipart,
};
use serde::{Deserialize, Serialize};

use super::commit::{Keep, Replace, VersionStore};
use super::delta;
use super::{DatasetError, io_error, parquet_rows};
use crate::ado::auth::TokenSource;

/// Log entries kept; older ones are deleted (each entry lists every file of its version).
const LOG_ENTRIES_KEPT: usize = 30;
/// Files no recent entry names are deleted only past this age: a concurrent writer's uploads
/// are never older than the time between its first upload and its commit.
pub const ORPHAN_AGE: chrono::Duration = chrono::Duration::hours(6);
/// Files up to this size go in one request; larger ones as a multipart upload of such parts.
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Uploads and downloads in flight at once.
const TRANSFERS: usize = 8;

/// The URL schemes `[output] dir` accepts, and what they name.
pub const SCHEMES: &str =
    "az:// or abfss:// (Azure Blob Storage / ADLS Gen2), s3:// (S3), gs:// (Google Cloud Storage)";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("output {url}: {message}")]
    Url { url: String, message: String },
    #[error("object store {url}: {action} {path}: {message}")]
    Store {
        url: String,
        action: &'static str,
        path: String,
        /// The store's error, with any URL's query (a SAS token, a signature) removed.
        message: String,
    },
    #[error(
        "object store {url}: version {version} was committed by another writer while this run published; nothing of this run is visible there: run it again"
    )]
    Conflict { url: String, version: u64 },
    #[error("object store {url}: log entry {path} is not readable: {source}")]
    Log {
        url: String,
        path: String,
        source: serde_json::Error,
    },
    #[error("{0}")]
    Dataset(#[from] DatasetError),
}

/// One commit: the whole file list of a version of the dataset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommitEntry {
    pub version: u64,
    /// The run whose snapshot this commit added.
    pub run_id: String,
    pub snapshot_date: NaiveDate,
    pub committed_at: DateTime<Utc>,
    pub tool_version: String,
    /// Every data file of the version, paths relative to `dataset/`.
    pub files: Vec<CommittedFile>,
    /// Every run manifest of the version, paths relative to `dataset/`.
    pub manifests: Vec<CommittedManifest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommittedFile {
    /// `<table>/snapshot_date=D/<file>.parquet`.
    pub path: String,
    pub table: String,
    pub snapshot_date: NaiveDate,
    pub size: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommittedManifest {
    /// `_runs/<run_id>.json`.
    pub path: String,
    pub snapshot_date: NaiveDate,
}

/// What [`RemoteDataset::hydrate`] brought.
#[derive(Debug, Default)]
pub struct Hydrated {
    /// The store's version read, if it has one.
    pub version: Option<u64>,
    pub dates: Vec<NaiveDate>,
    pub files: usize,
    /// Bytes downloaded (files the local folder already held are linked, not downloaded).
    pub bytes_downloaded: u64,
}

/// What [`RemoteDataset::publish`] committed.
#[derive(Debug)]
pub struct Published {
    pub version: u64,
    pub files: usize,
    pub bytes: u64,
    /// Objects deleted after the commit (replaced, expired or orphaned).
    pub deleted: usize,
    /// Tables whose Delta log gained a version.
    pub delta_tables: usize,
}

/// Whether `[output] dir` (or `--out`) names an object store rather than a local folder.
pub fn is_url(dir: &str) -> bool {
    dir.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// A dataset (and its reports) under a prefix of an object store.
#[derive(Debug, Clone)]
pub struct RemoteDataset {
    store: Arc<dyn ObjectStore>,
    /// The prefix the URL names (may be empty: the container's or bucket's root).
    root: StorePath,
    /// The URL as given, for messages (it carries no secret: credentials come from the
    /// environment).
    url: String,
    /// Whether each table's folder gets a Delta log (the dataset: yes; a shard's part: no).
    delta_logs: bool,
}

impl RemoteDataset {
    /// The store a URL names, with credentials and options from the environment
    /// (`AZURE_*`, `AWS_*`, `GOOGLE_*` as `object_store` reads them) or, for Azure, tokens of
    /// `identity` (a connector's Entra identity, for [`crate::ado::auth::STORAGE_RESOURCE`]).
    /// Nothing is contacted.
    pub fn from_url(url: &str, identity: Option<Arc<TokenSource>>) -> Result<Self, StoreError> {
        let fail = |message: String| StoreError::Url {
            url: redact(url),
            message,
        };
        let parsed = url::Url::parse(url).map_err(|e| fail(format!("not a URL: {e}")))?;
        if !parsed.username().is_empty() && parsed.password().is_some() {
            return Err(fail(
                "credentials do not belong in the URL: set them in the environment".into(),
            ));
        }
        if parsed.query().is_some() {
            return Err(fail(
                "a query (a SAS token?) does not belong in the URL: set AZURE_STORAGE_SAS_TOKEN or other credentials in the environment".into(),
            ));
        }
        let azure = matches!(parsed.scheme(), "az" | "azure" | "abfs" | "abfss");
        if identity.is_some() && !azure {
            return Err(fail(
                "[output] identity (a connector's Entra identity) applies to Azure storage only (az://, abfss://): S3 and Cloud Storage take credentials from the environment".into(),
            ));
        }
        let store: Arc<dyn ObjectStore> = match parsed.scheme() {
            "az" | "azure" | "abfs" | "abfss" => {
                let mut builder =
                    object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url);
                if let Some(tokens) = identity {
                    builder = builder.with_credentials(Arc::new(EntraStorageCredential(tokens)));
                }
                Arc::new(builder.build().map_err(|e| fail(redact(&e.to_string())))?)
            }
            "s3" | "s3a" => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| fail(redact(&e.to_string())))?,
            ),
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| fail(redact(&e.to_string())))?,
            ),
            other => {
                return Err(fail(format!(
                    "the scheme {other}:// is not supported: use a local folder, {SCHEMES}"
                )));
            }
        };
        let prefix = parsed.path().trim_matches('/');
        let root = StorePath::parse(prefix).map_err(|e| {
            fail(format!(
                "the path {prefix:?} is not a valid object path: {e}"
            ))
        })?;
        Ok(RemoteDataset {
            store,
            root,
            url: redact(url.trim_end_matches('/')),
            delta_logs: true,
        })
    }

    /// The URL, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A shard's part under `rel` (`shards/K-of-N`) of the same store: no Delta logs.
    pub fn child(&self, rel: &str) -> RemoteDataset {
        let mut root = self.root.clone();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            root = root.clone().join(part);
        }
        RemoteDataset {
            store: self.store.clone(),
            root,
            url: format!("{}/{rel}", self.url),
            delta_logs: false,
        }
    }

    fn path(&self, rel: &str) -> StorePath {
        let mut path = self.root.clone();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            path = path.join(part);
        }
        path
    }

    fn store_error(
        &self,
        action: &'static str,
        path: &StorePath,
    ) -> impl FnOnce(object_store::Error) -> StoreError {
        let url = self.url.clone();
        let path = path.to_string();
        move |e| StoreError::Store {
            url,
            action,
            path,
            message: redact(&e.to_string()),
        }
    }

    /// The newest commit of the dataset, if it has one.
    pub async fn latest(&self) -> Result<Option<CommitEntry>, StoreError> {
        let versions = self.log_versions().await?;
        let Some(newest) = versions.last() else {
            return Ok(None);
        };
        self.read_entry(*newest).await.map(Some)
    }

    /// The versions in `dataset/_log/`, oldest first.
    async fn log_versions(&self) -> Result<Vec<u64>, StoreError> {
        self.versions_in(&self.path("dataset/_log")).await
    }

    /// The versions of a log folder (ours or a Delta log: `<number>.json` files), oldest first.
    async fn versions_in(&self, log: &StorePath) -> Result<Vec<u64>, StoreError> {
        let mut versions: Vec<u64> = self
            .list_all(log)
            .await?
            .iter()
            .filter_map(|meta| {
                meta.location
                    .filename()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()
            })
            .collect();
        versions.sort_unstable();
        Ok(versions)
    }

    /// Every object under `prefix`.
    async fn list_all(
        &self,
        prefix: &StorePath,
    ) -> Result<Vec<object_store::ObjectMeta>, StoreError> {
        self.store
            .list(Some(prefix))
            .try_collect()
            .await
            .map_err(self.store_error("listing", prefix))
    }

    /// Creates `path` with `body` unless it exists: a log entry's commit. Whether it was
    /// created (false: another writer created it first).
    async fn create(&self, path: &StorePath, body: Vec<u8>) -> Result<bool, StoreError> {
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(path, PutPayload::from(body), options)
            .await
        {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(e) => Err(self.store_error("committing", path)(e)),
        }
    }

    fn entry_path(&self, version: u64) -> StorePath {
        self.path(&format!("dataset/_log/{version:020}.json"))
    }

    async fn read_entry(&self, version: u64) -> Result<CommitEntry, StoreError> {
        let path = self.entry_path(version);
        let bytes = self.get_bytes(&path).await?;
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Log {
            url: self.url.clone(),
            path: path.to_string(),
            source,
        })
    }

    /// Makes the local dataset (`OUT/dataset`) a new version holding exactly the committed
    /// files of the dates `select` picks from the store's newest version (and their run
    /// manifests): what the local folder held before is no longer current. Files the local
    /// version already has, at the same size, are linked instead of downloaded.
    pub async fn hydrate(
        &self,
        local: &Path,
        select: &dyn Fn(&[NaiveDate]) -> Vec<NaiveDate>,
    ) -> Result<Hydrated, StoreError> {
        let entry = self.latest().await?;
        let committed_dates: Vec<NaiveDate> = entry
            .iter()
            .flat_map(|e| e.files.iter().map(|f| f.snapshot_date))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let dates = select(&committed_dates);
        let versions = VersionStore::of(local);
        versions.recover()?;
        let current = versions.current()?;
        let id = format!("store-{}", Utc::now().format("%Y%m%dT%H%M%S%.9fZ"));
        let staging = versions.stage(&id)?;
        let mut hydrated = Hydrated {
            version: entry.as_ref().map(|e| e.version),
            dates: dates.clone(),
            ..Hydrated::default()
        };
        if let Some(entry) = &entry {
            let wanted: Vec<(String, Option<u64>)> = entry
                .files
                .iter()
                .filter(|f| dates.contains(&f.snapshot_date))
                .map(|f| (f.path.clone(), Some(f.size)))
                .chain(
                    entry
                        .manifests
                        .iter()
                        .filter(|m| dates.contains(&m.snapshot_date))
                        .map(|m| (m.path.clone(), None)),
                )
                .collect();
            hydrated.files = wanted.len();
            let downloads = stream::iter(wanted.into_iter().map(|(rel, size)| {
                let target = staging.join(&rel);
                let have = current.as_ref().map(|c| c.join(&rel));
                async move { self.fetch_file(&rel, size, have.as_deref(), &target).await }
            }))
            .buffer_unordered(TRANSFERS)
            .try_collect::<Vec<u64>>()
            .await?;
            hydrated.bytes_downloaded = downloads.iter().sum();
        }
        versions.commit(
            &id,
            &[],
            Keep {
                replace: Replace::Everything,
                from: None,
            },
        )?;
        Ok(hydrated)
    }

    /// Puts `dataset/<rel>` at `target`: a link to `have` when it is the same file, else a
    /// download. The bytes downloaded.
    async fn fetch_file(
        &self,
        rel: &str,
        size: Option<u64>,
        have: Option<&Path>,
        target: &Path,
    ) -> Result<u64, StoreError> {
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_error("creating", parent))?;
        }
        // Files are never modified once committed and named by their run: the same name (and
        // size, where the log records it) is the same file.
        if let Some(have) = have
            && fs::metadata(have).is_ok_and(|m| m.is_file() && size.is_none_or(|s| m.len() == s))
            && fs::hard_link(have, target).is_ok()
        {
            return Ok(0);
        }
        let path = self.path(&format!("dataset/{rel}"));
        let mut body = self
            .store
            .get(&path)
            .await
            .map_err(self.store_error("downloading", &path))?
            .into_stream();
        let mut file = fs::File::create(target).map_err(io_error("creating", target))?;
        let mut bytes = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(self.store_error("downloading", &path))?;
            file.write_all(&chunk)
                .map_err(io_error("writing", target))?;
            bytes = bytes.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        }
        file.sync_all().map_err(io_error("syncing", target))?;
        Ok(bytes)
    }

    /// Uploads the local dataset's snapshot of `date` (every table's partition of the date and
    /// its run manifest) and commits it as the store's next version, replacing the store's
    /// snapshot of that date; snapshots before `retain_from` are left out of the new version.
    /// Then deletes what no recent version names (best effort: a failure there is logged).
    pub async fn publish(
        &self,
        local: &Path,
        date: NaiveDate,
        retain_from: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Published, StoreError> {
        let current = VersionStore::of(local)
            .current()?
            .ok_or_else(|| DatasetError::Io {
                action: "reading",
                path: local.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no committed dataset"),
            })?;
        let (files, manifests) = snapshot_files(&current, date)?;
        let Some(run_id) = manifests
            .first()
            .and_then(|m| m.path.strip_prefix("_runs/")?.strip_suffix(".json"))
            .map(str::to_string)
        else {
            return Err(DatasetError::Io {
                action: "reading",
                path: current.join("_runs"),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no run manifest of {date}"),
                ),
            }
            .into());
        };
        let uploads: Vec<String> = files
            .iter()
            .map(|f| f.path.clone())
            .chain(manifests.iter().map(|m| m.path.clone()))
            .collect();
        let sizes = stream::iter(uploads.iter().map(|rel| {
            let source = current.join(rel);
            async move { self.upload_file(&source, &format!("dataset/{rel}")).await }
        }))
        .buffer_unordered(TRANSFERS)
        .try_collect::<Vec<u64>>()
        .await?;

        let previous = self.latest().await?;
        let kept = |d: NaiveDate| d != date && retain_from.is_none_or(|from| d >= from);
        let mut entry = CommitEntry {
            version: previous.as_ref().map_or(0, |p| p.version.saturating_add(1)),
            run_id,
            snapshot_date: date,
            committed_at: now,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            files: Vec::new(),
            manifests: Vec::new(),
        };
        if let Some(previous) = &previous {
            entry.files.extend(
                previous
                    .files
                    .iter()
                    .filter(|f| kept(f.snapshot_date))
                    .cloned(),
            );
            entry.manifests.extend(
                previous
                    .manifests
                    .iter()
                    .filter(|m| kept(m.snapshot_date))
                    .cloned(),
            );
        }
        entry.files.extend(files);
        entry.manifests.extend(manifests);
        entry.files.sort_by(|a, b| a.path.cmp(&b.path));
        entry.manifests.sort_by(|a, b| a.path.cmp(&b.path));

        self.commit_entry(&entry).await?;
        let mut delta_tables = 0;
        if self.delta_logs {
            for def in crate::tables::ALL_TABLES.iter() {
                match self.commit_delta_log(def, &entry, previous.as_ref()).await {
                    Ok(written) => delta_tables += usize::from(written),
                    Err(e) => tracing::warn!(
                        table = def.name,
                        "the table's Delta log was not brought to version {} (the next run does it): {e}",
                        entry.version
                    ),
                }
            }
        }
        let deleted = match self.collect(&entry, previous.as_ref(), now).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(
                    "after the commit, old files could not be deleted (the next run tries again): {e}"
                );
                0
            }
        };
        Ok(Published {
            version: entry.version,
            files: uploads.len(),
            bytes: sizes.iter().sum(),
            deleted,
            delta_tables,
        })
    }

    /// Brings a table's Delta log (`dataset/<table>/_delta_log/`) to our commit `entry`: one
    /// more version with what changed since the commit its newest version reflects. Whether a
    /// version was written.
    async fn commit_delta_log(
        &self,
        def: &crate::tables::TableDef,
        entry: &CommitEntry,
        previous: Option<&CommitEntry>,
    ) -> Result<bool, StoreError> {
        let log = self.path(&format!("dataset/{}/_delta_log", def.name));
        let versions = self.versions_in(&log).await?;
        let of_table = |files: &[CommittedFile]| -> Vec<CommittedFile> {
            files
                .iter()
                .filter(|f| f.table == def.name)
                .cloned()
                .collect()
        };
        let (state, schema_current) = match versions.last() {
            None => (None, true),
            Some(&newest) => {
                let text = self
                    .get_bytes(&log.clone().join(delta::log_file_name(newest)))
                    .await?;
                let reflected = delta::reflected(&text);
                // The table's files as of the commit of ours its newest version reflects.
                let known = match reflected.map(|(ours, _)| ours) {
                    Some(ours) if ours == entry.version => return Ok(false),
                    Some(ours) if previous.is_some_and(|p| p.version == ours) => {
                        previous.map(|p| of_table(&p.files))
                    }
                    Some(ours) => self.read_entry(ours).await.ok().map(|e| of_table(&e.files)),
                    None => None,
                };
                let state = match known {
                    Some(state) => state,
                    None => self.replay_delta_log(def, &log, &versions).await?,
                };
                let schema_current =
                    reflected.is_some_and(|(_, schema)| schema == crate::tables::SCHEMA_VERSION);
                (Some(state), schema_current)
            }
        };
        let files = of_table(&entry.files);
        let location = format!("{}/dataset/{}", self.url, def.name);
        let Some(text) = delta::table_commit(&delta::TableCommit {
            def,
            location: &location,
            previous: state.as_deref(),
            schema_current,
            files: &files,
            log_version: entry.version,
            run_id: &entry.run_id,
            committed_at: entry.committed_at,
        }) else {
            return Ok(false);
        };
        let next = versions.last().map_or(0, |v| v.saturating_add(1));
        // Another writer's version `next` (a concurrent publish) wins; the next run reconciles.
        self.create(&log.join(delta::log_file_name(next)), text.into_bytes())
            .await
    }

    /// A table's files from its whole Delta log, for a log whose newest version does not name
    /// a commit of ours still kept.
    async fn replay_delta_log(
        &self,
        def: &crate::tables::TableDef,
        log: &StorePath,
        versions: &[u64],
    ) -> Result<Vec<CommittedFile>, StoreError> {
        let mut entries = Vec::new();
        for version in versions {
            entries.push(
                self.get_bytes(&log.clone().join(delta::log_file_name(*version)))
                    .await?,
            );
        }
        Ok(delta::replay(entries.iter().map(Vec::as_slice))
            .into_iter()
            .map(|path| CommittedFile {
                snapshot_date: path
                    .split('/')
                    .next()
                    .and_then(super::partition_date)
                    .unwrap_or_default(),
                path: format!("{}/{path}", def.name),
                table: def.name.to_string(),
                size: 0,
                rows: 0,
            })
            .collect())
    }

    async fn get_bytes(&self, path: &StorePath) -> Result<Vec<u8>, StoreError> {
        self.store
            .get(path)
            .await
            .map_err(self.store_error("reading", path))?
            .bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(self.store_error("reading", path))
    }

    /// Writes `entry` as its version's log entry if no writer has: the commit.
    async fn commit_entry(&self, entry: &CommitEntry) -> Result<(), StoreError> {
        let path = self.entry_path(entry.version);
        let body = serde_json::to_vec_pretty(entry).map_err(|source| StoreError::Log {
            url: self.url.clone(),
            path: path.to_string(),
            source,
        })?;
        if self.create(&path, body).await? {
            Ok(())
        } else {
            Err(StoreError::Conflict {
                url: self.url.clone(),
                version: entry.version,
            })
        }
    }

    /// Uploads a local file to `rel`: one request, or a multipart upload past [`PART_BYTES`].
    /// The bytes sent.
    async fn upload_file(&self, source: &Path, rel: &str) -> Result<u64, StoreError> {
        let path = self.path(rel);
        let size = fs::metadata(source)
            .map_err(io_error("reading", source))?
            .len();
        let mut file = fs::File::open(source).map_err(io_error("opening", source))?;
        if size <= PART_BYTES as u64 {
            let mut body = Vec::new();
            file.read_to_end(&mut body)
                .map_err(io_error("reading", source))?;
            self.store
                .put(&path, PutPayload::from(body))
                .await
                .map_err(self.store_error("uploading", &path))?;
            return Ok(size);
        }
        let upload = self
            .store
            .put_multipart(&path)
            .await
            .map_err(self.store_error("uploading", &path))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0u8; PART_BYTES];
        loop {
            let read = file
                .read(&mut buffer)
                .map_err(io_error("reading", source))?;
            if read == 0 {
                break;
            }
            writer
                .wait_for_capacity(2)
                .await
                .map_err(self.store_error("uploading", &path))?;
            writer.write(buffer.get(..read).unwrap_or_default());
        }
        writer
            .finish()
            .await
            .map_err(self.store_error("uploading", &path))?;
        Ok(size)
    }

    /// Deletes data files and manifests neither `entry` nor `previous` names (replaced, expired,
    /// or left by a run that never committed) once older than [`ORPHAN_AGE`], and log entries
    /// past the newest [`LOG_ENTRIES_KEPT`]. The number of objects deleted.
    async fn collect(
        &self,
        entry: &CommitEntry,
        previous: Option<&CommitEntry>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let named: BTreeSet<String> = [Some(entry), previous]
            .into_iter()
            .flatten()
            .flat_map(|e| {
                e.files
                    .iter()
                    .map(|f| f.path.clone())
                    .chain(e.manifests.iter().map(|m| m.path.clone()))
            })
            .collect();
        let dataset = self.path("dataset");
        let listed = self.list_all(&dataset).await?;
        let mut doomed = Vec::new();
        for meta in listed {
            let Some(rel) = meta.location.prefix_match(&dataset) else {
                continue;
            };
            let rel = rel
                .map(|p| p.as_ref().to_string())
                .collect::<Vec<_>>()
                .join("/");
            // The logs (ours and each table's Delta log) are kept; only data files and
            // manifests are collected.
            if rel.starts_with("_log/") || rel.contains("/_delta_log/") || named.contains(&rel) {
                continue;
            }
            if now.signed_duration_since(meta.last_modified) >= ORPHAN_AGE {
                doomed.push(meta.location);
            }
        }
        let versions = self.log_versions().await?;
        let old_entries = versions.len().saturating_sub(LOG_ENTRIES_KEPT);
        doomed.extend(
            versions
                .iter()
                .take(old_entries)
                .map(|v| self.entry_path(*v)),
        );
        for path in &doomed {
            match self.store.delete(path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.store_error("deleting", path)(e)),
            }
        }
        Ok(doomed.len())
    }

    /// Uploads a snapshot's reports (`reports/D/`) and deletes the store's reports of dates
    /// before `retain_from`. The number of files uploaded.
    pub async fn publish_reports(
        &self,
        local_dir: &Path,
        date: NaiveDate,
        retain_from: Option<NaiveDate>,
    ) -> Result<usize, StoreError> {
        let mut names = Vec::new();
        for entry in fs::read_dir(local_dir)
            .map_err(io_error("listing", local_dir))?
            .flatten()
        {
            if entry.path().is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        let day = date.format("%Y-%m-%d").to_string();
        stream::iter(names.iter().map(|name| {
            let source = local_dir.join(name);
            let rel = format!("reports/{day}/{name}");
            async move { self.upload_file(&source, &rel).await }
        }))
        .buffer_unordered(TRANSFERS)
        .try_collect::<Vec<u64>>()
        .await?;
        if let Some(from) = retain_from {
            let reports = self.path("reports");
            let listed = self.list_all(&reports).await?;
            for meta in listed {
                let expired = meta
                    .location
                    .prefix_match(&reports)
                    .and_then(|mut parts| parts.next())
                    .and_then(|day| NaiveDate::parse_from_str(day.as_ref(), "%Y-%m-%d").ok())
                    .is_some_and(|d| d < from);
                if expired {
                    self.store
                        .delete(&meta.location)
                        .await
                        .map_err(self.store_error("deleting", &meta.location))?;
                }
            }
        }
        Ok(names.len())
    }
}

/// Azure Storage credentials from a connector's Entra identity: `object_store` asks before each
/// request; the token source keeps the token and renews it 5 minutes before it expires.
#[derive(Debug)]
struct EntraStorageCredential(Arc<TokenSource>);

impl object_store::CredentialProvider for EntraStorageCredential {
    type Credential = object_store::azure::AzureCredential;

    // The trait is declared with `async_trait`; this is its expansion, without the crate.
    fn get_credential<'life, 'future>(
        &'life self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = object_store::Result<Arc<Self::Credential>>>
                + Send
                + 'future,
        >,
    >
    where
        'life: 'future,
        Self: 'future,
    {
        Box::pin(async move {
            let header = self
                .0
                .header()
                .await
                .map_err(|e| object_store::Error::Generic {
                    store: "MicrosoftAzure",
                    source: Box::new(e),
                })?;
            let token = header
                .to_str()
                .ok()
                .and_then(|h| h.strip_prefix("Bearer "))
                .unwrap_or_default()
                .to_string();
            Ok(Arc::new(object_store::azure::AzureCredential::BearerToken(
                token,
            )))
        })
    }
}

/// The data files and run manifests of `date` in a local version folder.
fn snapshot_files(
    version: &Path,
    date: NaiveDate,
) -> Result<(Vec<CommittedFile>, Vec<CommittedManifest>), DatasetError> {
    let partition = super::partition_name(date);
    let mut files = Vec::new();
    let mut manifests = Vec::new();
    let mut tables: Vec<_> = fs::read_dir(version)
        .map_err(io_error("listing", version))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    tables.sort();
    for table in tables {
        if table == "_runs" {
            for file in sorted_files(&version.join("_runs"))? {
                let path = version.join("_runs").join(&file);
                if file.ends_with(".json") && super::commit::manifest_date(&path) == Some(date) {
                    manifests.push(CommittedManifest {
                        path: format!("_runs/{file}"),
                        snapshot_date: date,
                    });
                }
            }
            continue;
        }
        let dir = version.join(&table).join(&partition);
        if !dir.is_dir() {
            continue;
        }
        for file in sorted_files(&dir)? {
            if !file.ends_with(".parquet") {
                continue;
            }
            let path = dir.join(&file);
            let size = fs::metadata(&path)
                .map_err(io_error("reading", &path))?
                .len();
            let rows = u64::try_from(parquet_rows(&path)?).unwrap_or(0);
            files.push(CommittedFile {
                path: format!("{table}/{partition}/{file}"),
                table: table.clone(),
                snapshot_date: date,
                size,
                rows,
            });
        }
    }
    Ok((files, manifests))
}

fn sorted_files(dir: &Path) -> Result<Vec<String>, DatasetError> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(io_error("listing", dir))?
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// A store error's text without the query of any URL in it: a SAS token or a presigned
/// signature travels there.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>'))
            .unwrap_or(after.len());
        let (url, tail) = after.split_at(end);
        match url.split_once('?') {
            Some((base, _)) => {
                out.push_str(base);
                out.push_str("?[query removed]");
            }
            None => out.push_str(url),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Where a remote output's local work folder is by default: one per URL under the system's
/// temporary folder, so consecutive runs on one machine link rather than download.
pub fn default_work_dir(url: &str) -> PathBuf {
    std::env::temp_dir()
        .join("ado-posture")
        .join(format!("{:08x}", crc32fast::hash(url.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn in_memory() -> RemoteDataset {
        RemoteDataset {
            store: Arc::new(object_store::memory::InMemory::new()),
            root: StorePath::from("nightly"),
            url: "memory://nightly".into(),
            delta_logs: true,
        }
    }

    /// Commits a local snapshot of `date` by run `run`: one Parquet file of `rows` rows in each
    /// of two tables, and its manifest (the local commit protocol, as a run does).
    fn commit_local(local: &Path, run: &str, date: NaiveDate, rows: i64) {
        use arrow::array::Int64Array;
        use arrow::datatypes::{DataType, Field, Schema};
        use arrow::record_batch::RecordBatch;
        let versions = VersionStore::of(local);
        versions.recover().unwrap();
        let staging = versions.stage(run).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from_iter_values(0..rows))],
        )
        .unwrap();
        for table in ["findings", "repositories"] {
            let dir = staging.join(table).join(super::super::partition_name(date));
            fs::create_dir_all(&dir).unwrap();
            let file = fs::File::create(dir.join(format!("{run}-0000.parquet"))).unwrap();
            let mut writer =
                parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
        }
        fs::create_dir_all(staging.join("_runs")).unwrap();
        fs::write(
            staging.join("_runs").join(format!("{run}.json")),
            format!("{{\"run_id\": \"{run}\", \"snapshot_date\": \"{date}\"}}"),
        )
        .unwrap();
        versions
            .commit(
                run,
                &["findings", "repositories"],
                Keep {
                    replace: Replace::Date(date),
                    from: None,
                },
            )
            .unwrap();
    }

    async fn stored(remote: &RemoteDataset) -> BTreeSet<String> {
        let all: Vec<_> = remote.store.list(None).try_collect().await.unwrap();
        all.into_iter().map(|m| m.location.to_string()).collect()
    }

    #[tokio::test]
    async fn each_publish_is_one_version_naming_every_file_and_replacing_its_date() {
        let tmp = tempfile::tempdir().unwrap();
        let local = tmp.path().join("dataset");
        let remote = in_memory();
        let now = Utc::now();
        commit_local(&local, "run-a", day(24), 3);
        let first = remote.publish(&local, day(24), None, now).await.unwrap();
        assert_eq!((first.version, first.files), (0, 3));
        commit_local(&local, "run-b", day(25), 5);
        remote.publish(&local, day(25), None, now).await.unwrap();
        // A same-day re-run replaces its date's files in the next version.
        commit_local(&local, "run-c", day(25), 7);
        remote.publish(&local, day(25), None, now).await.unwrap();
        let entry = remote.latest().await.unwrap().unwrap();
        assert_eq!((entry.version, entry.run_id.as_str()), (2, "run-c"));
        let paths: Vec<&str> = entry.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "findings/snapshot_date=2026-11-24/run-a-0000.parquet",
                "findings/snapshot_date=2026-11-25/run-c-0000.parquet",
                "repositories/snapshot_date=2026-11-24/run-a-0000.parquet",
                "repositories/snapshot_date=2026-11-25/run-c-0000.parquet",
            ]
        );
        assert_eq!(
            entry.files.iter().map(|f| f.rows).sum::<u64>(),
            3 + 3 + 7 + 7
        );
        let manifests: Vec<&str> = entry.manifests.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(manifests, ["_runs/run-a.json", "_runs/run-c.json"]);
        // Each table's Delta log replays to the same files: three versions (the first declares
        // the table), each saying which commit of ours it reflects.
        let log = remote.path("dataset/findings/_delta_log");
        let mut versions = Vec::new();
        for v in 0..3 {
            versions.push(
                remote
                    .get_bytes(&log.clone().join(delta::log_file_name(v)))
                    .await
                    .unwrap(),
            );
        }
        assert!(
            remote
                .get_bytes(&log.clone().join(delta::log_file_name(3)))
                .await
                .is_err()
        );
        assert_eq!(
            delta::replay(versions.iter().map(Vec::as_slice)),
            [
                "snapshot_date=2026-11-24/run-a-0000.parquet",
                "snapshot_date=2026-11-25/run-c-0000.parquet"
            ]
        );
        assert_eq!(
            delta::reflected(&versions[2]).map(|(ours, _)| ours),
            Some(2)
        );
    }

    #[tokio::test]
    async fn retention_and_replaced_files_are_deleted_only_when_no_recent_version_names_them() {
        let tmp = tempfile::tempdir().unwrap();
        let local = tmp.path().join("dataset");
        let remote = in_memory();
        let now = Utc::now();
        commit_local(&local, "run-a", day(24), 1);
        remote.publish(&local, day(24), None, now).await.unwrap();
        commit_local(&local, "run-b", day(25), 1);
        let kept = remote
            .publish(&local, day(25), Some(day(25)), now)
            .await
            .unwrap();
        // Out of the new version, but the previous one still names day 24's files.
        assert_eq!(kept.deleted, 0);
        assert!(
            stored(&remote)
                .await
                .iter()
                .any(|p| p.contains("run-a-0000"))
        );
        let entry = remote.latest().await.unwrap().unwrap();
        assert!(
            entry.files.iter().all(|f| f.snapshot_date == day(25)),
            "{entry:?}"
        );
        // A writer's uploads that never committed, and day 24 once no recent version names it:
        // deleted past ORPHAN_AGE only.
        let orphan =
            StorePath::from("nightly/dataset/findings/snapshot_date=2026-11-26/dead-0000.parquet");
        remote
            .store
            .put(&orphan, PutPayload::from_static(b"x"))
            .await
            .unwrap();
        commit_local(&local, "run-c", day(26), 1);
        let soon = remote
            .publish(&local, day(26), Some(day(25)), now)
            .await
            .unwrap();
        assert_eq!(soon.deleted, 0, "nothing is old enough yet");
        commit_local(&local, "run-d", day(27), 1);
        let later = now + ORPHAN_AGE + chrono::Duration::minutes(1);
        let collected = remote
            .publish(&local, day(27), Some(day(25)), later)
            .await
            .unwrap();
        let left = stored(&remote).await;
        assert!(
            !left
                .iter()
                .any(|p| p.contains("run-a") || p.contains("dead-0000")),
            "{left:?}"
        );
        assert!(
            left.iter().any(|p| p.contains("run-b-0000")),
            "still named: {left:?}"
        );
        assert_eq!(collected.deleted, 4, "{left:?}");
    }

    #[tokio::test]
    async fn a_version_another_writer_committed_is_a_conflict_not_an_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let local = tmp.path().join("dataset");
        let remote = in_memory();
        commit_local(&local, "run-a", day(24), 1);
        remote
            .publish(&local, day(24), None, Utc::now())
            .await
            .unwrap();
        let mut theirs = remote.latest().await.unwrap().unwrap();
        theirs.run_id = "someone-else".into();
        let err = remote.commit_entry(&theirs).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { version: 0, .. }),
            "{err}"
        );
        assert_eq!(remote.latest().await.unwrap().unwrap().run_id, "run-a");
    }

    #[tokio::test]
    async fn hydrating_makes_the_local_dataset_exactly_the_selected_committed_dates() {
        let tmp = tempfile::tempdir().unwrap();
        let writer = tmp.path().join("writer").join("dataset");
        let remote = in_memory();
        for (run, d) in [("run-a", 24), ("run-b", 25)] {
            commit_local(&writer, run, day(d), 2);
            remote
                .publish(&writer, day(d), None, Utc::now())
                .await
                .unwrap();
        }
        let reader = tmp.path().join("reader").join("dataset");
        // What the work folder held before is not current afterwards.
        commit_local(&reader, "stale", day(26), 1);
        let before = |dates: &[NaiveDate]| -> Vec<NaiveDate> {
            dates
                .iter()
                .copied()
                .filter(|d| *d < day(26))
                .max()
                .into_iter()
                .collect()
        };
        let got = remote.hydrate(&reader, &before).await.unwrap();
        assert_eq!(
            (got.version, got.dates.clone(), got.files),
            (Some(1), vec![day(25)], 3)
        );
        assert!(got.bytes_downloaded > 0);
        let dataset = super::super::Dataset::new(&reader);
        assert_eq!(dataset.snapshot_dates("findings").unwrap(), vec![day(25)]);
        assert!(reader.join("_runs/run-b.json").is_file());
        assert!(!reader.join("_runs/stale.json").exists());
        // Again: the files are there already, so they are linked, not downloaded.
        let again = remote.hydrate(&reader, &before).await.unwrap();
        assert_eq!(again.bytes_downloaded, 0);
    }

    #[test]
    fn urls_are_told_from_folders() {
        for url in [
            "az://c/p",
            "abfss://c@a.dfs.core.windows.net/p",
            "s3://b",
            "gs://b/x/y",
        ] {
            assert!(is_url(url), "{url}");
        }
        for dir in ["/var/lib/ado", "out", "C:\\out", "./a://b", ""] {
            assert!(!is_url(dir), "{dir}");
        }
    }

    #[test]
    fn unsupported_schemes_and_secrets_in_urls_are_refused() {
        let err = RemoteDataset::from_url("ftp://host/x", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not supported") && err.contains("s3://"),
            "{err}"
        );
        let err = RemoteDataset::from_url("az://c/p?sv=2024&sig=SECRET", None)
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("SECRET") && err.contains("environment"),
            "{err}"
        );
    }

    #[test]
    fn queries_are_removed_from_store_errors() {
        let text = "error sending request for url (https://a.blob.core.windows.net/c/x?sig=SECRET&se=1): timeout; http://h/p ok";
        let clean = redact(text);
        assert!(!clean.contains("SECRET"), "{clean}");
        assert!(
            clean.contains(
                "https://a.blob.core.windows.net/c/x?[query removed]): timeout; http://h/p ok"
            ),
            "{clean}"
        );
    }
}
