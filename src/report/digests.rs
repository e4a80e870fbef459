//! What each owner's digest e-mail lists, read from the snapshot's `finding_owners` and
//! `findings` tables: the owner's open findings counted, and the first rows in digest order
//! (new first, then severity, rule, resource). Only those rows are held, whatever the estate.

use chrono::NaiveDate;
use polars::prelude::*;

use super::ReportError;
use super::data::{new_count, open_findings};
use crate::dataset::{Dataset, scan_files};
use crate::rules::Owner;
use crate::tables::findings::{FINDING_OWNERS, FINDINGS};

/// One owner's open findings: how many, how many new, and the first `rows` of them.
#[derive(Debug, Default)]
pub struct OwnerDigest {
    pub open: u64,
    pub new: u64,
    pub rows: Vec<DigestRow>,
}

/// A line of a digest.
#[derive(Debug)]
pub struct DigestRow {
    pub severity: String,
    pub rule_id: String,
    pub title: String,
    pub organization: String,
    pub project: String,
    pub resource_name: String,
    pub status: String,
}

/// The digest of each of `owners` (same order) for the snapshot of `date`, with at most
/// `rows` rows each.
pub fn owner_digests(
    dataset: &Dataset,
    date: NaiveDate,
    owners: &[Owner],
    rows: usize,
) -> Result<Vec<OwnerDigest>, ReportError> {
    let owned_files = dataset.partition_files(FINDING_OWNERS.name, date)?;
    let finding_files = dataset.partition_files(FINDINGS.name, date)?;
    if owned_files.is_empty() || finding_files.is_empty() {
        return Ok(owners.iter().map(|_| OwnerDigest::default()).collect());
    }
    let owned = scan_files(&owned_files)?.filter(open_findings());
    let titles = scan_files(&finding_files)?.select([col("finding_id"), col("title")]);
    // Report order, as `severity_rank`: an unknown severity after every known one.
    let severity_rank =
        crate::rules::Severity::ALL
            .iter()
            .rev()
            .fold(lit(4i32), |otherwise, severity| {
                when(col("severity").eq(lit(severity.as_str())))
                    .then(lit(i32::from(severity.rank())))
                    .otherwise(otherwise)
            });
    let mut digests = Vec::with_capacity(owners.len());
    for owner in owners {
        let mine = owned.clone().filter(
            col("owner")
                .eq(lit(owner.team.clone()))
                .and(col("owner_email").eq(lit(owner.email.clone()))),
        );
        let counts = mine
            .clone()
            .select([len().cast(DataType::UInt64).alias("open"), new_count()])
            .collect()?;
        let count = |name: &str| -> Result<u64, ReportError> {
            Ok(counts.column(name)?.u64()?.get(0).unwrap_or(0))
        };
        let (open, new) = (count("open")?, count("new")?);
        let first = mine
            .join(
                titles.clone(),
                [col("finding_id")],
                [col("finding_id")],
                JoinArgs::new(JoinType::Left),
            )
            .sort_by_exprs(
                [
                    col("status").neq(lit("new")),
                    severity_rank.clone(),
                    col("rule_id"),
                    col("resource_name"),
                ],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .limit(u32::try_from(rows).unwrap_or(u32::MAX))
            .select(
                [
                    "severity",
                    "rule_id",
                    "title",
                    "organization",
                    "project",
                    "resource_name",
                    "status",
                ]
                .map(|c| col(c).cast(DataType::String)),
            )
            .collect()?;
        let text = |name: &str| -> Result<StringChunked, ReportError> {
            Ok(first.column(name)?.str()?.clone())
        };
        let columns = [
            text("severity")?,
            text("rule_id")?,
            text("title")?,
            text("organization")?,
            text("project")?,
            text("resource_name")?,
            text("status")?,
        ];
        let cell = |c: usize, i: usize| columns[c].get(i).unwrap_or_default().to_string();
        let rows = (0..first.height())
            .map(|i| DigestRow {
                severity: cell(0, i),
                rule_id: cell(1, i),
                title: cell(2, i),
                organization: cell(3, i),
                project: cell(4, i),
                resource_name: cell(5, i),
                status: cell(6, i),
            })
            .collect();
        digests.push(OwnerDigest { open, new, rows });
    }
    Ok(digests)
}
