//! Sends the summary e-mail (`email.html`, with `findings.csv` attached) over SMTP with lettre.
//! The last stage of a run: it only reads what the report stage wrote.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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
    let csv = read(&paths.findings_csv)?;
    let subject = summary.subject(&settings.subject_prefix);
    let text = format!(
        "{subject}\n\nOpen findings: {} high, {} medium, {} low; {} new and {} resolved since the previous snapshot.\n\
         The full report: {}\nAll findings are attached as findings.csv.\n",
        summary.counts.high,
        summary.counts.medium,
        summary.counts.low,
        summary.new,
        summary.resolved,
        settings
            .report_url
            .clone()
            .unwrap_or_else(|| paths.report_html.display().to_string()),
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
    let csv_type = ContentType::parse("text/csv; charset=utf-8")
        .map_err(|e| EmailError::Build(e.to_string()))?;
    let message = builder
        .multipart(
            MultiPart::mixed()
                .multipart(
                    MultiPart::alternative()
                        .singlepart(SinglePart::plain(text))
                        .singlepart(SinglePart::html(html)),
                )
                .singlepart(Attachment::new("findings.csv".to_string()).body(csv, csv_type)),
        )
        .map_err(|e| EmailError::Build(e.to_string()))?;

    let send_error = |message: String| EmailError::Send {
        host: settings.host.clone(),
        port: settings.port,
        message,
    };
    let mut transport = match settings.tls {
        SmtpTls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
            .map_err(|e| send_error(e.to_string()))?,
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
            .map_err(|e| send_error(e.to_string()))?,
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
    }
    .port(settings.port)
    .timeout(Some(std::time::Duration::from_secs(60)));
    if let Some((user, password)) = &settings.credentials {
        transport = transport.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    transport
        .build()
        .send(message)
        .await
        .map_err(|e| send_error(e.to_string()))?;
    tracing::info!(
        recipients = settings.to.len() + settings.cc.len(),
        "summary e-mail sent"
    );
    Ok(())
}
