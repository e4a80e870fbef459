//! The crawl's progress on a terminal: organizations done, projects, requests and throttling.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use ado_posture::crawl::CrawlProgress;

/// Organizations crawled, as a bar on a terminal; nothing otherwise.
pub struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
    /// Stops the thread that shows request counters.
    done: Arc<std::sync::atomic::AtomicBool>,
}

impl ProgressBar {
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} organizations {pos}/{len} · {prefix} · {wide_msg} [{elapsed}]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        ProgressBar {
            bar,
            done: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    pub fn finish(&self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl CrawlProgress for ProgressBar {
    fn watch_requests(
        &self,
        stats: Arc<ado_posture::ado::stats::ApiStats>,
        projects: Arc<ado_posture::crawl::ProjectCounter>,
    ) {
        let Some(bar) = self.bar.clone() else {
            return;
        };
        let done = self.done.clone();
        // Requests, retries and throttling, refreshed twice a second until the crawl ends.
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let t = stats.totals();
                let (done, found) = (
                    projects.done.load(std::sync::atomic::Ordering::Relaxed),
                    projects.found.load(std::sync::atomic::Ordering::Relaxed),
                );
                bar.set_prefix(format!(
                    "projects {done}/{found} · requests {} · retries {} · blocked (429) {} · delayed {:.0}s",
                    t.calls, t.retries, t.blocked, t.delayed_seconds
                ));
                std::thread::sleep(Duration::from_millis(500));
            }
        });
    }

    fn organizations_found(&self, _connector: &str, count: usize) {
        if let Some(bar) = &self.bar {
            bar.inc_length(count as u64);
        }
    }

    fn organization_done(&self, connector: &str, organization: &str, crawled: bool) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "{connector}/{organization}{}",
                if crawled { "" } else { " failed" }
            ));
        }
    }
}
