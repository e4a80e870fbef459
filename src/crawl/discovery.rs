//! Which organizations a connector covers: the configured list, or every organization the
//! identity is a member of (profile → accounts on the vssps host).

use crate::ado::client::api_url;
use crate::ado::models::{Account, Envelope, Profile};
use crate::ado::{AdoClient, AdoError};
use crate::config::Connector;

/// An organization to crawl.
#[derive(Debug, Clone)]
pub struct OrganizationRef {
    pub name: String,
    pub id: Option<String>,
}

/// The rate-limiter key for calls that belong to no organization.
const DISCOVERY_KEY: &str = "(discovery)";

pub async fn organizations(
    client: &AdoClient,
    connector: &Connector,
) -> Result<Vec<OrganizationRef>, AdoError> {
    if let Some(names) = &connector.organizations {
        return Ok(names
            .iter()
            .map(|name| OrganizationRef {
                name: name.clone(),
                id: None,
            })
            .collect());
    }
    let Some(vssps) = &connector.vssps_url else {
        // config::resolve refuses "*" without a vssps URL, so this is not reached.
        return Ok(Vec::new());
    };
    let profile: Profile = client
        .get_json(
            DISCOVERY_KEY,
            "profile/profiles/me",
            api_url(
                vssps,
                &["_apis", "profile", "profiles", "me"],
                &[("api-version", "7.1")],
            ),
        )
        .await?;
    let accounts: Envelope<Account> = client
        .get_json(
            DISCOVERY_KEY,
            "accounts",
            api_url(
                vssps,
                &["_apis", "accounts"],
                &[("memberId", &profile.id), ("api-version", "7.1")],
            ),
        )
        .await?;
    let mut orgs: Vec<OrganizationRef> = accounts
        .value
        .into_iter()
        .map(|a| OrganizationRef {
            name: a.account_name,
            id: Some(a.account_id),
        })
        .collect();
    orgs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(orgs)
}
