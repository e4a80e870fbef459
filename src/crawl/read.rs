//! What one read of the crawl gives, and the calls every collector shares: a list that may be
//! refused (recorded in coverage, never a failure of the organization), parsing, URLs.

use super::Coverage;
use crate::ado::client::api_url;
use crate::ado::error::Gap;
use crate::ado::models::{Parsed, parse_items};
use crate::ado::{AdoClient, AdoError};

/// The api-version asked for where a route has no preview.
pub const API_VERSION: &str = "7.1";
/// The largest page the paged lists accept.
pub const PAGE_SIZE: &str = "1000";

/// One read the crawl made: the data, or why there is none. Rules turn the last two into
/// "not evaluated" rows, never a pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    Read(T),
    /// The identity may not read it (403, a route's 401, a 404 that hides a permission).
    NotEvaluated(String),
    /// The deployment has no such API (404 on a route, 400/405 on an undocumented one).
    NotAvailable(String),
}

impl<T> Outcome<T> {
    /// The outcome of a refusal the client classified.
    pub fn gap(gap: Gap, reason: String) -> Self {
        match gap {
            Gap::NotAvailable => Outcome::NotAvailable(reason),
            Gap::NotEvaluated => Outcome::NotEvaluated(reason),
        }
    }

    /// `read`, `not_evaluated` or `not_available`, as `crawl_coverage.status` spells it.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Read(_) => "read",
            Outcome::NotEvaluated(_) => "not_evaluated",
            Outcome::NotAvailable(_) => "not_available",
        }
    }

    /// Why it was not read.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Read(_) => None,
            Outcome::NotEvaluated(r) | Outcome::NotAvailable(r) => Some(r),
        }
    }

    pub fn as_read(&self) -> Option<&T> {
        match self {
            Outcome::Read(t) => Some(t),
            _ => None,
        }
    }
}

/// The project a collector reads: its client, organization and URL.
#[derive(Clone, Copy)]
pub struct ProjectScope<'a> {
    pub client: &'a AdoClient,
    pub org: &'a str,
    /// `{organization URL}/{project id}`.
    pub base: &'a url::Url,
    pub project_id: &'a str,
}

impl ProjectScope<'_> {
    /// A route of the project at [`API_VERSION`] with `query`.
    pub fn url(&self, segments: &[&str], query: &[(&'static str, &'static str)]) -> url::Url {
        let mut q = vec![("api-version", API_VERSION)];
        q.extend_from_slice(query);
        api_url(self.base, segments, &q)
    }

    /// [`list_or_record`] in this project.
    pub async fn list_or_record<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        table: &'static str,
        url: url::Url,
        coverage: &mut Vec<Coverage>,
    ) -> Result<Vec<Parsed<T>>, AdoError> {
        list_or_record(self.client, self.org, endpoint, table, url, coverage).await
    }
}

pub fn parse<T: serde::de::DeserializeOwned>(
    organization: &str,
    url: &url::Url,
    items: Vec<serde_json::Value>,
) -> Result<Vec<Parsed<T>>, AdoError> {
    parse_items(items).map_err(|e| AdoError::Decode {
        organization: organization.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    })
}

/// The items of a read that may be refused: a 403 or 404 is recorded in `coverage` (not
/// evaluated / not available) and gives `None`; anything else but success fails.
pub fn record<T>(
    answer: Result<Vec<T>, AdoError>,
    table: &'static str,
    coverage: &mut Vec<Coverage>,
) -> Result<Option<Vec<T>>, AdoError> {
    match answer {
        Ok(items) => {
            coverage.push(Coverage::new(table, "read", None));
            Ok(Some(items))
        }
        Err(e) => {
            let Some(gap) = e.gap() else { return Err(e) };
            coverage.push(Coverage::new(table, gap.as_str(), Some(e.to_string())));
            Ok(None)
        }
    }
}

/// Reads one list of a project. A 403 (the identity may not read it) or 404 (the deployment
/// has no such API) is recorded in `coverage` as not evaluated / not available and read as
/// empty, so one closed resource kind does not fail the organization; anything else fails.
pub async fn list_or_record<T: serde::de::DeserializeOwned>(
    client: &AdoClient,
    org: &str,
    endpoint: &str,
    table: &'static str,
    url: url::Url,
    coverage: &mut Vec<Coverage>,
) -> Result<Vec<Parsed<T>>, AdoError> {
    match client.get_list::<Parsed<T>>(org, endpoint, url).await {
        Ok(list) => {
            coverage.push(Coverage::new(table, "read", None));
            Ok(list.items)
        }
        Err(e) => {
            let Some(gap) = e.gap() else { return Err(e) };
            coverage.push(Coverage::new(table, gap.as_str(), Some(e.to_string())));
            Ok(Vec::new())
        }
    }
}

/// Records a read's outcome in coverage under `table`.
pub fn cover<T>(table: &'static str, outcome: &Outcome<T>, coverage: &mut Vec<Coverage>) {
    coverage.push(Coverage::new(
        table,
        outcome.status(),
        outcome.reason().map(str::to_string),
    ));
}
