//! Identity and access: who is in the organization (Graph users and groups on the vssps host,
//! user entitlements on the vsaex host), who is in the groups that matter (memberships walked
//! down from the administrators groups, nested and Entra groups included, cycles cut), and who
//! may do what on repositories and pipelines (the access control lists of the Git and Build
//! namespaces). Each part is read or recorded as why not: a PAT without the Graph scope makes the
//! identity rules "not evaluated", never a pass, and the rest of the run goes on.

use std::collections::{BTreeSet, HashMap};

use tokio::task::JoinSet;

use super::discovery::OrganizationRef;
use super::read::Outcome;
use crate::ado::client::api_url;
use crate::ado::identity::{
    AccessControlList, GraphSubject, Membership, NAMESPACES, SecurityNamespace, UserEntitlement,
    is_group_descriptor,
};
use crate::ado::models::Parsed;
use crate::ado::{AdoClient, AdoError};
use crate::config::Connector;

/// Graph's api-version: preview on every spec (5.1 to 7.2), and what Microsoft's 7.1 clients send.
const GRAPH_VERSION: &str = "7.1-preview.1";
/// `userentitlements` is released at 7.1; Microsoft's Python client sends 7.1-preview.3.
const ENTITLEMENTS_VERSION: &str = "7.1";

/// The groups whose members the crawl expands (and the rules judge), by their built-in name in
/// their scope: `(scope, display name, key)`. Names, not SIDs: Build Administrators has a
/// well-known SID in new projects and a random one in old ones (research §0.8).
pub const WELL_KNOWN_GROUPS: &[(GroupScope, &str, &str)] = &[
    (
        GroupScope::Organization,
        "Project Collection Administrators",
        "project_collection_administrators",
    ),
    (
        GroupScope::Organization,
        "Project Collection Build Administrators",
        "project_collection_build_administrators",
    ),
    (
        GroupScope::Organization,
        "Project Collection Service Accounts",
        "project_collection_service_accounts",
    ),
    (
        GroupScope::Organization,
        "Project Collection Valid Users",
        "project_collection_valid_users",
    ),
    (
        GroupScope::Project,
        "Project Administrators",
        "project_administrators",
    ),
    (
        GroupScope::Project,
        "Build Administrators",
        "build_administrators",
    ),
    (
        GroupScope::Project,
        "Endpoint Administrators",
        "endpoint_administrators",
    ),
    (
        GroupScope::Project,
        "Release Administrators",
        "release_administrators",
    ),
    (GroupScope::Project, "Contributors", "contributors"),
    (GroupScope::Project, "Readers", "readers"),
    (
        GroupScope::Project,
        "Project Valid Users",
        "project_valid_users",
    ),
];

/// The well-known groups whose members are expanded: the administrators groups. The broad
/// groups (Contributors, Readers, valid users) are judged by their permissions, not their
/// members, and expanding them would cost a call per team.
pub const EXPANDED_GROUPS: &[&str] = &[
    "project_collection_administrators",
    "project_collection_build_administrators",
    "project_collection_service_accounts",
    "project_administrators",
    "build_administrators",
    "endpoint_administrators",
    "release_administrators",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupScope {
    Organization,
    Project,
}

/// The key of a well-known group (see [`WELL_KNOWN_GROUPS`]), if the group is one.
pub fn well_known(group: &GraphSubject) -> Option<&'static str> {
    if group
        .origin
        .as_deref()
        .is_some_and(|o| !o.eq_ignore_ascii_case("vsts"))
    {
        return None; // an Entra group may carry any name
    }
    let scope = if group.project_id().is_some() {
        GroupScope::Project
    } else {
        GroupScope::Organization
    };
    let name = group.display_name.as_deref()?.trim();
    WELL_KNOWN_GROUPS
        .iter()
        .find(|(s, n, _)| *s == scope && n.eq_ignore_ascii_case(name))
        .map(|(_, _, key)| *key)
}

/// Whether a group's members are expanded: an administrators group of the organization, or of
/// a project the connector crawls (`crawled` says which, by lower-case project id).
pub fn is_expanded(group: &GraphSubject, crawled: impl Fn(&str) -> bool) -> bool {
    well_known(group).is_some_and(|k| EXPANDED_GROUPS.contains(&k))
        && group.project_id().is_none_or(|p| crawled(&p))
}

/// What the crawl read about identities in one organization.
#[derive(Debug)]
pub struct IdentityResources {
    pub users: Outcome<Vec<Parsed<GraphSubject>>>,
    pub groups: Outcome<Vec<Parsed<GraphSubject>>>,
    pub entitlements: Outcome<Vec<Parsed<UserEntitlement>>>,
    /// Direct members of each group whose members were read (the administrators groups and
    /// every group nested in them), keyed by the group's descriptor; a group
    /// whose members could not be read maps to why.
    pub members: Outcome<HashMap<String, Result<Vec<Membership>, String>>>,
    /// The access control lists of each namespace.
    pub acls: Vec<(SecurityNamespace, Outcome<Vec<Parsed<AccessControlList>>>)>,
}

impl IdentityResources {
    /// Nothing read, for one reason (Azure DevOps Server, no identity hosts).
    pub fn not_available(reason: &str) -> Self {
        IdentityResources {
            users: Outcome::NotAvailable(reason.to_string()),
            groups: Outcome::NotAvailable(reason.to_string()),
            entitlements: Outcome::NotAvailable(reason.to_string()),
            members: Outcome::NotAvailable(reason.to_string()),
            acls: NAMESPACES
                .iter()
                .map(|ns| (*ns, Outcome::NotAvailable(reason.to_string())))
                .collect(),
        }
    }
}

/// Turns a refusal into its outcome; any other error fails the organization.
fn outcome<T>(answer: Result<T, AdoError>) -> Result<Outcome<T>, AdoError> {
    match answer {
        Ok(value) => Ok(Outcome::Read(value)),
        Err(e) => match e.gap() {
            Some(gap) => Ok(Outcome::gap(gap, e.to_string())),
            None => Err(e),
        },
    }
}

/// Reads one organization's identities: ⌈users / page⌉ + ⌈groups / page⌉ Graph calls,
/// ⌈entitlements / page⌉ entitlement calls, one membership call per administrators group and
/// per group nested in one, and one access-control-list call per namespace.
pub async fn collect(
    client: &AdoClient,
    connector: &Connector,
    org: &OrganizationRef,
    organization_base: &url::Url,
    projects: &[Parsed<crate::ado::models::Project>],
) -> Result<IdentityResources, AdoError> {
    let Some(graph_host) = &connector.graph_url else {
        return Ok(IdentityResources::not_available(
            "users, groups and entitlements are read from Azure DevOps Services' Graph and entitlement APIs, which this deployment does not offer",
        ));
    };
    let graph = api_url(graph_host, &[org.name.as_str()], &[]);
    let graph_list = |kind: &'static str| {
        let client = client.clone();
        let org_name = org.name.clone();
        let url = api_url(
            &graph,
            &["_apis", "graph", kind],
            &[("api-version", GRAPH_VERSION)],
        );
        async move {
            let answer = client
                .get_list::<Parsed<GraphSubject>>(&org_name, &format!("graph/{kind}"), url)
                .await;
            outcome(answer.map(|list| list.items))
        }
    };
    let users = graph_list("users").await?;
    let groups = graph_list("groups").await?;

    let entitlements = match &connector.entitlements_url {
        None => Outcome::NotAvailable(
            "user entitlements (access levels, last access) exist on Azure DevOps Services only"
                .to_string(),
        ),
        Some(host) => {
            let url = api_url(
                &api_url(host, &[org.name.as_str()], &[]),
                &["_apis", "userentitlements"],
                &[("api-version", ENTITLEMENTS_VERSION)],
            );
            let answer = client
                .get_entitlements::<Parsed<UserEntitlement>>(&org.name, "userentitlements", url)
                .await;
            outcome(answer.map(|list| list.items))?
        }
    };

    let members = match &groups {
        Outcome::Read(groups) => {
            let crawled: std::collections::HashSet<String> = projects
                .iter()
                .map(|p| p.item.id.to_ascii_lowercase())
                .collect();
            let roots: BTreeSet<String> = groups
                .iter()
                .filter(|g| is_expanded(&g.item, |p| crawled.contains(p)))
                .map(|g| g.item.descriptor.clone())
                .collect();
            Outcome::Read(expand_members(client, &org.name, &graph, roots).await?)
        }
        Outcome::NotEvaluated(r) => Outcome::NotEvaluated(r.clone()),
        Outcome::NotAvailable(r) => Outcome::NotAvailable(r.clone()),
    };

    let mut acls = Vec::new();
    for namespace in NAMESPACES {
        let url = api_url(
            organization_base,
            &["_apis", "accesscontrollists", namespace.id],
            &[
                ("includeExtendedInfo", "true"),
                ("recurse", "true"),
                ("api-version", "7.1"),
            ],
        );
        let answer = client
            .get_list::<Parsed<AccessControlList>>(&org.name, "accesscontrollists", url)
            .await;
        acls.push((namespace, outcome(answer.map(|list| list.items))?));
    }
    Ok(IdentityResources {
        users,
        groups,
        entitlements,
        members,
        acls,
    })
}

/// Reads the direct members of the administrators groups, then of every group found among
/// them, level by level (a group is read once, so cycles end), the groups of one level in
/// parallel. A refused group keeps its reason; its members are then unknown, never empty.
async fn expand_members(
    client: &AdoClient,
    org: &str,
    graph: &url::Url,
    roots: BTreeSet<String>,
) -> Result<HashMap<String, Result<Vec<Membership>, String>>, AdoError> {
    let mut read: HashMap<String, Result<Vec<Membership>, String>> = HashMap::new();
    let mut level = roots;
    while !level.is_empty() {
        let mut tasks = JoinSet::new();
        for descriptor in std::mem::take(&mut level) {
            if read.contains_key(&descriptor) {
                continue;
            }
            let client = client.clone();
            let org = org.to_string();
            let url = api_url(
                graph,
                &["_apis", "graph", "Memberships", descriptor.as_str()],
                &[("direction", "down"), ("api-version", GRAPH_VERSION)],
            );
            tasks.spawn(async move {
                let answer = client
                    .get_list::<Parsed<Membership>>(&org, "graph/memberships", url)
                    .await
                    .map(|list| list.items);
                (descriptor, answer)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (descriptor, answer) = joined.map_err(|e| AdoError::Transport {
                organization: org.to_string(),
                url: graph.to_string(),
                message: format!("a membership task failed: {e}"),
            })?;
            let entry = match answer {
                Ok(edges) => {
                    let edges: Vec<Membership> = edges.into_iter().map(|e| e.item).collect();
                    for edge in &edges {
                        if is_group_descriptor(&edge.member_descriptor)
                            && !read.contains_key(&edge.member_descriptor)
                        {
                            level.insert(edge.member_descriptor.clone());
                        }
                    }
                    Ok(edges)
                }
                Err(e) if e.gap().is_some() => Err(e.to_string()),
                Err(e) => return Err(e),
            };
            read.insert(descriptor, entry);
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, domain: &str) -> GraphSubject {
        serde_json::from_value(serde_json::json!({
            "descriptor": "vssgp.x", "subjectKind": "group", "origin": "vsts",
            "displayName": name, "domain": domain
        }))
        .unwrap()
    }

    /// Administrators groups are expanded in the organization and in the projects the connector
    /// crawls, never in a project it leaves out; other groups never.
    #[test]
    fn only_administrators_groups_of_crawled_scopes_are_expanded() {
        let crawled = |p: &str| p == "crawled";
        let project = "vstfs:///Classification/TeamProject/";
        let organization = "vstfs:///Framework/IdentityDomain/o";
        assert!(is_expanded(
            &group("Project Collection Administrators", organization),
            crawled
        ));
        assert!(is_expanded(
            &group("Project Administrators", &format!("{project}CRAWLED")),
            crawled
        ));
        assert!(!is_expanded(
            &group("Project Administrators", &format!("{project}left-out")),
            crawled
        ));
        assert!(!is_expanded(
            &group("Contributors", &format!("{project}crawled")),
            crawled
        ));
        assert!(!is_expanded(
            &group("Project Administrators", organization),
            crawled
        ));
    }
}
