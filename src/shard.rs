//! A crawl split across processes: `--shard K/N` gives each of N jobs (a Kubernetes Indexed Job,
//! an Azure Pipelines matrix) its share of the organizations, by a stable hash of (connector,
//! organization), so the same organization goes to the same shard every night whatever the order
//! of discovery. Each shard commits its part into its own folder (`OUT/shards/K-of-N/`, its own
//! lock and commit), so shards never wait for each other; `finalize` assembles the parts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The folder of `OUT` that holds the shards' parts.
pub const SHARDS_FOLDER: &str = "shards";
/// Shards a crawl may be split into (a bound on typing mistakes, not on scale).
pub const MAX_SHARDS: u32 = 1024;

/// Shard `index` of `count` (1-based, as `--shard 2/3` says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// Why a `--shard` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    #[error("--shard {0:?}: expected K/N, e.g. 2/3")]
    Form(String),
    #[error("--shard {0:?}: K and N must be whole numbers with 1 <= K <= N <= {MAX_SHARDS}")]
    Range(String),
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (index, count) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| ShardError::Form(text.to_string()))?;
        let number = |part: &str| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| ShardError::Range(text.to_string()))
        };
        let (index, count) = (number(index)?, number(count)?);
        if index == 0 || index > count || count > MAX_SHARDS {
            return Err(ShardError::Range(text.to_string()));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Every shard of a crawl split `count` ways.
    pub fn all(count: u32) -> impl Iterator<Item = Shard> {
        (1..=count).map(move |index| Shard { index, count })
    }

    /// Whether this shard crawls the organization. CRC-32 of the lower-cased names: stable across
    /// versions and platforms (unlike std's hasher), and names differ only in case in URLs.
    pub fn owns(&self, connector: &str, organization: &str) -> bool {
        let key = format!(
            "{}\u{0}{}",
            connector.to_lowercase(),
            organization.to_lowercase()
        );
        let slot = crc32fast::hash(key.as_bytes()) % self.count.max(1);
        slot == self.index.saturating_sub(1)
    }

    /// `OUT/shards/K-of-N`: where this shard's run writes (its dataset, its lock).
    pub fn folder(&self, out: &Path) -> PathBuf {
        out.join(SHARDS_FOLDER)
            .join(format!("{}-of-{}", self.index, self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_is_not_k_of_n() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(" 1 / 1 ".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "a/3", "-1/3", "1/2000"] {
            assert!(
                matches!(bad.parse::<Shard>(), Err(ShardError::Range(_))),
                "{bad}"
            );
        }
        for bad in ["", "3", "1-3"] {
            assert!(
                matches!(bad.parse::<Shard>(), Err(ShardError::Form(_))),
                "{bad}"
            );
        }
        assert_eq!(Shard { index: 2, count: 3 }.to_string(), "2/3");
    }

    /// Each organization belongs to exactly one shard, whatever the case of its name, and the
    /// assignment is the same on every machine (pinned values).
    #[test]
    fn every_organization_has_exactly_one_stable_shard() {
        for count in 1..=7 {
            for n in 0..200 {
                let org = format!("org-{n}");
                let owners: Vec<Shard> = Shard::all(count)
                    .filter(|s| s.owns("contoso", &org))
                    .collect();
                assert_eq!(owners.len(), 1, "{org} of {count}");
                assert!(owners[0].owns("Contoso", &org.to_uppercase()));
            }
        }
        // CRC-32 (IEEE) is fixed by its standard (Python's zlib.crc32 gives the same values), so
        // an organization's shard never changes between versions or machines.
        assert_eq!(crc32fast::hash(b"bench\0sim-org-00"), 3_836_975_154);
        let of = |org: &str| {
            Shard::all(3)
                .find(|s| s.owns("bench", org))
                .map(|s| s.index)
        };
        assert_eq!(
            [of("sim-org-00"), of("sim-org-01"), of("sim-org-02")],
            [Some(1), Some(3), Some(2)]
        );
    }
}
