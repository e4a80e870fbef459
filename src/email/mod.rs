//! Sends the summary e-mail (`email.html`, with the findings attached within a bound: see
//! [`attachment`]) over SMTP with lettre. The last stage of a run: it only reads what the report
//! stage wrote.
//!
//! One send has one overall deadline (`[email] timeout_seconds`): lettre's own timeout bounds
//! only each TCP connect on its async transport, not the greeting, STARTTLS, login or message,
//! so a relay that accepts and stays silent (or trickles) would otherwise hang the run.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub mod attachment;

use crate::config::{EmailSettings, SmtpTls};
use crate::report::{ReportPaths, ReportSummary};

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail: cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("e-mail: {0}")]
    Build(String),
    #[error("e-mail: sending through {host}:{port} failed: {message}")]
    Send {
        host: String,
        port: u16,
        message: String,
    },
    #[error(
        "e-mail: the SMTP server {host}:{port} did not finish within {} s ([email] timeout_seconds)",
        .timeout.as_secs()
    )]
    Timeout {
        host: String,
        port: u16,
        timeout: std::time::Duration,
    },
}

/// Sends the summary of a snapshot to the configured recipients.
pub async fn send(
    settings: &EmailSettings,
    summary: &ReportSummary,
    paths: &ReportPaths,
) -> Result<(), EmailError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| EmailError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let html = String::from_utf8_lossy(&read(&paths.email_html)?).into_owned();
    let report = settings
        .report_url
        .clone()
        .unwrap_or_else(|| paths.report_html.display().to_string());
    let full_list = settings
        .report_url
        .clone()
        .unwrap_or_else(|| paths.findings_csv.display().to_string());
    let attached = attachment::findings_attachment(
        &paths.findings_csv,
        settings.attachment_max_bytes,
        &full_list,
    )?;
    let subject = summary.subject(&settings.subject_prefix);
    let text = format!(
        "{subject}\n\nOpen findings: {} critical, {} high, {} medium, {} low; {} new and {} resolved since the previous snapshot.\n\
         The full report: {report}\n{}\n",
        summary.counts.critical,
        summary.counts.high,
        summary.counts.medium,
        summary.counts.low,
        summary.new,
        summary.resolved,
        attached.description,
    );
    let mailbox = |address: &str| {
        address
            .parse::<Mailbox>()
            .map_err(|e| EmailError::Build(format!("'{address}' is not an e-mail address: {e}")))
    };
    let mut builder = Message::builder()
        .from(mailbox(&settings.from)?)
        .subject(subject);
    for to in &settings.to {
        builder = builder.to(mailbox(to)?);
    }
    for cc in &settings.cc {
        builder = builder.cc(mailbox(cc)?);
    }
    let mut parts = MultiPart::mixed().multipart(
        MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html)),
    );
    if let Some(file) = attached.file {
        let content_type =
            ContentType::parse(file.content_type).map_err(|e| EmailError::Build(e.to_string()))?;
        parts =
            parts.singlepart(Attachment::new(file.name.to_string()).body(file.body, content_type));
    }
    let message = builder
        .multipart(parts)
        .map_err(|e| EmailError::Build(e.to_string()))?;

    deliver(settings, message).await?;
    tracing::info!(
        recipients = settings.to.len() + settings.cc.len(),
        "summary e-mail sent"
    );
    Ok(())
}

/// Sends one message through the configured relay within the overall deadline.
async fn deliver(settings: &EmailSettings, message: Message) -> Result<(), EmailError> {
    let send_error = |message: String| EmailError::Send {
        host: settings.host.clone(),
        port: settings.port,
        message: match &settings.credentials {
            // A server or proxy could echo what it was sent.
            Some((_, password)) if !password.expose().is_empty() => {
                message.replace(password.expose(), "***")
            }
            _ => message,
        },
    };
    let mut transport = match settings.tls {
        SmtpTls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
            .map_err(|e| send_error(e.to_string()))?,
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
            .map_err(|e| send_error(e.to_string()))?,
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
    }
    .port(settings.port)
    .timeout(Some(settings.timeout));
    if let Some((user, password)) = &settings.credentials {
        transport = transport.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    // Dropping the send on expiry closes the connection.
    tokio::time::timeout(settings.timeout, transport.build().send(message))
        .await
        .map_err(|_| EmailError::Timeout {
            host: settings.host.clone(),
            port: settings.port,
            timeout: settings.timeout,
        })?
        .map_err(|e| send_error(e.to_string()))?;
    Ok(())
}

/// Rows of findings one owner's digest lists; the rest are counted and left to the report.
pub const DIGEST_ROWS: usize = 100;

/// Sends each `[[owner]]` a digest of its own open findings of the snapshot (`digests`, one per
/// owner in the same order, read by [`crate::report::digests::owner_digests`] with at most
/// [`DIGEST_ROWS`] rows: new ones first; plain text, no attachment); owners with none get
/// nothing. Returns how many digests were sent.
pub async fn send_digests(
    settings: &EmailSettings,
    owners: &[crate::rules::Owner],
    digests: &[crate::report::digests::OwnerDigest],
    snapshot_date: chrono::NaiveDate,
    report_location: &str,
) -> Result<usize, EmailError> {
    use crate::ado::error::sanitize_message as clean;
    let mut sent = 0;
    for (owner, digest) in owners.iter().zip(digests) {
        if digest.open == 0 {
            continue;
        }
        let new = digest.new;
        let subject = format!(
            "{} {}: {} open findings ({new} new) on {snapshot_date}",
            settings.subject_prefix,
            clean(&owner.team),
            digest.open
        );
        let mut text = format!(
            "Open findings of {} in the snapshot of {snapshot_date}: {} ({new} new).\n\n",
            clean(&owner.team),
            digest.open
        );
        for f in &digest.rows {
            text.push_str(&format!(
                "- [{}] {} {}: {}/{} {} ({})\n",
                f.severity,
                f.rule_id,
                clean(&f.title),
                clean(&f.organization),
                clean(if f.project.is_empty() {
                    "-"
                } else {
                    &f.project
                }),
                clean(&f.resource_name),
                f.status
            ));
        }
        let listed = digest.rows.len() as u64;
        if digest.open > listed {
            text.push_str(&format!(
                "\nand {} more in the report.\n",
                digest.open - listed
            ));
        }
        text.push_str(&format!("\nThe full report: {report_location}\n"));
        let to = owner.email.parse::<Mailbox>().map_err(|e| {
            EmailError::Build(format!("'{}' is not an e-mail address: {e}", owner.email))
        })?;
        let from = settings.from.parse::<Mailbox>().map_err(|e| {
            EmailError::Build(format!("'{}' is not an e-mail address: {e}", settings.from))
        })?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .singlepart(SinglePart::plain(text))
            .map_err(|e| EmailError::Build(e.to_string()))?;
        deliver(settings, message).await?;
        sent += 1;
    }
    tracing::info!(digests = sent, "owner digests sent");
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::config::Secret;
    use crate::report::SeverityCounts;

    /// A relay on loopback that runs `script` on its first connection; returns its port.
    fn relay(script: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((stream, _)) = listener.accept() {
                script(stream);
            }
        });
        port
    }

    fn settings(port: u16, timeout: Duration, password: Option<&str>) -> EmailSettings {
        EmailSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            from: "ado-posture@contoso.example".into(),
            to: vec!["secops@contoso.example".into()],
            cc: Vec::new(),
            credentials: password.map(|p| ("ado-posture@contoso.example".into(), Secret::new(p))),
            subject_prefix: "[posture]".into(),
            report_url: None,
            timeout,
            owner_digests: false,
            attachment_max_bytes: 5 * 1024 * 1024,
        }
    }

    /// Sends a tiny report with `settings`; returns the outcome and how long it took.
    async fn send_report(settings: &EmailSettings) -> (Result<(), EmailError>, Duration) {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let paths = ReportPaths {
            dir: dir.path().to_path_buf(),
            findings_csv: file("findings.csv", "rule_id\n"),
            recommendations_csv: file("recommendations.csv", ""),
            summary_csv: file("summary.csv", ""),
            report_html: file("report.html", ""),
            email_html: file("email.html", "<p>posture</p>"),
        };
        let summary = ReportSummary {
            snapshot_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            counts: SeverityCounts::default(),
            new: 0,
            resolved: 0,
        };
        let started = Instant::now();
        let result = send(settings, &summary, &paths).await;
        (result, started.elapsed())
    }

    #[tokio::test]
    async fn a_relay_that_trickles_is_cut_off_at_the_overall_deadline() {
        // Every read gets a line at once, so no per-read timeout would ever fire; the greeting
        // (a multi-line 220) just never ends.
        let port = relay(|mut stream| {
            while stream
                .write_all(b"220-relay.example still here\r\n")
                .is_ok()
            {
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let (result, elapsed) = send_report(&settings(port, Duration::from_secs(1), None)).await;
        let err = result.unwrap_err();
        assert!(matches!(err, EmailError::Timeout { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "e-mail: the SMTP server 127.0.0.1:{port} did not finish within 1 s ([email] timeout_seconds)"
            )
        );
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_refused_login_never_shows_the_password() {
        let port = relay(|mut stream| {
            let mut lines = BufReader::new(stream.try_clone().unwrap()).lines();
            let _ = stream.write_all(b"220 relay.example ESMTP\r\n");
            while let Some(Ok(line)) = lines.next() {
                let reply: &[u8] = match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                    Some("EHLO") => b"250-relay.example\r\n250 AUTH PLAIN LOGIN\r\n",
                    // As a careless server or proxy might: echo the secret.
                    Some("AUTH") => b"535 5.7.8 password hunter2-smtp is wrong\r\n",
                    Some("QUIT") => b"221 bye\r\n",
                    _ => b"500 what\r\n",
                };
                if stream.write_all(reply).is_err() {
                    break;
                }
            }
        });
        let (result, _) = send_report(&settings(
            port,
            Duration::from_secs(10),
            Some("hunter2-smtp"),
        ))
        .await;
        let message = result.unwrap_err().to_string();
        assert!(message.contains("535"), "{message}");
        assert!(!message.contains("hunter2-smtp"), "{message}");
    }
}
