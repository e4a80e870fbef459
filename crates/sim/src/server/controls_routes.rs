//! The simulated routes of one area: checks and approvals, pipeline permissions and the organization's security policies.

use super::*;

/// Answers a route of this area; any other path is the service's plain-text 404.
pub(super) fn route(req: &RouteRequest<'_>) -> Response {
    let state = req.state;
    let estate = &req.state.estate;
    let body = req.body;
    match req.segs.as_slice() {
        [
            org,
            project,
            "_apis",
            "pipelines",
            "checks",
            "queryconfigurations",
        ] => {
            let (_, index, project) = or_respond!(org_and_project(estate, org, project));
            let Ok(wanted) = serde_json::from_slice::<Vec<Value>>(body) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "VS403426: The request body must be a list of resources {type, id}.",
                    "InvalidRequestException",
                );
            };
            let org = or_respond!(organization(estate, org));
            let controls = org
                .controls
                .projects
                .get(index)
                .cloned()
                .unwrap_or_default();
            let mut checks = Vec::new();
            for resource in &wanted {
                // The service accepts resource types in any case and answers in its own.
                let kind = resource["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let kind = kind.as_str();
                let id = resource["id"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| resource["id"].to_string());
                let found: Option<(&[crate::controls::SimCheck], String)> = match kind {
                    // Checks belong to the connection: a project it is shared with sees its
                    // owner's.
                    "endpoint" => project_endpoints(org, project)
                        .find(|(e, _)| e.id.eq_ignore_ascii_case(&id))
                        .and_then(|(e, _)| {
                            let (p, _, k) = endpoint_owner(org, &e.id)?;
                            let checks = org.controls.projects.get(p)?.endpoint_checks.get(k)?;
                            Some((checks.as_slice(), e.name.clone()))
                        }),
                    "environment" => project
                        .agents
                        .environments
                        .iter()
                        .position(|e| e.id.to_string() == id)
                        .and_then(|i| {
                            Some((
                                controls.environment_checks.get(i)?.as_slice(),
                                project.agents.environments[i].name.clone(),
                            ))
                        }),
                    "queue" => project
                        .agents
                        .queues
                        .iter()
                        .position(|q| q.id.to_string() == id)
                        .and_then(|i| {
                            let pool = org.pools.get(project.agents.queues[i].pool)?;
                            Some((controls.queue_checks.get(i)?.as_slice(), pool.name.clone()))
                        }),
                    "variablegroup" => project
                        .library
                        .variable_groups
                        .iter()
                        .position(|g| g.id.to_string() == id)
                        .and_then(|i| {
                            Some((
                                controls.variable_group_checks.get(i)?.as_slice(),
                                project.library.variable_groups[i].name.clone(),
                            ))
                        }),
                    "securefile" => project
                        .agents
                        .secure_files
                        .iter()
                        .position(|f| f.id.eq_ignore_ascii_case(&id))
                        .and_then(|i| {
                            Some((
                                controls.secure_file_checks.get(i)?.as_slice(),
                                project.agents.secure_files[i].name.clone(),
                            ))
                        }),
                    // `{projectId}.{repositoryId}`, as pipeline permissions name repositories.
                    "repository" => id.split_once('.').and_then(|(p, r)| {
                        if !p.eq_ignore_ascii_case(&project.id) {
                            return None;
                        }
                        let (i, repo) = org
                            .repositories
                            .iter()
                            .filter(|repo| repo.project_index == index)
                            .enumerate()
                            .find(|(_, repo)| repo.id.eq_ignore_ascii_case(r))?;
                        Some((
                            controls.repository_checks.get(i)?.as_slice(),
                            repo.name.clone(),
                        ))
                    }),
                    _ => None,
                };
                let Some((found, name)) = found else { continue };
                for check in found {
                    let (type_id, type_name) = check.kind.type_ref();
                    let url = format!(
                        "{BASE}/{}/{}/_apis/pipelines/checks/configurations/{}",
                        org.name, project.id, check.id
                    );
                    checks.push(json!({
                        "settings": if check.kind == crate::controls::CheckKind::Approval {
                            json!({ "approvers": [{ "displayName": "Release Managers", "id": "5c5d5f59-5d2e-4bd5-8b1c-64b56b3ce0a1" }], "executionOrder": 1, "minRequiredApprovers": 1, "requesterCannotBeApprover": check.requester_cannot_be_approver() })
                        } else {
                            json!({ "displayName": type_name })
                        },
                        "createdBy": { "displayName": "Simulated Admin", "id": "4adb1680-0eac-6149-b5ee-fc8b4f6ca227" },
                        "createdOn": "2026-03-01T10:00:00Z",
                        "timeout": 43200,
                        "_links": { "self": { "href": url } },
                        "id": check.id,
                        "type": { "id": type_id, "name": type_name },
                        "url": url,
                        "resource": { "type": kind, "id": id, "name": name }
                    }));
                }
            }
            ok(envelope(checks), None)
        }
        [
            org,
            project,
            "_apis",
            "pipelines",
            "pipelinepermissions",
            kind,
            id,
        ] => {
            let (org_ref, index, project) = or_respond!(org_and_project(estate, org, project));
            let controls = org_ref.controls.projects.get(index);
            // Whether the resource is open to every pipeline, when it exists in this project.
            let open: Option<bool> = match kind.to_ascii_lowercase().as_str() {
                "environment" => project
                    .agents
                    .environments
                    .iter()
                    .position(|e| e.id.to_string() == *id)
                    .map(|i| {
                        controls
                            .and_then(|c| c.environment_open.get(i).copied())
                            .unwrap_or(false)
                    }),
                "endpoint" | "variablegroup" | "queue" | "securefile" => {
                    protected_resources(org_ref, project, &kind.to_ascii_lowercase())
                        .into_iter()
                        .find(|(rid, _)| rid.eq_ignore_ascii_case(id))
                        .map(|(_, open)| open)
                }
                // `{projectId}.{repositoryId}`
                "repository" => id.split_once('.').and_then(|(p, r)| {
                    let position = org_ref.repositories.iter().position(|repo| {
                        repo.id.eq_ignore_ascii_case(r) && project.id.eq_ignore_ascii_case(p)
                    })?;
                    Some(
                        org_ref
                            .controls
                            .repository_open
                            .get(position)
                            .copied()
                            .unwrap_or(false),
                    )
                }),
                _ => None,
            };
            let Some(open) = open else {
                return error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "The resource {kind}/{id} does not exist or you do not have access to it."
                    ),
                    "ResourceNotFoundException",
                );
            };
            let mut body = json!({ "resource": { "type": kind, "id": id }, "pipelines": [] });
            if open {
                body["allPipelines"] = json!({
                    "authorized": true,
                    "authorizedBy": { "displayName": "Simulated Admin", "id": "4adb1680-0eac-6149-b5ee-fc8b4f6ca227" },
                    "authorizedOn": "2026-03-01T10:00:00Z"
                });
            } else if let Some(first) = project.pipelines.pipelines.first() {
                body["pipelines"] = json!([{ "id": first.id, "authorized": true, "authorizedOn": "2026-03-01T10:00:00Z" }]);
            }
            ok(body, None)
        }
        [org, "_apis", "OrganizationPolicy", "Policies", name] if !state.settings.server_mode => {
            let org = or_respond!(organization(estate, org));
            match org.controls.policies.value(name) {
                // A policy left at its default: `value` is not what is in effect.
                Some(value) if org.controls.policies.at_default(name) => ok(
                    json!({
                        "name": name,
                        "value": !value,
                        "effectiveValue": value,
                        "isValueUndefined": true,
                        "parentPolicy": null
                    }),
                    None,
                ),
                Some(value) => ok(
                    json!({
                        "name": name,
                        "value": value,
                        "effectiveValue": value,
                        "isValueUndefined": false,
                        "parentPolicy": null
                    }),
                    None,
                ),
                None => error(
                    StatusCode::NOT_FOUND,
                    &format!("The policy {name} does not exist."),
                    "PolicyNotFoundException",
                ),
            }
        }
        _ => not_found_route(req.parts.uri.path()),
    }
}
