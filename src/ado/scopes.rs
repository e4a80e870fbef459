//! Which PAT scope a route needs, to name it when the service refuses a route with 401
//! (TF400813) while the same credential reads others. From Microsoft's "Scopes" table of the
//! REST API reference (learn.microsoft.com/azure/devops/integrate/get-started/authentication/oauth#scopes).

/// A PAT scope the crawl uses: its name and what it lets the crawl read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub name: &'static str,
    /// The scope's label in Microsoft's table, and what it reads.
    pub reads: &'static str,
}

impl Scope {
    /// `name (reads)`, as error messages name it.
    pub fn hint(&self) -> String {
        format!("{} ({})", self.name, self.reads)
    }
}

const fn scope(name: &'static str, reads: &'static str) -> Scope {
    Scope { name, reads }
}

/// Each route prefix (path segments after `_apis`, lower case) the crawl reads and the scope it
/// needs; the first match wins. `ado-posture scopes` prints this table.
pub const ROUTE_SCOPES: &[(&[&str], Scope)] = &[
    (
        &["projects"],
        scope("vso.project", "Project and Team: read"),
    ),
    (&["git"], scope("vso.code", "Code: read")),
    (&["policy"], scope("vso.code", "Code: read")),
    (
        &["serviceendpoint"],
        scope("vso.serviceendpoint", "Service Connections: read"),
    ),
    (
        &["distributedtask", "variablegroups"],
        scope("vso.variablegroups_read", "Variable Groups: read"),
    ),
    (
        &["distributedtask", "securefiles"],
        scope("vso.securefiles_read", "Secure Files: read"),
    ),
    (
        &["distributedtask", "environments"],
        scope(
            "vso.environment_manage",
            "Environment: read & manage; there is no read-only scope",
        ),
    ),
    (
        &["pipelines", "environments"],
        scope(
            "vso.environment_manage",
            "Environment: read & manage; there is no read-only scope",
        ),
    ),
    (
        &["distributedtask", "pools"],
        scope("vso.agentpools", "Agent Pools: read"),
    ),
    (
        &["distributedtask", "queues"],
        scope("vso.agentpools", "Agent Pools: read"),
    ),
    (
        &["distributedtask", "deploymentgroups"],
        scope(
            "vso.machinegroup_manage",
            "Deployment Groups: read & manage; there is no read-only scope",
        ),
    ),
    (&["build"], scope("vso.build", "Build: read")),
    (&["pipelines"], scope("vso.build", "Build: read")),
    (&["management"], ADVANCED_SECURITY),
    (&["alert"], ADVANCED_SECURITY),
    (&["reporting"], ADVANCED_SECURITY),
    (
        &["graph"],
        scope(
            "vso.graph",
            "Graph: read; users, groups and memberships (identity rules)",
        ),
    ),
    // The spec names vso.identity for `identities` (research §0.9); the crawl does not call it.
    (&["identities"], scope("vso.identity", "Identity: read")),
    (
        &["userentitlements"],
        scope(
            "vso.memberentitlementmanagement",
            "Member Entitlement Management: read; access levels and last sign-in (identity rules)",
        ),
    ),
    (
        &["profile"],
        scope(
            "vso.profile",
            "User Profile: read; only to discover organizations with organizations = [\"*\"]",
        ),
    ),
    (
        &["accounts"],
        scope(
            "vso.profile",
            "User Profile: read; only to discover organizations with organizations = [\"*\"]",
        ),
    ),
];

const ADVANCED_SECURITY: Scope = scope("vso.advsec", "Advanced Security: read");

/// Every scope of [`ROUTE_SCOPES`] once, in its order.
pub fn all_scopes() -> Vec<Scope> {
    let mut out: Vec<Scope> = Vec::new();
    for (_, s) in ROUTE_SCOPES {
        if !out.iter().any(|o| o.name == s.name) {
            out.push(*s);
        }
    }
    out
}

/// The read scope for a request path (segments after `_apis`) on `host`, if we know it.
pub fn scope_for(host: &str, segments: &[&str]) -> Option<String> {
    if host.starts_with("advsec.") {
        return Some(ADVANCED_SECURITY.hint());
    }
    ROUTE_SCOPES
        .iter()
        .find(|(prefix, _)| {
            prefix.len() <= segments.len()
                && prefix
                    .iter()
                    .zip(segments)
                    .all(|(p, s)| p.eq_ignore_ascii_case(s))
        })
        .map(|(_, s)| s.hint())
}

/// The scope for a full URL: its host and the path after `_apis`.
pub fn scope_for_url(url: &url::Url) -> Option<String> {
    let segments: Vec<&str> = url.path_segments()?.collect();
    let start = segments
        .iter()
        .position(|s| s.eq_ignore_ascii_case("_apis"))?
        + 1;
    scope_for(url.host_str().unwrap_or_default(), &segments[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_named_for_the_routes_the_crawl_reads() {
        let url = |u: &str| url::Url::parse(u).unwrap();
        assert!(
            scope_for_url(&url(
                "https://advsec.dev.azure.com/o/_apis/management/enablement"
            ))
            .unwrap()
            .starts_with("vso.advsec")
        );
        assert!(
            scope_for_url(&url(
                "https://dev.azure.com/o/p/_apis/distributedtask/securefiles?api-version=7.1-preview.1"
            ))
            .unwrap()
            .starts_with("vso.securefiles_read")
        );
        assert!(
            scope_for_url(&url("https://vssps.dev.azure.com/o/_apis/graph/groups"))
                .unwrap()
                .starts_with("vso.graph")
        );
        assert_eq!(
            scope_for_url(&url("https://dev.azure.com/o/_apis/unknown")),
            None
        );
    }
}
