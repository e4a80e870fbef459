//! Errors of one Azure DevOps request, with the organization and endpoint they came from.

/// Why a request to Azure DevOps failed. Never carries a credential: URLs hold none, and
/// response text is trimmed and stripped of control characters before it is kept.
#[derive(Debug, thiserror::Error)]
pub enum AdoError {
    #[error(
        "organization '{organization}': authentication failed (HTTP {status}) at {url}; \
         check that the PAT (or Entra identity) is valid, not expired, and has the read access \
         listed in the README"
    )]
    Unauthorized {
        organization: String,
        status: u16,
        url: String,
    },
    /// A 401 on one route while the credential reads others: the token lacks that route's
    /// scope (TF400813). The route's data is not evaluated; the organization is not lost.
    #[error(
        "organization '{organization}': the credential may not read {url} (HTTP 401 on this \
         route while it works on others: {hint})"
    )]
    RouteUnauthorized {
        organization: String,
        url: String,
        /// The scope to add, or what to check.
        hint: String,
    },
    /// No Entra token could be had for the identity.
    #[error("organization '{organization}': {message}")]
    Token {
        organization: String,
        url: String,
        message: String,
    },
    #[error("organization '{organization}': access denied (HTTP 403) at {url}: {message}")]
    Forbidden {
        organization: String,
        url: String,
        message: String,
    },
    #[error("organization '{organization}': not found (HTTP 404) at {url}: {message}")]
    NotFound {
        organization: String,
        url: String,
        message: String,
    },
    #[error("organization '{organization}': HTTP {status} at {url}: {message}")]
    Status {
        organization: String,
        status: u16,
        url: String,
        message: String,
    },
    #[error("organization '{organization}': request to {url} failed: {message}")]
    Transport {
        organization: String,
        url: String,
        message: String,
    },
    #[error("organization '{organization}': response of {url} is not the expected JSON: {message}")]
    Decode {
        organization: String,
        url: String,
        message: String,
    },
    #[error(
        "organization '{organization}': {url} returned the continuation token '{token}' twice; \
         stopped this list instead of looping"
    )]
    RepeatedContinuationToken {
        organization: String,
        url: String,
        token: String,
    },
}

impl AdoError {
    /// The HTTP status, where the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            AdoError::Unauthorized { status, .. } | AdoError::Status { status, .. } => {
                Some(*status)
            }
            AdoError::RouteUnauthorized { .. } => Some(401),
            AdoError::Forbidden { .. } => Some(403),
            AdoError::NotFound { .. } => Some(404),
            _ => None,
        }
    }

    /// The URL the request went to.
    pub fn url(&self) -> &str {
        match self {
            AdoError::Unauthorized { url, .. }
            | AdoError::RouteUnauthorized { url, .. }
            | AdoError::Forbidden { url, .. }
            | AdoError::NotFound { url, .. }
            | AdoError::Status { url, .. }
            | AdoError::Transport { url, .. }
            | AdoError::Decode { url, .. }
            | AdoError::Token { url, .. }
            | AdoError::RepeatedContinuationToken { url, .. } => url,
        }
    }

    /// A short machine-readable kind for the manifest and the crawl_errors table.
    pub fn kind(&self) -> &'static str {
        match self {
            AdoError::Unauthorized { .. } => "unauthorized",
            AdoError::RouteUnauthorized { .. } => "scope_missing",
            AdoError::Token { .. } => "token",
            AdoError::Forbidden { .. } => "forbidden",
            AdoError::NotFound { .. } => "not_found",
            AdoError::Status { .. } => "http_status",
            AdoError::Transport { .. } => "transport",
            AdoError::Decode { .. } => "decode",
            AdoError::RepeatedContinuationToken { .. } => "repeated_continuation_token",
        }
    }
}

/// Why a refused read leaves a gap rather than failing the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// The identity may not read it (403, or 401 on one route): never a pass.
    NotEvaluated,
    /// The deployment has no such API, or the resource is not there for us (404).
    NotAvailable,
}

impl Gap {
    /// The status word the coverage tables use.
    pub fn as_str(self) -> &'static str {
        match self {
            Gap::NotEvaluated => "not_evaluated",
            Gap::NotAvailable => "not_available",
        }
    }
}

impl AdoError {
    /// The gap this error leaves when the read it failed is optional, or `None` when the
    /// error must fail the organization (credential rejected, server or transport trouble).
    pub fn gap(&self) -> Option<Gap> {
        match self {
            AdoError::Forbidden { .. } | AdoError::RouteUnauthorized { .. } => {
                Some(Gap::NotEvaluated)
            }
            AdoError::NotFound { .. } => Some(Gap::NotAvailable),
            _ => None,
        }
    }
}

/// Makes server-supplied text safe to keep in logs and errors: no control characters, bounded.
pub fn sanitize_message(text: &str) -> String {
    const MAX: usize = 300;
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() || is_invisible_format(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() > MAX {
        let cut: String = trimmed.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        trimmed.to_string()
    }
}

/// Bidirectional overrides and isolates (the "trojan source" characters) and line or paragraph
/// separators: text that would reorder or split a log line.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// The `message` of an Azure DevOps error body (`{"$id","message","typeKey",…}`), or the text.
pub fn error_message(body: &[u8]) -> String {
    let body = strip_bom(body);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(message) = value.get("message").and_then(|m| m.as_str())
    {
        return sanitize_message(message);
    }
    if body.is_empty() {
        return "(empty body)".to_string();
    }
    sanitize_message(&String::from_utf8_lossy(body))
}

/// Some Azure DevOps bodies start with a UTF-8 byte-order mark.
pub fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_message_reads_real_error_bodies() {
        let fixture = include_str!("../../../shared/ado-api/errors.404.recorded.json");
        let v: serde_json::Value = serde_json::from_str(fixture).unwrap();
        let body = serde_json::to_vec(&v["responses"]["404"]["body"]).unwrap();
        assert!(
            error_message(&body).starts_with("TF"),
            "{}",
            error_message(&body)
        );
    }

    #[test]
    fn messages_lose_control_characters_and_length() {
        let long = format!("a\u{1b}[31mb\r\n{}", "x".repeat(1000));
        let m = sanitize_message(&long);
        assert!(!m.chars().any(|c| c.is_control()));
        let tricky = sanitize_message("a\u{202E}b\u{2028}c\u{2066}d");
        assert_eq!(tricky, "a b c d");
        assert!(m.chars().count() <= 301);
    }

    #[test]
    fn bom_is_stripped() {
        assert_eq!(error_message(b"\xEF\xBB\xBF{\"message\":\"hi\"}"), "hi");
    }
}
