//! The C allocator's settings for a long batch job (glibc only).
//!
//! glibc's malloc gives threads arenas of their own and returns freed memory to the system only
//! from the top of a heap. A crawl that allocates and frees on every worker thread, then rules
//! and reports on others, kept about twice its live memory resident: 874 MB for 413 MB live on
//! the 100,000-repository benchmark (docs/benchmarks.md). Two arenas and a 128 KiB trim
//! threshold brought it to 500 MB, for about 6% more wall time; giving the free memory back
//! between the job's stages ([`release_free`]) keeps a stage from sitting on the last one's.

/// Sets the allocator's parameters, unless the environment sets them (`MALLOC_ARENA_MAX`,
/// `MALLOC_TRIM_THRESHOLD_`). Call it first in `main`, before any thread is started.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const ARENAS: libc::c_int = 2;
        const TRIM_THRESHOLD_BYTES: libc::c_int = 128 * 1024;
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            // SAFETY: mallopt only sets a parameter of glibc's allocator; no thread runs yet.
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, ARENAS);
            }
        }
        if std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_none() {
            // SAFETY: as above.
            unsafe {
                libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES);
            }
        }
    }
}

/// Gives the memory freed by a finished stage back to the system (glibc's `malloc_trim`, which
/// also releases free pages inside the heaps, not only at their tops).
pub fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
