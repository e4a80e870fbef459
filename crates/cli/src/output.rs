//! Where a nightly run's output goes: a local folder, or an object store the run reaches through
//! a local work folder (brought up to date from the store before the run, published after it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;

use ado_posture::ado::auth::TokenSource;
use ado_posture::config::EntraCredential;
use ado_posture::dataset::remote::{self, Hydrated, RemoteDataset, StoreError};
use ado_posture::shard::Shard;

/// A run's output.
pub struct Output {
    /// The folder the job writes: the output folder itself, or the store's work folder.
    pub local: PathBuf,
    /// The object store, when `[output] dir` (or `--out`) is its URL.
    pub store: Option<RemoteDataset>,
}

impl Output {
    /// Resolves `--out` / `[output] dir`; a problem is pushed (named after `key`) when the
    /// folder cannot be written or the URL cannot be used.
    pub fn resolve(
        dir: &Path,
        work_dir: Option<&Path>,
        identity: Option<&EntraCredential>,
        key: &str,
        problems: &mut Vec<String>,
    ) -> Option<Output> {
        let text = dir.to_string_lossy();
        if !remote::is_url(&text) {
            if work_dir.is_some() || identity.is_some() {
                problems.push(format!(
                    "[output] work_dir and identity are only used when {key} is an object store's URL ({})",
                    remote::SCHEMES
                ));
            }
            if let Err(e) = ado_posture::config::check_output_dir(dir) {
                problems.push(format!("{key}: {e}"));
                return None;
            }
            return Some(Output {
                local: dir.to_path_buf(),
                store: None,
            });
        }
        let tokens = match identity
            .map(|c| TokenSource::for_storage(c.clone()))
            .transpose()
        {
            Ok(tokens) => tokens.map(Arc::new),
            Err(e) => {
                problems.push(format!("[output] identity: {e}"));
                return None;
            }
        };
        let store = match RemoteDataset::from_url(&text, tokens) {
            Ok(store) => store,
            Err(e) => {
                problems.push(format!("{key}: {e}"));
                return None;
            }
        };
        let local = work_dir.map_or_else(|| remote::default_work_dir(&text), Path::to_path_buf);
        if let Err(e) = ado_posture::config::check_output_dir(&local) {
            problems.push(format!("[output] work_dir: {e}"));
            return None;
        }
        Some(Output {
            local,
            store: Some(store),
        })
    }

    /// The output, for messages.
    pub fn describe(&self) -> String {
        match &self.store {
            Some(store) => format!("{} (working in {})", store.url(), self.local.display()),
            None => self.local.display().to_string(),
        }
    }
}

/// The run's snapshot date, and with a store the work folder made ready for it ([`hydrate`]).
/// The date is the one given; for `finalize` without one, the shards' ([`shards_date`]); else
/// today (UTC).
pub async fn prepare(
    output: &Output,
    given: Option<NaiveDate>,
    shards: Option<u32>,
) -> Result<NaiveDate, StoreError> {
    let today = chrono::Utc::now().date_naive();
    let date = match (given, shards) {
        (Some(date), _) => date,
        (None, Some(shards)) => {
            let date = shards_date(output, shards, today).await?;
            if date != today {
                println!(
                    "Finalizing the shards' snapshot of {date} (the newest they committed; --snapshot-date chooses another)"
                );
            }
            date
        }
        (None, None) => today,
    };
    if let Some(store) = &output.store {
        hydrate(store, &output.local, date, shards).await?;
    }
    Ok(date)
}

/// Makes the work folder's dataset the store's previous snapshot before `date` (what the run's
/// history and change feed compare with) and, for `finalize`, each shard's part of `date`.
async fn hydrate(
    store: &RemoteDataset,
    local: &Path,
    date: NaiveDate,
    shards: Option<u32>,
) -> Result<(), StoreError> {
    let before = |dates: &[NaiveDate]| -> Vec<NaiveDate> {
        dates
            .iter()
            .copied()
            .filter(|d| *d < date)
            .max()
            .into_iter()
            .collect()
    };
    let got = store.hydrate(&local.join("dataset"), &before).await?;
    say_hydrated(store.url(), &got);
    for shard in shards.into_iter().flat_map(Shard::all) {
        let part = store.child(&shard_prefix(shard));
        let of_date = |dates: &[NaiveDate]| -> Vec<NaiveDate> {
            dates.iter().copied().filter(|d| *d == date).collect()
        };
        let got = part
            .hydrate(&shard.folder(local).join("dataset"), &of_date)
            .await?;
        say_hydrated(part.url(), &got);
    }
    Ok(())
}

fn say_hydrated(url: &str, got: &Hydrated) {
    match got.version {
        Some(version) => println!(
            "Read {url} version {version}: {} file(s) of {} ({:.1} MB downloaded)",
            got.files,
            if got.dates.is_empty() {
                "no snapshot".to_string()
            } else {
                got.dates
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            megabytes(got.bytes_downloaded),
        ),
        None => println!("Read {url}: nothing committed there yet"),
    }
}

/// Publishes a committed snapshot of the work folder (and, for a whole run, its reports).
pub async fn publish(
    store: &RemoteDataset,
    local: &Path,
    date: NaiveDate,
    retain_from: Option<NaiveDate>,
    reports: Option<&Path>,
) -> Result<(), StoreError> {
    let published = store
        .publish(
            &local.join("dataset"),
            date,
            retain_from,
            chrono::Utc::now(),
        )
        .await?;
    println!(
        "  published: {}/dataset version {} ({} file(s), {:.1} MB; {} old object(s) deleted)",
        store.url(),
        published.version,
        published.files,
        megabytes(published.bytes),
        published.deleted,
    );
    if let Some(reports) = reports {
        let files = store.publish_reports(reports, date, retain_from).await?;
        println!(
            "  published: {}/reports/{date} ({files} file(s))",
            store.url()
        );
    }
    Ok(())
}

/// The date `finalize` assembles when none is given: the newest date a shard committed, when it
/// is today or yesterday (UTC), so that shards that started before midnight are finalized after
/// it; else today. A shard's date is the day its run started.
async fn shards_date(
    output: &Output,
    shards: u32,
    today: NaiveDate,
) -> Result<NaiveDate, StoreError> {
    let mut newest: Option<NaiveDate> = None;
    for shard in Shard::all(shards) {
        let date = match &output.store {
            Some(store) => store
                .child(&shard_prefix(shard))
                .latest()
                .await?
                .map(|entry| entry.snapshot_date),
            None => ado_posture::dataset::Dataset::new(shard.folder(&output.local).join("dataset"))
                .snapshot_dates(ado_posture::tables::inventory::ORGANIZATIONS.name)
                .ok()
                .and_then(|dates| dates.last().copied()),
        };
        newest = newest.max(date);
    }
    let yesterday = today.pred_opt().unwrap_or(today);
    Ok(match newest {
        Some(date) if date == today || date == yesterday => date,
        _ => today,
    })
}

/// A shard's part in the store: `shards/K-of-N`, as its local folder under the work folder.
pub fn shard_prefix(shard: Shard) -> String {
    shard.folder(Path::new("")).to_string_lossy().into_owned()
}

fn megabytes(bytes: u64) -> f64 {
    // Display only: a u64 byte count is far inside f64's exact range for any real upload.
    bytes as f64 / 1_048_576.0
}
