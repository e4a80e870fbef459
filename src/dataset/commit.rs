//! The commit protocol: every change to the dataset becomes visible at one instant, whole.
//!
//! `OUT/dataset` is a symbolic link to one complete version of the whole dataset,
//! `OUT/.dataset-versions/<id>/`. A writer builds the next version beside it in
//! `<id>.staging/`: the files it wrote, plus hard links to every file of the current version it
//! keeps (Parquet files are never modified, so a link is as good as a copy and costs no space).
//! Then it renames the finished tree to `<id>/` and swaps the link with one `rename(2)`, which is
//! atomic: a reader resolves `OUT/dataset` to the old tree or to the new one, never to a mix.
//!
//! Crash points, and what the next writer (holding the output folder's lock) finds:
//! 1. while staging or linking: a `*.staging` tree, removed; the current version is untouched;
//! 2. after the rename to `<id>/`, before the swap: a complete version nobody points to, removed;
//! 3. after the swap, before the old version is removed: the old version, kept as the previous
//!    one (readers that listed its files a moment ago can still open them) until the next commit;
//! 4. a legacy `OUT/dataset` folder (before this protocol) is moved into the versions folder and
//!    linked; a crash between the two steps leaves the moved tree, which recovery links again.
//!
//! Nothing that the current version holds is ever deleted: a version is removed only once it is
//! neither current nor the one just replaced.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{DatasetError, io_error};

/// The suffix of a version being built.
const STAGING_SUFFIX: &str = ".staging";
/// The name a legacy dataset folder gets when it becomes the first version.
const LEGACY_VERSION: &str = "legacy";
/// For the crash tests: the step at which the process aborts (as a SIGKILL would stop it).
const CRASH_AT_VARIABLE: &str = "ADO_POSTURE_TEST_CRASH_AT";

/// Where a dataset's versions live and which one is current.
#[derive(Debug, Clone)]
pub struct VersionStore {
    /// `OUT/dataset`: the link readers open.
    pointer: PathBuf,
    /// `OUT/.dataset-versions`.
    versions: PathBuf,
}

/// Which partitions of the current version a commit replaces.
#[derive(Debug, Clone, Copy)]
pub enum Replace {
    /// Every table's partition of the date and that date's run manifests: a whole snapshot.
    Date(NaiveDate),
    /// Only the partitions of the date of the tables the writer wrote (re-evaluated findings).
    TablesOf(NaiveDate),
    /// Nothing: the commit only removes (retention).
    Nothing,
    /// Everything: the staged tree is the whole new version (a copy of an object store's).
    Everything,
}

/// What a commit keeps besides what it replaces.
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    pub replace: Replace,
    /// Partitions and manifests of snapshots before this date are left out (retention).
    pub from: Option<NaiveDate>,
}

impl VersionStore {
    /// The store of a dataset root (`OUT/dataset`).
    pub fn of(root: &Path) -> Self {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dataset".to_string());
        let parent = root.parent().unwrap_or_else(|| Path::new("."));
        VersionStore {
            pointer: root.to_path_buf(),
            versions: parent.join(format!(".{name}-versions")),
        }
    }

    /// The folder of the current version, if the dataset has one.
    pub fn current(&self) -> Result<Option<PathBuf>, DatasetError> {
        match fs::read_link(&self.pointer) {
            Ok(target) => Ok(Some(self.resolve(&target))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            // Not a link: a legacy folder (recovered into a version by `recover`).
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(Some(self.pointer.clone())),
            Err(e) => Err(io_error("reading the link", &self.pointer)(e)),
        }
    }

    fn resolve(&self, target: &Path) -> PathBuf {
        match self.pointer.parent() {
            Some(parent) if target.is_relative() => parent.join(target),
            _ => target.to_path_buf(),
        }
    }

    /// Brings the dataset to a clean committed state after whatever stopped the last writer:
    /// a legacy folder becomes the first version; unfinished and never-switched versions go.
    /// Call it holding the output folder's lock.
    pub fn recover(&self) -> Result<(), DatasetError> {
        let is_link = fs::symlink_metadata(&self.pointer)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if !is_link && self.is_a_version_folder() {
            // Reached through a resolved path (e.g. `--data .` inside the dataset): writing here
            // would bypass the link, and "migrating" it would move a live version.
            return Err(DatasetError::Io {
                action: "opening",
                path: self.pointer.clone(),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "this is one version of a dataset, not the dataset: name the output folder \
                     (or its `dataset` link) instead",
                ),
            });
        }
        if !is_link && self.pointer.is_dir() {
            fs::create_dir_all(&self.versions).map_err(io_error("creating", &self.versions))?;
            let legacy = self.versions.join(LEGACY_VERSION);
            if legacy.exists() {
                return Err(DatasetError::Io {
                    action: "migrating",
                    path: self.pointer.clone(),
                    source: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("both a dataset folder and {} exist", legacy.display()),
                    ),
                });
            }
            tracing::info!(path = %self.pointer.display(), "moving the dataset folder into versioned storage (one-time)");
            fs::rename(&self.pointer, &legacy).map_err(io_error("moving", &self.pointer))?;
            self.switch_to(LEGACY_VERSION)?;
        } else if !is_link && self.versions.join(LEGACY_VERSION).is_dir() {
            // Killed between the two steps of the migration above.
            self.switch_to(LEGACY_VERSION)?;
        }
        self.collect(None)
    }

    /// Removes every version being built (best effort): for a process about to exit on a
    /// signal outside the commit itself; the next writer's recovery does the same.
    pub fn discard_staging(&self) {
        if let Ok(entries) = fs::read_dir(&self.versions) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .ends_with(STAGING_SUFFIX)
                {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
    }

    /// Whether the pointer is itself a folder inside a versions folder (`.…-versions/<id>`).
    fn is_a_version_folder(&self) -> bool {
        let parent_name = std::path::absolute(&self.pointer)
            .ok()
            .and_then(|p| {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        parent_name.starts_with('.') && parent_name.ends_with("-versions")
    }

    /// Starts the next version: an empty `<id>.staging` folder to write into.
    pub fn stage(&self, id: &str) -> Result<PathBuf, DatasetError> {
        let staging = self.versions.join(format!("{id}{STAGING_SUFFIX}"));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io_error("removing", &staging))?;
        }
        fs::create_dir_all(&staging).map_err(io_error("creating", &staging))?;
        Ok(staging)
    }

    /// Commits a staged version: links what it keeps of the current version, then makes it
    /// current with one atomic rename. `written` names the tables the writer staged.
    pub fn commit(&self, id: &str, written: &[&str], keep: Keep) -> Result<(), DatasetError> {
        let staging = self.versions.join(format!("{id}{STAGING_SUFFIX}"));
        crash_point("staged");
        let previous = self.current()?;
        if let Some(current) = &previous {
            link_kept(current, &staging, written, keep)?;
        }
        crash_point("linked");
        let finished = self.versions.join(id);
        fs::rename(&staging, &finished).map_err(io_error("finishing", &staging))?;
        sync_dir(&self.versions)?;
        crash_point("finished");
        self.switch_to(id)?;
        crash_point("switched");
        self.collect(previous.as_deref())?;
        crash_point("collected");
        Ok(())
    }

    /// Points `OUT/dataset` at version `id`: a new link renamed over the old one.
    fn switch_to(&self, id: &str) -> Result<(), DatasetError> {
        let parent = self.pointer.parent().unwrap_or_else(|| Path::new("."));
        let versions_name = self
            .versions
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let next = parent.join(format!(".{id}.link"));
        let _ = fs::remove_file(&next);
        let target = Path::new(&versions_name).join(id);
        std::os::unix::fs::symlink(&target, &next).map_err(io_error("linking", &next))?;
        fs::rename(&next, &self.pointer).map_err(io_error("switching", &self.pointer))?;
        sync_dir(parent)
    }

    /// Removes every version but the current one and `keep` (the one just replaced), every
    /// unfinished one, and stray link files.
    fn collect(&self, keep: Option<&Path>) -> Result<(), DatasetError> {
        let current = self.current()?;
        let entries = match fs::read_dir(&self.versions) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error("listing", &self.versions)(e)),
        };
        let mut finished = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if Some(&path) == current.as_ref() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(STAGING_SUFFIX) || keep.is_none_or(|k| k != path) {
                finished.push(path);
            }
        }
        // Without a version just replaced (recovery), keep the newest other one: it may be
        // the previous version that readers still hold.
        if keep.is_none() {
            let newest = finished
                .iter()
                .filter(|p| !p.to_string_lossy().ends_with(STAGING_SUFFIX))
                .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
                .cloned();
            finished.retain(|p| Some(p) != newest.as_ref());
        }
        for path in finished {
            tracing::debug!(path = %path.display(), "removing an old or unfinished dataset version");
            fs::remove_dir_all(&path).map_err(io_error("removing", &path))?;
        }
        if let Some(parent) = self.pointer.parent()
            && let Ok(entries) = fs::read_dir(parent)
        {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".link") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }
}

/// Hard-links into `staging` every file of `current` that the commit keeps.
fn link_kept(
    current: &Path,
    staging: &Path,
    written: &[&str],
    keep: Keep,
) -> Result<(), DatasetError> {
    if matches!(keep.replace, Replace::Everything) {
        return Ok(());
    }
    let entries = fs::read_dir(current).map_err(io_error("listing", current))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !path.is_dir() || name == "_staging" {
            continue;
        }
        if name == "_runs" {
            link_manifests(&path, &staging.join("_runs"), keep)?;
            continue;
        }
        for partition in fs::read_dir(&path)
            .map_err(io_error("listing", &path))?
            .flatten()
        {
            let partition_name = partition.file_name().to_string_lossy().into_owned();
            let Some(date) = super::partition_date(&partition_name) else {
                continue;
            };
            let replaced = match keep.replace {
                Replace::Date(d) => d == date,
                Replace::TablesOf(d) => d == date && written.contains(&name.as_str()),
                Replace::Nothing => false,
                Replace::Everything => true,
            };
            if replaced || keep.from.is_some_and(|from| date < from) {
                continue;
            }
            link_tree(
                &partition.path(),
                &staging.join(&name).join(&partition_name),
            )?;
        }
    }
    Ok(())
}

/// Links the run manifests kept: those of other dates (a whole date's replacement supersedes
/// its manifests) and within retention.
fn link_manifests(from: &Path, to: &Path, keep: Keep) -> Result<(), DatasetError> {
    fs::create_dir_all(to).map_err(io_error("creating", to))?;
    for entry in fs::read_dir(from)
        .map_err(io_error("listing", from))?
        .flatten()
    {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if target.exists() || path.extension().is_none_or(|x| x != "json") {
            continue; // the new run's own manifest, or a temporary file
        }
        let date = manifest_date(&path);
        let superseded = matches!(keep.replace, Replace::Date(d) if date == Some(d));
        let expired = matches!((keep.from, date), (Some(from), Some(d)) if d < from);
        if !superseded && !expired {
            link_file(&path, &target)?;
        }
    }
    Ok(())
}

/// The `snapshot_date` a run manifest records.
pub(super) fn manifest_date(path: &Path) -> Option<NaiveDate> {
    let text = fs::read(path).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    NaiveDate::parse_from_str(value.get("snapshot_date")?.as_str()?, "%Y-%m-%d").ok()
}

fn link_tree(from: &Path, to: &Path) -> Result<(), DatasetError> {
    fs::create_dir_all(to).map_err(io_error("creating", to))?;
    for entry in fs::read_dir(from)
        .map_err(io_error("listing", from))?
        .flatten()
    {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            link_tree(&path, &target)?;
        } else {
            link_file(&path, &target)?;
        }
    }
    Ok(())
}

/// A hard link, or a copy where the filesystem has none.
fn link_file(from: &Path, to: &Path) -> Result<(), DatasetError> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to).map_err(io_error("copying", from))?;
    Ok(())
}

/// Makes a folder's entries (a rename, a new link) durable.
fn sync_dir(dir: &Path) -> Result<(), DatasetError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("syncing", dir))
}

/// Aborts the process at `step` when the crash tests ask for it: no destructor or cleanup
/// runs, as with SIGKILL.
fn crash_point(step: &str) {
    if std::env::var(CRASH_AT_VARIABLE).is_ok_and(|v| v == step) {
        eprintln!("test crash point: {step}");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version folder reached directly (a resolved path) is refused, never migrated.
    #[test]
    fn a_version_folder_is_not_taken_for_a_dataset() {
        let out = tempfile::tempdir().unwrap();
        let version = out.path().join(".dataset-versions").join("run-1");
        fs::create_dir_all(version.join("findings")).unwrap();
        let err = VersionStore::of(&version).recover().unwrap_err();
        assert!(err.to_string().contains("not the dataset"), "{err}");
        assert!(version.join("findings").is_dir(), "the version was moved");
    }
}
