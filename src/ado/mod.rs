//! Azure DevOps REST: the rate-limited HTTP client, its errors and the typed responses.
//!
//! This module knows URLs, headers, status codes and JSON shapes. It does not know which
//! resources a crawl wants or in what order: that is `crawl`.

pub mod auth;
pub mod client;
pub mod error;
pub mod identity;
pub mod models;
pub mod pace;
pub mod pem;
pub mod route_costs;
pub mod scopes;
pub mod stats;
pub mod versions;

pub use client::{AdoClient, PagedList};
pub use error::AdoError;
