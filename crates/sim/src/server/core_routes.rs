//! The simulated routes of one area: organization discovery (profile, accounts), projects, repositories and branch policies.

use super::*;

/// Answers a route of this area; any other path is the service's plain-text 404.
pub(super) fn route(req: &RouteRequest<'_>) -> Response {
    let estate = &req.state.estate;
    let param = |name: &str| req.param(name);
    let page_size = |top: Option<&str>| req.page_size(top);
    match req.segs.as_slice() {
        ["_apis", "profile", "profiles", "me"] => ok(
            json!({
                "displayName": estate.user_name,
                "publicAlias": estate.user_id,
                "emailAddress": "security-reader@sim.invalid",
                "coreRevision": 1,
                "timeStamp": "2026-01-01T00:00:00+00:00",
                "id": estate.user_id,
                "revision": 1
            }),
            None,
        ),
        ["_apis", "accounts"] => {
            let member = param("memberId").or(param("ownerId"));
            let accounts: Vec<Value> =
                if member.is_some_and(|m| m.eq_ignore_ascii_case(&estate.user_id)) {
                    estate
                        .organizations
                        .iter()
                        .map(|o| {
                            json!({
                                "accountId": o.id,
                                "accountUri": format!("https://vssps.dev.azure.com/{}/", o.name),
                                "accountName": o.name,
                                "properties": {}
                            })
                        })
                        .collect()
                } else {
                    Vec::new()
                };
            ok(envelope(accounts), None)
        }
        [org, "_apis", "projects"] => {
            let org = or_respond!(organization(estate, org));
            // The projects token is "how many projects were already returned".
            let skip = param("continuationToken")
                .or(param("$skip"))
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0);
            let top = page_size(param("$top"));
            let page: Vec<Value> = org
                .projects
                .iter()
                .skip(skip)
                .take(top)
                .map(|p| project_json(org, p))
                .collect();
            let next =
                (skip + page.len() < org.projects.len()).then(|| (skip + page.len()).to_string());
            ok(envelope(page), next)
        }
        [org, "_apis", "git", "repositories"] => {
            let org = or_respond!(organization(estate, org));
            let repos = org
                .repositories
                .iter()
                .map(|r| repository_json(org, r))
                .collect();
            ok(envelope(repos), None)
        }
        [org, project, "_apis", "git", "repositories"] => {
            let org = or_respond!(organization(estate, org));
            let Some((index, _)) = find_project(org, project) else {
                return project_not_found(project);
            };
            let repos = org
                .repositories
                .iter()
                .filter(|r| r.project_index == index)
                .map(|r| repository_json(org, r))
                .collect();
            ok(envelope(repos), None)
        }
        [org, project, "_apis", "policy", "configurations"] => {
            let (org, _, project) = or_respond!(org_and_project(estate, org, project));
            // The policy token is the id of the last configuration returned.
            let after = param("continuationToken")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
            let top = page_size(param("$top"));
            let wanted_type = param("policyType");
            let matching: Vec<&SimPolicy> = project
                .policies
                .iter()
                .filter(|p| wanted_type.is_none_or(|t| t.eq_ignore_ascii_case(p.type_id)))
                .filter(|p| p.id > after)
                .collect();
            let page: Vec<Value> = matching
                .iter()
                .take(top)
                .map(|p| policy_json(org, project, p))
                .collect();
            let next = (matching.len() > top).then(|| matching[top - 1].id.to_string());
            ok(envelope(page), next)
        }
        _ => not_found_route(req.parts.uri.path()),
    }
}
