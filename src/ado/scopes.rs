//! Which PAT scope a route needs, to name it when the service refuses a route with 401
//! (TF400813) while the same credential reads others. From Microsoft's "Scopes" table of the
//! REST API reference (learn.microsoft.com/azure/devops/integrate/get-started/authentication/oauth#scopes).

/// The read scope for a request path (segments after `_apis`) on `host`, if we know it.
pub fn scope_for(host: &str, segments: &[&str]) -> Option<&'static str> {
    if host.starts_with("advsec.") {
        return Some("vso.advsec (Advanced Security: read)");
    }
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let parts: Vec<&str> = lower.iter().map(String::as_str).collect();
    Some(match parts.as_slice() {
        ["projects", ..] => "vso.project (Project and Team: read)",
        ["git", ..] | ["policy", ..] => "vso.code (Code: read)",
        ["serviceendpoint", ..] => "vso.serviceendpoint (Service Connections: read)",
        ["distributedtask", "variablegroups", ..] => {
            "vso.variablegroups_read (Variable Groups: read)"
        }
        ["distributedtask", "securefiles", ..] => "vso.securefiles_read (Secure Files: read)",
        ["distributedtask", "environments", ..] | ["pipelines", "environments", ..] => {
            "vso.environment_manage (Environment: read & manage; there is no read-only scope)"
        }
        ["distributedtask", "pools", ..] | ["distributedtask", "queues", ..] => {
            "vso.agentpools (Agent Pools: read)"
        }
        ["build", ..] | ["pipelines", ..] => "vso.build (Build: read)",
        ["management", ..] | ["alert", ..] | ["reporting", ..] => {
            "vso.advsec (Advanced Security: read)"
        }
        ["graph", ..] | ["identities", ..] => "vso.graph (Graph: read)",
        ["profile", ..] | ["accounts", ..] => "vso.profile (User Profile: read)",
        _ => return None,
    })
}

/// The scope for a full URL: its host and the path after `_apis`.
pub fn scope_for_url(url: &url::Url) -> Option<&'static str> {
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
