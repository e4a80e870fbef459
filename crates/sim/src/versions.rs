//! REST API versions as Azure DevOps Server serves them: each route's released and newest
//! version (its resource location, listed by `OPTIONS /_apis`), and the 400s a request gets
//! when it asks for a version the server does not have or leaves out `-preview` on a route that
//! is still preview there. Modelled on the 6.0, 6.1 and 7.0 REST specs
//! (MicrosoftDocs/vsts-rest-api-specs; tests/fixtures/ado-api/server-route-versions.json), the
//! location ids and shape of a recorded `OPTIONS /_apis` (tests/fixtures/ado-api/locations.options.json)
//! and ../shared/ado-api/README.md §6.

use serde_json::{Value, json};

/// A `major.minor` version.
pub type Version = (u32, u32);

/// One route of the simulated server.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The route's name in the simulator (`area/resource` after `_apis`).
    pub name: &'static str,
    pub area: &'static str,
    pub resource: &'static str,
    pub template: &'static str,
    pub id: &'static str,
    /// The version the route was released at, per server version; `None`: preview only.
    pub released: fn(Version) -> Option<Version>,
    /// The `-preview.N` revision at the server's version.
    pub resource_version: u32,
}

/// Released at the server's own version from 7.0 on, at 6.0 before (so every route of a 6.1
/// server is preview at 6.1).
fn core(server: Version) -> Option<Version> {
    Some(if server >= (7, 0) { server } else { (6, 0) })
}

/// Still preview at 6.0 (variable groups, service endpoints, queues, …); released at 7.0.
fn preview_until_7(server: Version) -> Option<Version> {
    Some(if server >= (7, 0) { (7, 0) } else { (5, 1) })
}

/// Preview at every version the simulator serves.
fn always_preview(_: Version) -> Option<Version> {
    None
}

/// The routes a crawler reads on a server.
pub const ROUTES: &[Route] = &[
    Route {
        name: "projects",
        area: "core",
        resource: "projects",
        template: "_apis/projects/{*projectId}",
        id: "603fe2ac-9723-48b9-88ad-09305aa6c6e1",
        released: core,
        resource_version: 4,
    },
    Route {
        name: "git/repositories",
        area: "git",
        resource: "repositories",
        template: "{project}/_apis/git/repositories/{repositoryId}",
        id: "225f7195-f9c7-4d14-ab28-a83f7ff77e1f",
        released: core,
        resource_version: 1,
    },
    Route {
        name: "policy/configurations",
        area: "policy",
        resource: "configurations",
        template: "{project}/_apis/policy/configurations/{configurationId}",
        id: "dad91cbe-d183-45f8-9c6e-9c1164472121",
        released: core,
        resource_version: 1,
    },
    Route {
        name: "serviceendpoint/endpoints",
        area: "serviceendpoint",
        resource: "endpoints",
        template: "{project}/_apis/serviceendpoint/endpoints/{endpointId}",
        id: "e85f1c62-adfc-4b74-b618-11a150fb195e",
        released: preview_until_7,
        resource_version: 4,
    },
    Route {
        name: "distributedtask/variablegroups",
        area: "distributedtask",
        resource: "variablegroups",
        template: "{project}/_apis/distributedtask/variablegroups/{groupId}",
        id: "f5b09dd5-9d54-45a1-8b5a-1c8287d634cc",
        released: preview_until_7,
        resource_version: 2,
    },
    Route {
        name: "build/authorizedresources",
        area: "build",
        resource: "authorizedresources",
        template: "{project}/_apis/build/authorizedresources",
        id: "398c85bc-81aa-4822-947c-a194a05f0fef",
        released: always_preview,
        resource_version: 1,
    },
    Route {
        name: "build/definitions",
        area: "build",
        resource: "definitions",
        template: "{project}/_apis/build/definitions/{definitionId}",
        id: "dbeaf647-6167-421a-bda9-c9327b25e2e6",
        released: core,
        resource_version: 7,
    },
    Route {
        name: "distributedtask/queues",
        area: "distributedtask",
        resource: "queues",
        template: "{project}/_apis/distributedtask/queues/{queueId}",
        id: "900fa995-c559-4923-aae7-f8424fe4fbea",
        released: preview_until_7,
        resource_version: 1,
    },
    Route {
        name: "distributedtask/securefiles",
        area: "distributedtask",
        resource: "securefiles",
        template: "{project}/_apis/distributedtask/securefiles/{secureFileId}",
        id: "adcfd8bc-b184-43ba-bd84-7c8c6a2ff421",
        released: always_preview,
        resource_version: 1,
    },
    Route {
        name: "distributedtask/environments",
        area: "distributedtask",
        resource: "environments",
        template: "{project}/_apis/distributedtask/environments/{environmentId}",
        id: "8572b1fc-2482-47fa-8f74-7e3ed53ee54b",
        released: preview_until_7,
        resource_version: 1,
    },
    Route {
        name: "distributedtask/deploymentgroups",
        area: "distributedtask",
        resource: "deploymentgroups",
        template: "{project}/_apis/distributedtask/deploymentgroups/{deploymentGroupId}",
        id: "083c4d89-ab35-45af-aa11-7cf66895c53e",
        released: preview_until_7,
        resource_version: 1,
    },
    Route {
        name: "build/generalsettings",
        area: "build",
        resource: "generalSettings",
        template: "{project}/_apis/build/generalSettings",
        id: "c4aefd19-30ff-405b-80ad-aca021e7242a",
        released: preview_until_7,
        resource_version: 1,
    },
    Route {
        name: "pipelines/checks",
        area: "PipelinesChecks",
        resource: "queryconfigurations",
        template: "{project}/_apis/pipelines/checks/queryconfigurations",
        id: "5f3d0e64-f943-4584-8811-77eb495e831e",
        released: always_preview,
        resource_version: 1,
    },
    Route {
        name: "pipelines/pipelinepermissions",
        area: "pipelinePermissions",
        resource: "pipelinePermissions",
        template: "{project}/_apis/pipelines/pipelinePermissions/{resourceType}/{resourceId}",
        id: "b5b9a4a4-e6cd-4096-853c-ab7d8b0c4eb2",
        released: always_preview,
        resource_version: 1,
    },
    Route {
        name: "distributedtask/pools",
        area: "distributedtask",
        resource: "pools",
        template: "_apis/distributedtask/pools/{poolId}",
        id: "a8c47e17-4d56-4a56-92bb-de7ea7dc65be",
        released: core,
        resource_version: 1,
    },
];

fn text((a, b): Version) -> String {
    format!("{a}.{b}")
}

/// The `OPTIONS /_apis` answer of a server at `server`: every route's location.
pub fn locations(server: Version) -> Value {
    let value: Vec<Value> = ROUTES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "area": r.area,
                "resourceName": r.resource,
                "routeTemplate": r.template,
                "resourceVersion": r.resource_version,
                "minVersion": "1.0",
                "maxVersion": text(server),
                "releasedVersion": text((r.released)(server).unwrap_or((0, 0))),
            })
        })
        .collect();
    json!({ "count": value.len(), "value": value })
}

/// Why a server at `server` refuses `requested` on the route named `route`, as (type key,
/// message), or `None` when it serves it.
pub fn refusal(server: Version, route: &str, requested: &str) -> Option<(&'static str, String)> {
    let (number, preview) = match requested.split_once("-preview") {
        Some((n, _)) => (n, true),
        None => (requested, false),
    };
    let Some(version) = number
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
    else {
        return Some((
            "VssInvalidApiVersionException",
            format!("The requested REST API version of {requested} is not in a valid format."),
        ));
    };
    if version > server {
        return Some((
            "VssVersionOutOfRangeException",
            format!(
                "The requested REST API version of {number} is out of range for this server. The latest REST API version this server supports is {}.",
                text(server)
            ),
        ));
    }
    let released = ROUTES
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(route))
        .map_or(Some(server), |r| (r.released)(server));
    if !preview && released.is_none_or(|r| version > r) {
        return Some((
            "VssInvalidPreviewVersionException",
            format!(
                "The requested version \"{number}\" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: \"{number}-preview\""
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_6_1_server_serves_every_route_as_preview_at_6_1() {
        assert!(refusal((6, 1), "projects", "6.1").is_some());
        assert!(refusal((6, 1), "projects", "6.0").is_none());
        assert!(refusal((6, 1), "projects", "6.1-preview.4").is_none());
        assert!(refusal((6, 1), "distributedtask/variablegroups", "6.0").is_some());
        let (key, message) = refusal((6, 1), "projects", "7.1").unwrap();
        assert_eq!(key, "VssVersionOutOfRangeException");
        assert!(
            message.ends_with("this server supports is 6.1."),
            "{message}"
        );
        assert!(refusal((7, 0), "projects", "7.0").is_none());
        assert!(refusal((7, 0), "distributedtask/environments", "7.0").is_none());
        assert!(refusal((7, 0), "distributedtask/securefiles", "7.0").is_some());
    }
}
