//! The simulated routes of one area: identity and access. Graph users, groups and memberships
//! (paged by the `x-ms-continuationtoken` header), user entitlements (paged by a
//! `continuationToken` in the body, with both `items` and `members` as the live service returns
//! them at 5.0-preview), and access control lists. Routes match in any case, as the service's do.

use base64::Engine as _;

use super::*;
use crate::identity::{BUILD_NAMESPACE, GIT_NAMESPACE, SimAcl, SimGroup, SimUser};

/// Answers a route of this area; any other path is the service's plain-text 404.
pub(super) fn route(req: &RouteRequest<'_>) -> Response {
    let estate = &req.state.estate;
    if req.state.settings.server_mode {
        return not_found_route(req.parts.uri.path());
    }
    let lower: Vec<String> = req.segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let Some(org_name) = req.segs.first() else {
        return not_found_route(req.parts.uri.path());
    };
    let org = or_respond!(organization(estate, org_name));
    let identity = &org.identity;
    let base = format!("https://vssps.dev.azure.com/{}", org.name);
    let page_size = req.page_size(None);
    match lower.as_slice() {
        [_, "_apis", "graph", "users"] => {
            let users: Vec<Value> = identity
                .users
                .iter()
                .filter(|u| u.in_graph)
                .map(|u| user_json(u, &base))
                .collect();
            header_page(users, req.param("continuationToken"), page_size)
        }
        [_, "_apis", "graph", "groups"] => {
            let groups: Vec<Value> = identity
                .groups
                .iter()
                .map(|g| group_json(g, org, &base))
                .collect();
            header_page(groups, req.param("continuationToken"), page_size)
        }
        [_, "_apis", "graph", "memberships", _] => {
            let subject = req.segs[4];
            let down = req
                .param("direction")
                .is_some_and(|d| d.eq_ignore_ascii_case("down"));
            let edge = |container: &str, member: &str| {
                json!({
                    "containerDescriptor": container,
                    "memberDescriptor": member,
                    "_links": {
                        "container": { "href": format!("{base}/_apis/Graph/Groups/{container}") },
                        "member": { "href": format!("{base}/_apis/Graph/Users/{member}") }
                    }
                })
            };
            let edges: Vec<Value> = if down {
                match identity.group(subject) {
                    Some(g) => g.members.iter().map(|m| edge(&g.descriptor, m)).collect(),
                    None => return membership_not_found(subject),
                }
            } else {
                if identity.group(subject).is_none() && identity.user(subject).is_none() {
                    return membership_not_found(subject);
                }
                identity
                    .groups
                    .iter()
                    .filter(|g| g.members.iter().any(|m| m == subject))
                    .map(|g| edge(&g.descriptor, subject))
                    .collect()
            };
            ok(json!({ "count": edges.len(), "value": edges }), None)
        }
        [_, "_apis", "userentitlements"] => {
            let entitled: Vec<&SimUser> = identity.users.iter().filter(|u| u.entitled).collect();
            let from = req
                .param("continuationToken")
                .and_then(decode_offset)
                .unwrap_or(0);
            let page: Vec<Value> = entitled
                .iter()
                .skip(from)
                .take(page_size)
                .map(|u| entitlement_json(u, &base))
                .collect();
            let next = from.saturating_add(page_size);
            let token = if next < entitled.len() {
                encode_offset(next)
            } else {
                String::new() // the last page carries an empty token, as recorded
            };
            ok(
                json!({
                    "items": page,
                    "members": page,
                    "continuationToken": token,
                    "totalCount": entitled.len()
                }),
                None,
            )
        }
        [_, "_apis", "accesscontrollists", namespace] => {
            let acls: &[SimAcl] = match *namespace {
                GIT_NAMESPACE => &identity.git_acls,
                BUILD_NAMESPACE => &identity.build_acls,
                _ => &[],
            };
            let token = req.param("token");
            let recurse = req
                .param("recurse")
                .is_some_and(|r| r.eq_ignore_ascii_case("true"));
            let extended = req
                .param("includeExtendedInfo")
                .is_some_and(|r| r.eq_ignore_ascii_case("true"));
            let value: Vec<Value> = acls
                .iter()
                .filter(|a| match token {
                    None => true,
                    Some(t) if recurse => a
                        .token
                        .to_ascii_lowercase()
                        .starts_with(&t.to_ascii_lowercase()),
                    Some(t) => a.token.eq_ignore_ascii_case(t),
                })
                .map(|a| acl_json(a, extended))
                .collect();
            ok(json!({ "count": value.len(), "value": value }), None)
        }
        _ => not_found_route(req.parts.uri.path()),
    }
}

/// A page of a Graph list: the token (opaque, base64 of the next offset) in the header.
fn header_page(items: Vec<Value>, token: Option<&str>, size: usize) -> Response {
    let from = token.and_then(decode_offset).unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(from).take(size).cloned().collect();
    let next = from.saturating_add(size);
    let continuation = (next < items.len()).then(|| encode_offset(next));
    ok(json!({ "count": page.len(), "value": page }), continuation)
}

fn encode_offset(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("+RID:~sim#RT:{offset}#TRC:100"))
}

fn decode_offset(token: &str) -> Option<usize> {
    let text = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(text).ok()?;
    text.split('#').nth(1)?.strip_prefix("RT:")?.parse().ok()
}

fn membership_not_found(subject: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("VS403324: The subject {subject} could not be found (simulated)."),
        "GraphSubjectNotFoundException",
    )
}

fn user_json(u: &SimUser, base: &str) -> Value {
    let mut v = json!({
        "subjectKind": "user",
        "domain": if u.origin == "vsts" { "Build" } else { "72f988bf-86f1-41af-91ab-2d7cd011db47" },
        "principalName": u.principal_name,
        "mailAddress": if u.service { String::new() } else { u.principal_name.clone() },
        "origin": u.origin,
        "originId": u.storage_key,
        "displayName": u.display_name,
        "_links": { "self": { "href": format!("{base}/_apis/Graph/Users/{}", u.descriptor) } },
        "url": format!("{base}/_apis/Graph/Users/{}", u.descriptor),
        "descriptor": u.descriptor
    });
    if let Some(m) = u.meta_type {
        v["metaType"] = json!(m);
    }
    if let Some(alias) = &u.directory_alias {
        v["directoryAlias"] = json!(alias);
    }
    v
}

fn group_json(g: &SimGroup, org: &SimOrganization, base: &str) -> Value {
    let domain = match (g.entra, g.project) {
        (true, _) => "72f988bf-86f1-41af-91ab-2d7cd011db47".to_string(),
        (false, Some(p)) => format!("vstfs:///Classification/TeamProject/{}", org.projects[p].id),
        (false, None) => format!("vstfs:///Framework/IdentityDomain/{}", org.id),
    };
    json!({
        "subjectKind": "group",
        "description": format!("Members of {} (simulated).", g.display_name),
        "domain": domain,
        "principalName": g.principal_name,
        "mailAddress": null,
        "origin": if g.entra { "aad" } else { "vsts" },
        "originId": g.descriptor.len().to_string(),
        "displayName": g.display_name,
        "_links": { "self": { "href": format!("{base}/_apis/Graph/Groups/{}", g.descriptor) } },
        "url": format!("{base}/_apis/Graph/Groups/{}", g.descriptor),
        "descriptor": g.descriptor
    })
}

fn date_days_ago(days: Option<u64>) -> String {
    match days {
        None => "0001-01-01T00:00:00Z".to_string(),
        Some(d) => {
            let then = chrono::Utc::now()
                - chrono::Duration::days(i64::try_from(d).unwrap_or(i64::MAX / 100_000));
            then.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        }
    }
}

fn entitlement_json(u: &SimUser, base: &str) -> Value {
    json!({
        "id": u.storage_key,
        "user": user_json(u, base),
        "accessLevel": {
            "licensingSource": u.licensing_source,
            "accountLicenseType": u.license,
            "msdnLicenseType": if u.licensing_source == "msdn" { "enterprise" } else { "none" },
            "gitHubLicenseType": "none",
            "licenseDisplayName": u.license_display,
            "status": "active",
            "statusMessage": "",
            "assignmentSource": "unknown"
        },
        "lastAccessedDate": date_days_ago(u.last_access_days),
        "dateCreated": date_days_ago(Some(u.created_days)),
        "projectEntitlements": [],
        "extensions": [],
        "groupAssignments": []
    })
}

fn acl_json(acl: &SimAcl, extended: bool) -> Value {
    let aces: serde_json::Map<String, Value> = acl
        .aces
        .iter()
        .map(|a| {
            let mut ace = json!({ "descriptor": a.descriptor, "allow": a.allow, "deny": a.deny });
            if extended {
                ace["extendedInfo"] = json!({
                    "effectiveAllow": a.effective_allow,
                    "effectiveDeny": a.deny
                });
            }
            (a.descriptor.clone(), ace)
        })
        .collect();
    json!({
        "inheritPermissions": true,
        "token": acl.token,
        "acesDictionary": aces,
        "includeExtendedInfo": extended
    })
}
