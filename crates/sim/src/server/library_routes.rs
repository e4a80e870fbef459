//! The simulated routes of one area: service connections, variable groups and the resources authorized for every pipeline.

use super::*;

/// Answers a route of this area; any other path is the service's plain-text 404.
pub(super) fn route(req: &RouteRequest<'_>) -> Response {
    let estate = &req.state.estate;
    let param = |name: &str| req.param(name);
    let page_size = |top: Option<&str>| req.page_size(top);
    match req.segs.as_slice() {
        [org, project, "_apis", "serviceendpoint", "endpoints"] => {
            let (org, _, project) = or_respond!(org_and_project(estate, org, project));
            // Not-ready connections are left out unless the request says includeFailed=true.
            let include_failed =
                param("includeFailed").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            // A connection shared with this project is listed here too, with every project
            // reference, the owning project first.
            let endpoints = project_endpoints(org, project)
                .filter(|(e, _)| include_failed || e.is_ready())
                .filter_map(|(e, owned)| {
                    let owner = if owned {
                        project
                    } else {
                        endpoint_owner(org, &e.id)?.1
                    };
                    Some(endpoint_json(org, owner, e))
                })
                .collect();
            ok(envelope(endpoints), None)
        }
        [org, project, "_apis", "distributedtask", "variablegroups"] => {
            let (_, _, project) = or_respond!(org_and_project(estate, org, project));
            let (page, next) = page_from_id(
                &project.library.variable_groups,
                |g| g.id,
                param("continuationToken"),
                page_size(param("$top")),
            );
            let page = page
                .into_iter()
                .map(|g| variable_group_json(project, g))
                .collect();
            ok(envelope(page), next)
        }
        [org, project, "_apis", "build", "authorizedresources"] => {
            let (org, _, project) = or_respond!(org_and_project(estate, org, project));
            let kind = param("type").unwrap_or_default().to_ascii_lowercase();
            let resources = protected_resources(org, project, &kind);
            let ids = resources
                .into_iter()
                .filter(|(_, open)| *open)
                .map(|(id, _)| id);
            let wanted = param("id");
            let items = ids
                .filter(|id| wanted.is_none_or(|w| w == id))
                .map(|id| json!({ "type": kind, "id": id, "authorized": true }))
                .collect();
            ok(envelope(items), None)
        }
        _ => not_found_route(req.parts.uri.path()),
    }
}
