//! Identity and access: users with their access level and last access, groups, the effective
//! members of the administrators groups, the permissions of repositories and pipelines, and what
//! of it could be read.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::ColumnType::{Boolean, Int64, TimestampUtc, Utf8};
use super::{
    Batches, RowContext, TableBuilder, TableDef, TableError, TableRole, Value, Watch, optional,
    required,
};
use crate::ado::identity::{
    GraphSubject, Membership, UserEntitlement, acl_identity_kind, descriptor_type, group_acl_key,
    group_sid, is_group_descriptor,
};
use crate::crawl::OrganizationInventory;
use crate::crawl::identity::{IdentityResources, is_expanded, well_known};

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[
    &USERS,
    &GROUPS,
    &GROUP_MEMBERS,
    &PERMISSIONS,
    &IDENTITY_COVERAGE,
];

pub const USERS: TableDef = TableDef {
    name: "users",
    doc: "One row per user of the organization (Graph users, joined with user entitlements by descriptor): people, guests, service identities, applications and managed identities.",
    project_scoped: false,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["descriptor"],
        name: "principal_name",
        attributes: &["access_level", "is_guest"],
    }),
    columns: &[
        required(
            "descriptor",
            Utf8,
            "Subject descriptor (`aad.…`, `msa.…`, `svc.…`, `aadsp.…`) exactly as returned (its base64 part is case-sensitive): the key memberships use.",
        ),
        required(
            "descriptor_type",
            Utf8,
            "The descriptor's type: `aad` (Entra user), `msa` (Microsoft account), `svc` (build or service identity), `aadsp` (Entra application or managed identity), …",
        ),
        optional(
            "storage_key",
            Utf8,
            "The entitlement id (storage key), when the user has an entitlement.",
        ),
        optional(
            "principal_name",
            Utf8,
            "Sign-in name (UPN or e-mail) as the service returns it.",
        ),
        optional("display_name", Utf8, "Display name."),
        optional("origin", Utf8, "`aad`, `msa`, `vsts`, `ad`, …"),
        optional(
            "meta_type",
            Utf8,
            "`member`, `guest`, `application`, `managedIdentity`, … as returned (absent for an invited guest).",
        ),
        required(
            "is_guest",
            Boolean,
            "An external (B2B) guest: metaType `guest`, or `#EXT#` in the Entra alias.",
        ),
        required(
            "is_service",
            Boolean,
            "Not a person: a build or service identity, an application or a managed identity.",
        ),
        required(
            "in_entitlements",
            Boolean,
            "The user has an entitlement (access level) in the organization.",
        ),
        optional(
            "access_level",
            Utf8,
            "The access level's display name (`Basic`, `Stakeholder`, `Visual Studio Enterprise subscription`, …).",
        ),
        optional(
            "license_type",
            Utf8,
            "`accountLicenseType`: `express` (Basic), `stakeholder`, `advanced`, `professional`, `earlyAdopter`, `none`.",
        ),
        optional(
            "licensing_source",
            Utf8,
            "`account`, `msdn` (Visual Studio subscription), `profile`, `auto`, `trial`, `none`.",
        ),
        optional(
            "license_status",
            Utf8,
            "`active`, `pending`, `disabled`, `deleted`, `expired`, …",
        ),
        optional(
            "paid_access",
            Boolean,
            "The access level costs a licence and grants more than Stakeholder (Basic, Basic + Test Plans, a Visual Studio subscription); null without an entitlement.",
        ),
        optional(
            "date_created",
            TimestampUtc,
            "When the user was added to the organization.",
        ),
        optional(
            "last_accessed_at",
            TimestampUtc,
            "Last sign-in to the organization; null when never signed in or unknown.",
        ),
        optional(
            "never_signed_in",
            Boolean,
            "The service reports no sign-in ever (`0001-01-01`); null without an entitlement.",
        ),
        optional(
            "days_since_last_access",
            Int64,
            "Whole days from the last sign-in to the crawl; null when never signed in or unknown.",
        ),
        optional(
            "days_since_created",
            Int64,
            "Whole days from the user's addition to the crawl.",
        ),
    ],
};

pub const GROUPS: TableDef = TableDef {
    name: "groups",
    doc: "One row per security group of the organization (Graph groups): organization and project groups, teams, and Entra groups added to the organization.",
    project_scoped: false,
    role: TableRole::Inventory,
    watch: None,
    columns: &[
        required(
            "descriptor",
            Utf8,
            "Subject descriptor (`vssgp.…`, `aadgp.…`) exactly as returned.",
        ),
        optional(
            "sid",
            Utf8,
            "Security identifier of an Azure DevOps group (decoded from its descriptor); access control entries name groups by it.",
        ),
        optional("principal_name", Utf8, "`[scope]\\name`."),
        optional("display_name", Utf8, "Display name."),
        optional("origin", Utf8, "`vsts` (Azure DevOps) or `aad` (Entra)."),
        required("scope", Utf8, "`organization`, `project` or `entra`."),
        optional("project_id", Utf8, "The project of a project group."),
        optional("project", Utf8, "The project's name."),
        optional(
            "well_known",
            Utf8,
            "Which built-in group it is: `project_collection_administrators`, `project_collection_build_administrators`, `project_collection_service_accounts`, `project_collection_valid_users`, `project_administrators`, `build_administrators`, `endpoint_administrators`, `release_administrators`, `contributors`, `readers`, `project_valid_users`; null for others.",
        ),
        required(
            "members_status",
            Utf8,
            "Whether its effective members are in `group_members`: `read`, `not_evaluated` (the group or a group nested in it could not be read) or `not_expanded` (not an administrators group).",
        ),
    ],
};

pub const GROUP_MEMBERS: TableDef = TableDef {
    name: "group_members",
    doc: "One row per effective member of each administrators group (the administrators groups of the organization and of each project): direct members and members of nested groups, Entra groups included as far as Azure DevOps knows them, cycles cut.",
    project_scoped: false,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["group_descriptor", "member_descriptor"],
        name: "member",
        attributes: &[],
    }),
    columns: &[
        required("group_descriptor", Utf8, "The group's descriptor."),
        optional("group_name", Utf8, "The group's `[scope]\\name`."),
        required(
            "well_known",
            Utf8,
            "Which administrators group (see `groups.well_known`).",
        ),
        optional("project_id", Utf8, "The project of a project group."),
        optional("project", Utf8, "The project's name."),
        required("member_descriptor", Utf8, "The member's descriptor."),
        optional(
            "member",
            Utf8,
            "The member's principal name (or display name).",
        ),
        required("member_kind", Utf8, "`user` or `group`."),
        required(
            "direct",
            Boolean,
            "A direct member (else through a nested group).",
        ),
        required(
            "depth",
            Int64,
            "1 for a direct member, 2 for a member of a member group, …",
        ),
        optional(
            "via_descriptor",
            Utf8,
            "The nested group the member came through; null when direct.",
        ),
        required(
            "through_entra_group",
            Boolean,
            "The path passes through an Entra group, whose members Azure DevOps knows only once they have signed in.",
        ),
    ],
};

pub const PERMISSIONS: TableDef = TableDef {
    name: "permissions",
    doc: "One row per (access control list, identity, action) allowed or denied in the Git repositories and Build namespaces: explicit and inherited (effective) permissions as the service computes them on each token.",
    project_scoped: false,
    role: TableRole::Inventory,
    watch: None,
    columns: &[
        required("namespace", Utf8, "`git_repositories` or `build`."),
        required(
            "token",
            Utf8,
            "The secured resource: `repoV2/{project}[/{repository}[/refs/…]]` (Git) or `{project}[/{folder…}/{definition}]` (Build).",
        ),
        optional(
            "project_id",
            Utf8,
            "The project the token is in (lower case).",
        ),
        optional("project", Utf8, "The project's name."),
        optional(
            "resource_id",
            Utf8,
            "The repository or pipeline definition the token names; null for the project (or organization) level.",
        ),
        required(
            "inherit_permissions",
            Boolean,
            "The list inherits its parent's permissions.",
        ),
        required(
            "identity_descriptor",
            Utf8,
            "The identity of the entry as access control lists name it (`Microsoft.TeamFoundation.Identity;S-1-9-…`), lower case.",
        ),
        required(
            "identity_kind",
            Utf8,
            "`group`, `build_service`, `service`, `user`, `service_principal` or `other`.",
        ),
        optional(
            "group_descriptor",
            Utf8,
            "The group's subject descriptor, when the identity is a known group.",
        ),
        optional(
            "identity_name",
            Utf8,
            "The group's `[scope]\\name`, when known.",
        ),
        optional(
            "well_known",
            Utf8,
            "Which built-in group, if any (see `groups.well_known`).",
        ),
        required(
            "action",
            Utf8,
            "The permission, e.g. `ForcePush`, `PullRequestBypassPolicy`, `EditBuildDefinition`.",
        ),
        required(
            "allowed",
            Boolean,
            "Allowed, explicitly or by inheritance, and not denied.",
        ),
        required("denied", Boolean, "Denied, explicitly or by inheritance."),
    ],
};

pub const IDENTITY_COVERAGE: TableDef = TableDef {
    name: "identity_coverage",
    doc: "One row per identity resource kind of each organization: whether it was read, not evaluated (the identity may not read it, e.g. a PAT without the Graph scope) or not available (Azure DevOps Server).",
    project_scoped: false,
    role: TableRole::CrawlGaps,
    watch: None,
    columns: &[
        required(
            "resource_kind",
            Utf8,
            "`users`, `groups`, `user_entitlements`, `group_members`, `git_repositories_permissions` or `build_permissions`.",
        ),
        super::COVERAGE_STATUS,
        super::COVERAGE_REASON,
    ],
};

/// Parses an API timestamp to microseconds; the year-1 "never" date becomes null.
fn micros(text: Option<&str>) -> Option<i64> {
    let t = chrono::DateTime::parse_from_rfc3339(text?).ok()?;
    (chrono::Datelike::year(&t) > 1).then(|| t.timestamp_micros())
}

/// Whether the service says "never": a year-1 timestamp (`0001-01-01T00:00:00Z`, or
/// `0001-01-01T08:00:00Z` in one of Microsoft's examples).
fn is_never(text: Option<&str>) -> bool {
    text.is_some_and(|t| t.starts_with("0001-"))
}

/// Whole days from `micros` to the crawl; null for a date after it.
fn days_before(crawled_at: chrono::DateTime<chrono::Utc>, micros: Option<i64>) -> Option<i64> {
    let then = chrono::DateTime::from_timestamp_micros(micros?)?;
    let days = crawled_at.signed_duration_since(then).num_days();
    (days >= 0).then_some(days)
}

/// Record batches of the identity tables for one organization.
pub fn build(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    if !org.has_organization_rows() {
        return Ok(Vec::new());
    }
    let ctx = RowContext {
        run_id,
        connector: &org.connector,
        organization: &org.organization,
        project: None,
    };
    let identity = &org.identity;
    let project_names: HashMap<String, &str> = org
        .projects
        .iter()
        .map(|p| (p.item.id.to_ascii_lowercase(), p.item.name.as_str()))
        .collect();
    let project_name = |id: Option<&str>| id.and_then(|id| project_names.get(id).copied());

    let users = users(&ctx, org, identity)?;
    let subjects = subject_names(identity);
    let mut batches = vec![users];
    batches.extend(groups_and_members(
        &ctx,
        identity,
        &subjects,
        &project_name,
    )?);
    batches.push(permissions(&ctx, identity, &project_name)?);
    batches.push(coverage(&ctx, identity)?);
    Ok(batches)
}

/// Principal names (or display names) of every user and group, by lower-case descriptor.
fn subject_names(identity: &IdentityResources) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for list in [&identity.users, &identity.groups] {
        for s in list.as_read().into_iter().flatten() {
            let name = s
                .item
                .principal_name
                .clone()
                .or_else(|| s.item.display_name.clone())
                .unwrap_or_default();
            names.insert(s.item.descriptor.clone(), name);
        }
    }
    names
}

fn users(
    ctx: &RowContext<'_>,
    org: &OrganizationInventory,
    identity: &IdentityResources,
) -> Result<(&'static TableDef, arrow::record_batch::RecordBatch), TableError> {
    let mut builder = TableBuilder::new(&USERS);
    let entitlements: HashMap<String, &UserEntitlement> = identity
        .entitlements
        .as_read()
        .into_iter()
        .flatten()
        .map(|e| (e.item.user.descriptor.clone(), &e.item))
        .collect();
    // Graph users first, then entitled users Graph did not list (its list may lag).
    let mut subjects: BTreeMap<String, &GraphSubject> = BTreeMap::new();
    for u in identity.users.as_read().into_iter().flatten() {
        subjects.insert(u.item.descriptor.clone(), &u.item);
    }
    for (descriptor, e) in &entitlements {
        subjects.entry(descriptor.clone()).or_insert(&e.user);
    }
    for (descriptor, subject) in subjects {
        let entitlement = entitlements.get(&descriptor).copied();
        // The entitlement's copy of the subject carries metaType where Graph's may not.
        let guest = subject.is_guest() || entitlement.is_some_and(|e| e.user.is_guest());
        let service = subject.is_service() || entitlement.is_some_and(|e| e.user.is_service());
        let level = entitlement.and_then(|e| e.access_level.as_ref());
        let last = entitlement.and_then(|e| micros(e.last_accessed_date.as_deref()));
        let created = entitlement.and_then(|e| micros(e.date_created.as_deref()));
        builder.push(
            ctx,
            &[
                Value::Str(Some(&descriptor)),
                Value::Str(Some(&descriptor_type(&descriptor))),
                Value::Str(entitlement.and_then(|e| e.id.as_deref())),
                Value::Str(subject.principal_name.as_deref()),
                Value::Str(subject.display_name.as_deref()),
                Value::Str(subject.origin.as_deref()),
                Value::Str(
                    subject
                        .meta_type
                        .as_deref()
                        .or(entitlement.and_then(|e| e.user.meta_type.as_deref())),
                ),
                Value::Bool(Some(guest)),
                Value::Bool(Some(service)),
                Value::Bool(Some(entitlement.is_some())),
                Value::Str(level.and_then(|l| l.license_display_name.as_deref())),
                Value::Str(level.and_then(|l| l.account_license_type.as_deref())),
                Value::Str(level.and_then(|l| l.licensing_source.as_deref())),
                Value::Str(level.and_then(|l| l.status.as_deref())),
                Value::Bool(level.map(|l| l.is_paid())),
                Value::Timestamp(created),
                Value::Timestamp(last),
                Value::Bool(entitlement.map(|e| is_never(e.last_accessed_date.as_deref()))),
                Value::Int(days_before(org.crawled_at, last)),
                Value::Int(days_before(org.crawled_at, created)),
            ],
        )?;
    }
    builder.done()
}

/// The `groups` rows and the effective members of each administrators group.
fn groups_and_members<'a>(
    ctx: &RowContext<'_>,
    identity: &IdentityResources,
    names: &HashMap<String, String>,
    project_name: &impl Fn(Option<&str>) -> Option<&'a str>,
) -> Result<Batches, TableError> {
    let mut groups = TableBuilder::new(&GROUPS);
    let mut members = TableBuilder::new(&GROUP_MEMBERS);
    let read_members = identity.members.as_read();
    for g in identity.groups.as_read().into_iter().flatten() {
        let group = &g.item;
        let descriptor = group.descriptor.clone();
        let known = well_known(group);
        let project_id = group.project_id();
        let project = project_name(project_id.as_deref());
        let scope = if descriptor_type(&descriptor) == "aadgp" {
            "entra"
        } else if project_id.is_some() {
            "project"
        } else {
            "organization"
        };
        let expanded = known.filter(|_| is_expanded(group, |p| project_name(Some(p)).is_some()));
        let effective = match (expanded, read_members) {
            (Some(_), Some(read)) => effective_members(&descriptor, read),
            _ => None,
        };
        let status = match (expanded, &effective) {
            (None, _) => "not_expanded",
            (Some(_), Some(m)) if m.complete => "read",
            (Some(_), _) => "not_evaluated",
        };
        groups.push(
            ctx,
            &[
                Value::Str(Some(&descriptor)),
                Value::Str(group_sid(&descriptor).as_deref()),
                Value::Str(group.principal_name.as_deref()),
                Value::Str(group.display_name.as_deref()),
                Value::Str(group.origin.as_deref()),
                Value::Str(Some(scope)),
                Value::Str(project_id.as_deref()),
                Value::Str(project),
                Value::Str(known),
                Value::Str(Some(status)),
            ],
        )?;
        let (Some(known), Some(effective)) = (expanded, effective) else {
            continue;
        };
        for m in effective.members {
            members.push(
                ctx,
                &[
                    Value::Str(Some(&descriptor)),
                    Value::Str(group.principal_name.as_deref()),
                    Value::Str(Some(known)),
                    Value::Str(project_id.as_deref()),
                    Value::Str(project),
                    Value::Str(Some(&m.descriptor)),
                    Value::Str(names.get(&m.descriptor).map(String::as_str)),
                    Value::Str(Some(if is_group_descriptor(&m.descriptor) {
                        "group"
                    } else {
                        "user"
                    })),
                    Value::Bool(Some(m.depth == 1)),
                    Value::Int(Some(m.depth)),
                    Value::Str(m.via.as_deref()),
                    Value::Bool(Some(m.through_entra_group)),
                ],
            )?;
        }
    }
    Ok(vec![groups.done()?, members.done()?])
}

/// One effective member of a group.
struct EffectiveMember {
    descriptor: String,
    depth: i64,
    via: Option<String>,
    through_entra_group: bool,
}

struct Effective {
    members: Vec<EffectiveMember>,
    /// Every group on the way could be read.
    complete: bool,
}

/// Walks a group's members breadth first (shortest path wins; a subject is listed once, so
/// cycles end). `None` when the group itself was not read.
fn effective_members(
    root: &str,
    read: &HashMap<String, Result<Vec<Membership>, String>>,
) -> Option<Effective> {
    read.get(root)?;
    let mut members = Vec::new();
    let mut complete = true;
    let mut seen = std::collections::HashSet::from([root.to_string()]);
    // (group to open, its depth, the first nested group on the path, through Entra)
    let mut queue = VecDeque::from([(root.to_string(), 0_i64, None::<String>, false)]);
    while let Some((group, depth, via, entra)) = queue.pop_front() {
        let edges = match read.get(&group) {
            Some(Ok(edges)) => edges,
            _ => {
                complete = false;
                continue;
            }
        };
        for edge in edges {
            let member = edge.member_descriptor.clone();
            if !seen.insert(member.clone()) {
                continue;
            }
            let depth = depth.saturating_add(1);
            members.push(EffectiveMember {
                descriptor: member.clone(),
                depth,
                via: via.clone(),
                through_entra_group: entra,
            });
            if is_group_descriptor(&member) {
                let through = entra || descriptor_type(&member) == "aadgp";
                let via = via.clone().or_else(|| Some(member.clone()));
                queue.push_back((member, depth, via, through));
            }
        }
    }
    Some(Effective { members, complete })
}

fn permissions<'a>(
    ctx: &RowContext<'_>,
    identity: &IdentityResources,
    project_name: &impl Fn(Option<&str>) -> Option<&'a str>,
) -> Result<(&'static TableDef, arrow::record_batch::RecordBatch), TableError> {
    let mut builder = TableBuilder::new(&PERMISSIONS);
    // Groups by the key access control entries use.
    let groups: HashMap<String, &GraphSubject> = identity
        .groups
        .as_read()
        .into_iter()
        .flatten()
        .filter_map(|g| group_acl_key(&g.item.descriptor).map(|k| (k, &g.item)))
        .collect();
    for (namespace, acls) in &identity.acls {
        for acl in acls.as_read().into_iter().flatten() {
            let acl = &acl.item;
            let (project_id, resource_id) = namespace.token_scope(&acl.token);
            let project = project_name(project_id.as_deref());
            if project_id.is_some() && project.is_none() {
                continue; // a project the connector leaves out
            }
            for ace in acl.aces_dictionary.values() {
                let identity_descriptor = ace.descriptor.to_ascii_lowercase();
                let group = groups.get(&identity_descriptor).copied();
                let group_descriptor = group.map(|g| g.descriptor.clone());
                let (allowed, denied) = (ace.allowed_bits(), ace.denied_bits());
                for (bit, action) in namespace.actions {
                    let (is_allowed, is_denied) = (allowed & bit != 0, denied & bit != 0);
                    if !is_allowed && !is_denied {
                        continue;
                    }
                    builder.push(
                        ctx,
                        &[
                            Value::Str(Some(namespace.name)),
                            Value::Str(Some(&acl.token)),
                            Value::Str(project_id.as_deref()),
                            Value::Str(project),
                            Value::Str(resource_id.as_deref()),
                            Value::Bool(Some(acl.inherit_permissions)),
                            Value::Str(Some(&identity_descriptor)),
                            Value::Str(Some(acl_identity_kind(&identity_descriptor))),
                            Value::Str(group_descriptor.as_deref()),
                            Value::Str(group.and_then(|g| g.principal_name.as_deref())),
                            Value::Str(group.and_then(well_known)),
                            Value::Str(Some(action)),
                            Value::Bool(Some(is_allowed)),
                            Value::Bool(Some(is_denied)),
                        ],
                    )?;
                }
            }
        }
    }
    builder.done()
}

fn coverage(
    ctx: &RowContext<'_>,
    identity: &IdentityResources,
) -> Result<(&'static TableDef, arrow::record_batch::RecordBatch), TableError> {
    let mut builder = TableBuilder::new(&IDENTITY_COVERAGE);
    let mut push = |kind: &str, status: &str, reason: Option<&str>| {
        builder.push(
            ctx,
            &[
                Value::Str(Some(kind)),
                Value::Str(Some(status)),
                Value::Str(reason),
            ],
        )
    };
    push("users", identity.users.status(), identity.users.reason())?;
    push("groups", identity.groups.status(), identity.groups.reason())?;
    push(
        "user_entitlements",
        identity.entitlements.status(),
        identity.entitlements.reason(),
    )?;
    push(
        "group_members",
        identity.members.status(),
        identity.members.reason(),
    )?;
    for (namespace, acls) in &identity.acls {
        let kind = format!("{}_permissions", namespace.name);
        push(&kind, acls.status(), acls.reason())?;
    }
    builder.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(container: &str, member: &str) -> Membership {
        Membership {
            container_descriptor: container.into(),
            member_descriptor: member.into(),
        }
    }

    #[test]
    fn effective_members_follow_nesting_cut_cycles_and_note_entra_groups() {
        let mut read = HashMap::new();
        read.insert(
            "vssgp.admins".to_string(),
            Ok(vec![
                edge("vssgp.admins", "aad.alice"),
                edge("vssgp.admins", "vssgp.nested"),
            ]),
        );
        read.insert(
            "vssgp.nested".to_string(),
            Ok(vec![
                edge("vssgp.nested", "aadgp.entra"),
                edge("vssgp.nested", "vssgp.admins"),
                edge("vssgp.nested", "aad.alice"),
            ]),
        );
        read.insert(
            "aadgp.entra".to_string(),
            Ok(vec![edge("aadgp.entra", "aad.bob")]),
        );
        let effective = effective_members("vssgp.admins", &read).unwrap();
        assert!(effective.complete);
        let got: Vec<(&str, i64, Option<&str>, bool)> = effective
            .members
            .iter()
            .map(|m| {
                (
                    m.descriptor.as_str(),
                    m.depth,
                    m.via.as_deref(),
                    m.through_entra_group,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("aad.alice", 1, None, false),
                ("vssgp.nested", 1, None, false),
                ("aadgp.entra", 2, Some("vssgp.nested"), false),
                ("aad.bob", 3, Some("vssgp.nested"), true),
            ]
        );
        read.insert("aadgp.entra".to_string(), Err("403".into()));
        assert!(!effective_members("vssgp.admins", &read).unwrap().complete);
        assert!(effective_members("vssgp.unknown", &read).is_none());
    }

    #[test]
    fn never_is_null_and_days_are_whole() {
        assert_eq!(micros(Some("0001-01-01T00:00:00Z")), None);
        assert!(is_never(Some("0001-01-01T08:00:00Z")));
        let crawled = chrono::DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let then = micros(Some("2026-08-01T12:00:00Z"));
        assert_eq!(days_before(crawled, then), Some(116));
        assert_eq!(
            days_before(crawled, micros(Some("2027-01-01T00:00:00Z"))),
            None
        );
    }
}
