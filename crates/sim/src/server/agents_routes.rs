//! The simulated routes of one area: agent pools, agent queues, secure files, deployment groups and environments.

use super::*;

/// Answers a route of this area; any other path is the service's plain-text 404.
pub(super) fn route(req: &RouteRequest<'_>) -> Response {
    let estate = &req.state.estate;
    let param = |name: &str| req.param(name);
    let page_size = |top: Option<&str>| req.page_size(top);
    match req.segs.as_slice() {
        [org, "_apis", "distributedtask", "pools"] => {
            let org = or_respond!(organization(estate, org));
            let pools = org.pools.iter().map(pool_json).collect();
            ok(envelope(pools), None)
        }
        [org, project, "_apis", "distributedtask", "queues"] => {
            let (org, _, project) = or_respond!(org_and_project(estate, org, project));
            let queues = project
                .agents
                .queues
                .iter()
                .filter_map(|q| {
                    let pool = org.pools.get(q.pool)?;
                    Some(json!({ "id": q.id, "projectId": project.id, "name": pool.name, "pool": pool_json(pool) }))
                })
                .collect();
            ok(envelope(queues), None)
        }
        [org, project, "_apis", "distributedtask", "securefiles"] => {
            let (_, _, project) = or_respond!(org_and_project(estate, org, project));
            let files = project
                .agents
                .secure_files
                .iter()
                .map(|f| {
                    json!({
                        "id": f.id,
                        "name": f.name,
                        "createdBy": { "displayName": "Simulated Admin", "id": "4adb1680-0eac-6149-b5ee-fc8b4f6ca227" },
                        "createdOn": "2026-03-01T10:00:00Z",
                        "modifiedBy": { "displayName": "Simulated Admin", "id": "4adb1680-0eac-6149-b5ee-fc8b4f6ca227" },
                        "modifiedOn": "2026-03-01T10:00:00Z",
                        "properties": {}
                    })
                })
                .collect();
            ok(envelope(files), None)
        }
        [org, project, "_apis", "distributedtask", "deploymentgroups"] => {
            let (_, _, project) = or_respond!(org_and_project(estate, org, project));
            // Paged by name: the token is the name of the next page's first group
            // (../shared/ado-api/pagination.continuationtoken.deploymentgroups.json).
            let groups = &project.agents.deployment_groups;
            let from = param("continuationToken").unwrap_or_default();
            let mut matching = groups.iter().filter(|g| g.name.as_str() >= from);
            let page: Vec<Value> = matching
                .by_ref()
                .take(page_size(param("$top")))
                .map(|g| {
                    json!({
                        "machineCount": g.machine_count,
                        "description": "",
                        "id": g.id,
                        "project": { "id": project.id, "name": project.name },
                        "name": g.name,
                        "pool": {
                            "id": g.pool_id, "scope": "86088ab1-30d8-4526-9663-3406752b8bc6",
                            "name": format!("{}-{}", project.name, g.name),
                            "isHosted": false, "poolType": "deployment", "size": g.machine_count
                        }
                    })
                })
                .collect();
            let next = matching.next().map(|g| g.name.clone());
            ok(envelope(page), next)
        }
        [org, project, "_apis", "distributedtask", "environments"] => {
            let (_, _, project) = or_respond!(org_and_project(estate, org, project));
            let (page, next) = page_from_id(
                &project.agents.environments,
                |e| e.id,
                param("continuationToken"),
                page_size(param("$top")),
            );
            let page: Vec<Value> = page
                .into_iter()
                .map(|e| {
                    json!({
                        "id": e.id,
                        "name": e.name,
                        "description": "",
                        "createdBy": { "id": "4adb1680-0eac-6149-b5ee-fc8b4f6ca227" },
                        "createdOn": "2026-03-01T10:00:00Z",
                        "lastModifiedOn": "2026-03-01T10:00:00Z",
                        "project": { "id": project.id, "name": project.name }
                    })
                })
                .collect();
            ok(envelope(page), next)
        }
        _ => not_found_route(req.parts.uri.path()),
    }
}
