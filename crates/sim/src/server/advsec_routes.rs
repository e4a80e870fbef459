//! The simulated routes of one area: advanced Security: enablement, the organization-wide alert summary and list, and each repository's alerts.

use super::*;

/// Answers a route of this area; any other path is the service's plain-text 404.
pub(super) fn route(req: &RouteRequest<'_>) -> Response {
    let state = req.state;
    let estate = &req.state.estate;
    let param = |name: &str| req.param(name);
    let page_size = |top: Option<&str>| req.page_size(top);
    match req.segs.as_slice() {
        [org, "_apis", "management", "enablement"] if !state.settings.server_mode => {
            let org = or_respond!(organization(estate, org));
            let repos: Vec<Value> = org
                .repositories
                .iter()
                .zip(&org.advsec)
                .enumerate()
                .filter(|(index, (_, a))| !a.unlisted(*index))
                .map(|(_, (r, a))| {
                    json!({
                        "projectId": org.projects[r.project_index].id,
                        "repositoryId": r.id,
                        "codeSecurityFeatures": {
                            "codeSecurityEnabled": a.code_security,
                            "codeQLEnabled": a.code_security,
                            "dependencyScanningInjectionEnabled": a.code_security,
                            "autofixEnabled": false
                        },
                        "secretProtectionFeatures": {
                            "secretProtectionEnabled": a.secret_protection,
                            "blockPushes": a.block_pushes
                        }
                    })
                })
                .collect();
            ok(
                json!({
                    "reposEnablementStatus": repos,
                    "enablementOnCreateSettings": {
                        "enableCodeSecurityOnCreate": false,
                        "enableSecretProtectionOnCreate": false,
                        "enableBlockPushesOnCreate": false
                    }
                }),
                None,
            )
        }
        // The organization-wide alert summary: per project, the repositories whose alerts the
        // identity may read (every enabled one it is not refused), with their counts.
        [org, "_apis", "reporting", "summary", "alerts"]
            if !state.settings.server_mode && state.settings.serve_alertsbatch =>
        {
            let org = or_respond!(organization(estate, org));
            let projects: Vec<Value> = org
                .projects
                .iter()
                .enumerate()
                .map(|(p, project)| {
                    let repos: Vec<Value> = org
                        .repositories
                        .iter()
                        .zip(&org.advsec)
                        .filter(|(r, a)| r.project_index == p && a.enabled() && !a.alerts_forbidden)
                        .map(|(r, a)| {
                            let open = a.alerts.iter().filter(|x| x.state == "active").count();
                            json!({ "repoId": r.id, "repoName": r.name, "totalAlerts": a.alerts.len(), "openAlerts": open })
                        })
                        .collect();
                    json!({ "projectId": project.id, "projectName": project.name, "repos": repos })
                })
                .collect();
            ok(json!({ "orgId": org.id, "projects": projects }), None)
        }
        // Every alert the identity may read, organization-wide (`DashboardAlert`: the repository
        // by project and repository name); `top` sets the page size, the token is the id of the
        // last alert returned.
        [org, "_apis", "reporting", "summary", "alertsbatch"]
            if !state.settings.server_mode && state.settings.serve_alertsbatch =>
        {
            let org = or_respond!(organization(estate, org));
            let after = param("continuationToken")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
            let top = page_size(param("top"));
            let mut remaining: Vec<(&crate::estate::SimRepository, &crate::advsec::SimAlert)> = org
                .repositories
                .iter()
                .zip(&org.advsec)
                .filter(|(_, a)| a.enabled() && !a.alerts_forbidden)
                .flat_map(|(r, a)| a.alerts.iter().map(move |x| (r, x)))
                .filter(|(_, x)| x.id > after)
                .collect();
            remaining.sort_by_key(|(_, x)| x.id);
            let page: Vec<Value> = remaining
                .iter()
                .take(top)
                .map(|(r, a)| {
                    json!({
                        "alertId": a.id,
                        "alertType": a.alert_type,
                        "severity": a.severity,
                        "state": a.state,
                        "title": a.title,
                        "introducedDate": "2026-09-15T00:00:00Z",
                        "projectName": org.projects[r.project_index].name,
                        "repositoryName": r.name,
                        "locations": []
                    })
                })
                .collect();
            let next = (remaining.len() > top).then(|| remaining[top - 1].1.id.to_string());
            ok(envelope(page), next)
        }
        [
            org,
            project,
            "_apis",
            "alert",
            "repositories",
            repo,
            "alerts",
        ] if !state.settings.server_mode => {
            let (org, index, project) = or_respond!(org_and_project(estate, org, project));
            let Some((r, advsec)) = org.repositories.iter().zip(&org.advsec).find(|(r, _)| {
                r.project_index == index && (r.id.eq_ignore_ascii_case(repo) || r.name == *repo)
            }) else {
                return error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "TF401019: The Git repository with name or identifier {repo} does not exist or you do not have permissions for the operation you are attempting."
                    ),
                    "GitRepositoryNotFoundException",
                );
            };
            // Every other repository we may not read (the first of each organization among
            // them) answers as Azure DevOps often does: "does not exist or you do not have
            // permissions" (404 TF401019).
            let not_found = advsec.alerts_forbidden
                && org
                    .repositories
                    .iter()
                    .zip(&org.advsec)
                    .filter(|(_, a)| a.alerts_forbidden)
                    .position(|(other, _)| other.id == r.id)
                    .is_some_and(|i| i % 2 == 0);
            if not_found {
                return error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "TF401019: The Git repository with name or identifier {repo} does not exist or you do not have permissions for the operation you are attempting."
                    ),
                    "GitRepositoryNotFoundException",
                );
            }
            if advsec.alerts_forbidden {
                return error(
                    StatusCode::FORBIDDEN,
                    "TF400813: The user does not have permission to view Advanced Security alerts of this repository.",
                    "UnauthorizedRequestException",
                );
            }
            if !advsec.enabled() {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Advanced Security is not enabled for this repository.",
                    "AdvancedSecurityNotEnabledException",
                );
            }
            // The token is the id of the last alert returned; `top` (no $) sets the page size.
            let after = param("continuationToken")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
            let top = page_size(param("top"));
            let remaining: Vec<_> = advsec.alerts.iter().filter(|a| a.id > after).collect();
            let page: Vec<Value> = remaining
                .iter()
                .take(top)
                .map(|a| {
                    json!({
                        "alertId": a.id,
                        "alertType": a.alert_type,
                        "severity": a.severity,
                        "state": a.state,
                        "confidence": "high",
                        "title": a.title,
                        "firstSeenDate": "2026-10-01T00:00:00Z",
                        "lastSeenDate": "2026-11-01T00:00:00Z",
                        "gitRef": r.default_branch.clone().unwrap_or_else(|| "refs/heads/main".into()),
                        "repositoryUrl": format!("{BASE}/{}/{}/_git/{}", org.name, project.name, r.name),
                        "tools": [{ "name": if a.alert_type == "secret" { "AdvancedSecurity-Secret-Scanning" } else { "CodeQL" } }]
                    })
                })
                .collect();
            let next = (remaining.len() > top).then(|| remaining[top - 1].id.to_string());
            ok(envelope(page), next)
        }
        _ => not_found_route(req.parts.uri.path()),
    }
}
