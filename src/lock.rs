//! The run lock: one `ado-posture run` at a time per output folder.
//!
//! An advisory `flock` on `OUT/.ado-posture.lock`, which the kernel releases when the holder
//! dies, so a lock file left by a killed run is simply taken over. The file records who holds
//! it (pid, host, start time) for the message a second run prints.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = ".ado-posture.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another ado-posture run holds the lock {path} ({holder}); wait for it to finish")]
    Held { path: PathBuf, holder: String },
    #[error("cannot take the run lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A held lock; released (and its file removed) on drop.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
    /// Who held the lock before, when a dead run left its file behind.
    pub taken_over_from: Option<String>,
}

impl RunLock {
    /// Takes the lock of an output folder (creating the folder), or says who holds it.
    pub fn acquire(out: &Path) -> Result<Self, LockError> {
        let path = out.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(out).map_err(io)?;
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            let mut previous = String::new();
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let _ = file.read_to_string(&mut previous);
                    return Err(LockError::Held {
                        path,
                        holder: describe(&previous),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            // The holder before us may have removed the file between our open and our lock:
            // then we hold a lock on a file nobody else will open, so start again.
            if !same_file(&file, &path) {
                continue;
            }
            file.read_to_string(&mut previous).map_err(io)?;
            let taken_over_from = (!previous.trim().is_empty()).then(|| describe(&previous));
            file.set_len(0).map_err(io)?;
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
            writeln!(
                file,
                "pid={}\nhost={}\nstarted={}",
                std::process::id(),
                host.trim(),
                chrono::Utc::now().to_rfc3339()
            )
            .map_err(io)?;
            file.sync_all().map_err(io)?;
            return Ok(RunLock {
                file,
                path,
                taken_over_from,
            });
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Remove while still holding the lock, so no one takes over a file that is going away.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

fn describe(content: &str) -> String {
    let fields: Vec<&str> = content
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if fields.is_empty() {
        "holder unknown".to_string()
    } else {
        fields.join(", ")
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        let err = RunLock::acquire(dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("pid={}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(!dir.path().join(LOCK_FILE).exists());
        RunLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn a_stale_lock_file_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK_FILE), "pid=999999\nhost=gone\n").unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(
            lock.taken_over_from.as_deref(),
            Some("pid=999999, host=gone")
        );
    }
}
