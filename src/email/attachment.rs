//! The summary e-mail's findings attachment, within a size a mail server accepts.
//!
//! findings.csv of a large estate is hundreds of megabytes, and relays refuse messages past
//! 10 to 25 MB. Up to `[email] attachment_max_kb` the CSV goes as it is; past it, compressed
//! with gzip; past that, only its rows that need attention today (new, critical or high, in the
//! report's order, severity first) as many as fit. The e-mail's text says which.

use std::io::{BufReader, Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::EmailError;

/// What goes into the e-mail.
#[derive(Debug)]
pub struct FindingsAttachment {
    /// The file and its content, or `None` when nothing is attached.
    pub file: Option<AttachedFile>,
    /// One sentence for the message: what is attached, and where the rest is.
    pub description: String,
}

#[derive(Debug)]
pub struct AttachedFile {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Room left in the bound for what the gzip encoder still holds when rows stop being added.
const ENCODER_SLACK: u64 = 16 * 1024;

/// The attachment for `csv` (findings.csv) within `max_bytes`; `full_list` says where the whole
/// file is (the report's folder or URL).
pub fn findings_attachment(
    csv: &Path,
    max_bytes: u64,
    full_list: &str,
) -> Result<FindingsAttachment, EmailError> {
    let read_error = |source: std::io::Error| EmailError::Read {
        path: csv.to_path_buf(),
        source,
    };
    let rows = count_rows(csv)?;
    if max_bytes == 0 {
        return Ok(FindingsAttachment {
            file: None,
            description: format!(
                "The {rows} open findings are in findings.csv: {full_list} ([email] attachment_max_kb = 0)."
            ),
        });
    }
    let size = std::fs::metadata(csv).map_err(read_error)?.len();
    if size <= max_bytes {
        return Ok(FindingsAttachment {
            file: Some(AttachedFile {
                name: "findings.csv",
                content_type: "text/csv; charset=utf-8",
                body: std::fs::read(csv).map_err(read_error)?,
            }),
            description: format!("All {rows} open findings are attached as findings.csv."),
        });
    }
    if let Some(body) = gzip_within(csv, max_bytes)? {
        return Ok(FindingsAttachment {
            file: Some(AttachedFile {
                name: "findings.csv.gz",
                content_type: "application/gzip",
                body,
            }),
            description: format!(
                "All {rows} open findings are attached as findings.csv.gz (findings.csv compressed with gzip)."
            ),
        });
    }
    let (body, kept, selected) = attention_rows_within(csv, max_bytes)?;
    let kept_text = if kept == selected {
        format!("its {selected} new, critical and high findings")
    } else {
        format!("the first {kept} of its {selected} new, critical and high findings")
    };
    Ok(FindingsAttachment {
        file: Some(AttachedFile {
            name: "findings-new-critical-high.csv.gz",
            content_type: "application/gzip",
            body,
        }),
        description: format!(
            "findings.csv ({rows} open findings) is larger than the e-mail allows ({} KiB, [email] attachment_max_kb), even compressed: \
             attached are {kept_text}, as findings-new-critical-high.csv.gz. All findings: {full_list}",
            max_bytes / 1024
        ),
    })
}

/// A row the trimmed attachment keeps: new, or critical or high.
fn needs_attention(
    record: &csv::ByteRecord,
    status: Option<usize>,
    severity: Option<usize>,
) -> bool {
    let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default();
    cell(status) == b"new" || matches!(cell(severity), b"critical" | b"high")
}

/// A CSV writer into a gzip stream in memory.
fn gzip_csv_writer() -> csv::Writer<GzEncoder<Vec<u8>>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(GzEncoder::new(Vec::new(), Compression::best()))
}

fn csv_reader(csv: &Path) -> Result<csv::Reader<std::fs::File>, EmailError> {
    csv::ReaderBuilder::new()
        .from_path(csv)
        .map_err(|e| csv_error(csv, e))
}

fn csv_error(csv: &Path, e: csv::Error) -> EmailError {
    EmailError::Read {
        path: csv.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Data rows of the CSV (a cell may hold line breaks, so lines are not rows).
fn count_rows(csv: &Path) -> Result<u64, EmailError> {
    let mut reader = csv_reader(csv)?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(csv, e))?
    {
        rows += 1;
    }
    Ok(rows)
}

/// The whole file gzipped, if that fits in `max_bytes` (given up as soon as it cannot).
fn gzip_within(csv: &Path, max_bytes: u64) -> Result<Option<Vec<u8>>, EmailError> {
    let io = |source: std::io::Error| EmailError::Read {
        path: csv.to_path_buf(),
        source,
    };
    let mut input = BufReader::new(std::fs::File::open(csv).map_err(io)?);
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        encoder.write_all(&chunk[..n]).map_err(io)?;
        if encoder.get_ref().len() as u64 > max_bytes {
            return Ok(None);
        }
    }
    let body = encoder.finish().map_err(io)?;
    Ok((body.len() as u64 <= max_bytes).then_some(body))
}

/// Gzipped CSV of the header and the rows that are new or critical or high, in file order, as
/// many as fit in `max_bytes`: (body, rows kept, rows selected).
fn attention_rows_within(csv: &Path, max_bytes: u64) -> Result<(Vec<u8>, u64, u64), EmailError> {
    let io = |source: std::io::Error| EmailError::Read {
        path: csv.to_path_buf(),
        source,
    };
    let mut limit = max_bytes.saturating_sub(ENCODER_SLACK.min(max_bytes / 2));
    loop {
        let mut reader = csv_reader(csv)?;
        let headers = reader
            .byte_headers()
            .map_err(|e| csv_error(csv, e))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h == name.as_bytes());
        let (status, severity) = (column("status"), column("severity"));
        let mut writer = gzip_csv_writer();
        writer
            .write_byte_record(&headers)
            .map_err(|e| csv_error(csv, e))?;
        let (mut kept, mut selected, mut full) = (0u64, 0u64, false);
        let mut record = csv::ByteRecord::new();
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(csv, e))?
        {
            if !needs_attention(&record, status, severity) {
                continue;
            }
            selected += 1;
            if full {
                continue;
            }
            writer
                .write_byte_record(&record)
                .map_err(|e| csv_error(csv, e))?;
            writer.flush().map_err(io)?;
            let written = writer.get_ref().get_ref().len() as u64;
            if written > limit {
                full = true;
            } else {
                kept += 1;
            }
        }
        // The row that crossed the limit was written: rewrite without it when it was.
        if full {
            let body = rewrite(csv, &headers, status, severity, kept)?;
            if body.len() as u64 <= max_bytes || kept == 0 {
                return Ok((body, kept, selected));
            }
        } else {
            let encoder = writer.into_inner().map_err(|e| io(e.into_error()))?;
            let body = encoder.finish().map_err(io)?;
            if body.len() as u64 <= max_bytes {
                return Ok((body, kept, selected));
            }
        }
        // The encoder held more than the slack: aim lower.
        limit = limit.saturating_mul(3) / 4;
    }
}

/// The header and the first `rows` attention rows, gzipped.
fn rewrite(
    csv: &Path,
    headers: &csv::ByteRecord,
    status: Option<usize>,
    severity: Option<usize>,
    rows: u64,
) -> Result<Vec<u8>, EmailError> {
    let io = |source: std::io::Error| EmailError::Read {
        path: csv.to_path_buf(),
        source,
    };
    let mut reader = csv_reader(csv)?;
    let mut writer = gzip_csv_writer();
    writer
        .write_byte_record(headers)
        .map_err(|e| csv_error(csv, e))?;
    let mut record = csv::ByteRecord::new();
    let mut written = 0u64;
    while written < rows
        && reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(csv, e))?
    {
        if needs_attention(&record, status, severity) {
            writer
                .write_byte_record(&record)
                .map_err(|e| csv_error(csv, e))?;
            written += 1;
        }
    }
    let encoder = writer.into_inner().map_err(|e| io(e.into_error()))?;
    encoder.finish().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;

    fn gunzip(body: &[u8]) -> String {
        let mut text = String::new();
        GzDecoder::new(body).read_to_string(&mut text).unwrap();
        text
    }

    /// A findings.csv of `n` rows with hard-to-compress details, one in three high and new.
    fn findings_csv(dir: &Path, n: usize) -> std::path::PathBuf {
        let path = dir.join("findings.csv");
        let mut text = String::from("rule_id,severity,status,details\r\n");
        let mut rng = fastrand::Rng::with_seed(7);
        for i in 0..n {
            let (severity, status) = if i % 3 == 0 {
                ("high", "new")
            } else {
                ("low", "persisting")
            };
            let noise: String = (0..40).map(|_| rng.lowercase()).collect();
            text.push_str(&format!(
                "R{i},{severity},{status},\"line one\nline two {noise}\"\r\n"
            ));
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn small_files_go_as_they_are_then_compressed_then_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let csv = findings_csv(dir.path(), 3_000);
        let size = std::fs::metadata(&csv).unwrap().len();

        let whole = findings_attachment(&csv, size, "/reports").unwrap();
        let file = whole.file.unwrap();
        assert_eq!(file.name, "findings.csv");
        assert_eq!(file.body.len() as u64, size);
        assert!(whole.description.contains("All 3000 open findings"));

        let compressed = findings_attachment(&csv, size / 2, "/reports").unwrap();
        let file = compressed.file.unwrap();
        assert_eq!(file.name, "findings.csv.gz");
        assert!(file.body.len() as u64 <= size / 2);
        assert_eq!(gunzip(&file.body), std::fs::read_to_string(&csv).unwrap());

        for bound in [40_000, 20_000, 4_000] {
            let trimmed = findings_attachment(&csv, bound, "/reports").unwrap();
            let file = trimmed.file.unwrap();
            assert_eq!(file.name, "findings-new-critical-high.csv.gz");
            assert!(
                file.body.len() as u64 <= bound,
                "{bound}: {}",
                file.body.len()
            );
            let text = gunzip(&file.body);
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            assert!(!rows.is_empty());
            assert!(rows.iter().all(|r| &r[1] == "high" && &r[2] == "new"));
            assert_eq!(&rows[0][0], "R0");
            assert!(
                trimmed.description.contains(&format!(
                    "the first {} of its 1000 new, critical and high findings",
                    rows.len()
                )),
                "{}",
                trimmed.description
            );
            assert!(trimmed.description.contains("All findings: /reports"));
        }

        let none = findings_attachment(&csv, 0, "/reports").unwrap();
        assert!(none.file.is_none());
        assert!(none.description.contains("3000 open findings"));
    }
}
