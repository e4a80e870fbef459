//! The simulated routes of one area: build definitions, the project's pipeline general settings and the organization's (the portal's data provider).

use super::*;

/// Answers a route of this area; any other path is the service's plain-text 404.
pub(super) fn route(req: &RouteRequest<'_>) -> Response {
    let state = req.state;
    let estate = &req.state.estate;
    let body = req.body;
    let param = |name: &str| req.param(name);
    let page_size = |top: Option<&str>| req.page_size(top);
    match req.segs.as_slice() {
        [org, project, "_apis", "build", "definitions"] => {
            let (org, _, project) = or_respond!(org_and_project(estate, org, project));
            // The real token is a timestamp, ambiguous without an order (InvalidDefinitionQueryException).
            let ordered = param("queryOrder").is_some_and(|o| {
                DEFINITION_QUERY_ORDERS
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(o))
            });
            if param("continuationToken").is_some() && !ordered {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Continuation token timestamp without query order is ambiguous.",
                    "InvalidDefinitionQueryException",
                );
            }
            let all = param("includeAllProperties").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let (page, next) = page_from_id(
                &project.pipelines.pipelines,
                |p| p.id,
                param("continuationToken"),
                page_size(param("$top")),
            );
            let page = page
                .into_iter()
                .map(|p| pipeline_json(org, project, p, all, state.settings.server_mode))
                .collect();
            ok(envelope(page), next)
        }
        [org, project, "_apis", "build", "generalsettings"] => {
            let (_, _, project) = or_respond!(org_and_project(estate, org, project));
            let g = project.pipelines.settings;
            ok(general_settings_json(&g), None)
        }
        [org, "_apis", contribution, query]
            if contribution.eq_ignore_ascii_case("Contribution")
                && query.eq_ignore_ascii_case("HierarchyQuery")
                && !state.settings.server_mode =>
        {
            let org = or_respond!(organization(estate, org));
            let wanted = serde_json::from_slice::<Value>(body).unwrap_or_default();
            let provider = "ms.vss-build-web.pipelines-org-settings-data-provider";
            let asked = wanted["contributionIds"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| i.as_str() == Some(provider)));
            let mut providers = serde_json::Map::new();
            if asked {
                providers.insert(
                    provider.into(),
                    general_settings_json(&org.pipeline_settings),
                );
            }
            ok(
                json!({ "dataProviderSharedData": {}, "dataProviders": providers }),
                None,
            )
        }
        _ => not_found_route(req.parts.uri.path()),
    }
}
