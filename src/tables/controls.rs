//! Controls around resources: checks and approvals on protected resources (project), and the
//! organization's security policies.

use super::ColumnType::{Boolean, Int64, Utf8};
use super::{
    Batches, RowContext, TableBuilder, TableDef, TableError, TableRole, Value, Watch, optional,
    required,
};
use crate::crawl::{OrganizationInventory, Outcome};

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[&CHECKS, &ORGANIZATION_POLICIES];

pub const CHECKS: TableDef = TableDef {
    name: "checks",
    doc: "One row per check or approval configured on a protected resource of a project: service connection, environment, agent queue, variable group, secure file or repository. A service connection shared with several projects has its checks once, under its owning project (they are the connection's; each project it is shared with lists them again).",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["check_id"],
        name: "check_type",
        attributes: &[
            "check_type_id",
            "resource_type",
            "resource_id",
            "requester_cannot_be_approver",
            "min_required_approvers",
        ],
    }),
    columns: &[
        required("check_id", Int64, "Check configuration id."),
        required(
            "check_type_id",
            Utf8,
            "Check type GUID: `8c6f20a7-a545-4486-9777-f762fafe0d4d` = Approval, `fe1de3ee-a436-41b4-bb20-f6eb4cb879a7` = Task Check (branch control, business hours, Azure function, …).",
        ),
        optional(
            "check_type",
            Utf8,
            "Check type name, e.g. `Approval`, `Task Check`, `ExclusiveLock`.",
        ),
        required(
            "resource_type",
            Utf8,
            "`endpoint` (service connection), `environment`, `queue` (agent queue), `variablegroup`, `securefile` or `repository`, as the service spells it (compare with `LOWER`).",
        ),
        required(
            "resource_id",
            Utf8,
            "Id of the protected resource as text: service connection or secure file GUID, environment, queue or variable group id, `{projectId}.{repositoryId}` for a repository.",
        ),
        optional("resource_name", Utf8, "Name of the protected resource."),
        optional(
            "timeout_minutes",
            Int64,
            "How long the check may take before the stage fails.",
        ),
        optional(
            "requester_cannot_be_approver",
            Boolean,
            "Approvals: `settings.requesterCannotBeApprover` (the person who queued the run may not approve it); null for other checks.",
        ),
        optional(
            "min_required_approvers",
            Int64,
            "Approvals: `settings.minRequiredApprovers`; null for other checks.",
        ),
        required(
            "raw",
            Utf8,
            "The check configuration's JSON as the API returned it.",
        ),
    ],
};

pub const ORGANIZATION_POLICIES: TableDef = TableDef {
    name: "organization_policies",
    doc: "One row per organization security policy the crawl asks for (public projects, third-party OAuth, SSH, audit log, guest access), read or not.",
    project_scoped: false,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["policy"],
        name: "policy",
        attributes: &["status", "value"],
    }),
    columns: &[
        required(
            "policy",
            Utf8,
            "Policy name, e.g. `Policy.AllowAnonymousAccess` (allow public projects).",
        ),
        required(
            "status",
            Utf8,
            "`read`, `not_evaluated` (the identity may not read it) or `not_available` (no such API here).",
        ),
        optional(
            "value",
            Boolean,
            "The policy's value when read (true = the policy's name holds).",
        ),
        optional("reason", Utf8, "Why the policy could not be read."),
        optional("raw", Utf8, "The policy's JSON as the API returned it."),
    ],
};

/// Record batches of the checks and organization policies tables for one organization.
pub fn build(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    let owners = super::library::owning_projects(org);
    let mut checks = TableBuilder::new(&CHECKS);
    for project in &org.libraries {
        let ctx = RowContext::of_project(run_id, org, project);
        for c in &project.controls.checks {
            let check = &c.item;
            // A shared connection's checks, once: under its owning project.
            let shared_in = check
                .resource
                .resource_type
                .eq_ignore_ascii_case("endpoint")
                && owners
                    .get(check.resource.id.to_ascii_lowercase().as_str())
                    .is_some_and(|owner| *owner != project.project_id.as_str());
            if shared_in {
                continue;
            }
            checks.push(
                &ctx,
                &[
                    Value::Int(Some(check.id)),
                    Value::Str(Some(&check.check_type.id)),
                    Value::Str(check.check_type.name.as_deref()),
                    Value::Str(Some(&check.resource.resource_type)),
                    Value::Str(Some(&check.resource.id)),
                    Value::Str(check.resource.name.as_deref()),
                    Value::Int(check.timeout),
                    Value::Bool(
                        check
                            .settings
                            .as_ref()
                            .and_then(|s| s.get("requesterCannotBeApprover"))
                            .and_then(|v| v.as_bool()),
                    ),
                    Value::Int(
                        check
                            .settings
                            .as_ref()
                            .and_then(|s| s.get("minRequiredApprovers"))
                            .and_then(|v| v.as_i64()),
                    ),
                    Value::Str(Some(&c.raw)),
                ],
            )?;
        }
    }
    let mut policies = TableBuilder::new(&ORGANIZATION_POLICIES);
    let ctx = RowContext {
        run_id,
        connector: &org.connector,
        organization: &org.organization,
        project: None,
    };
    for p in &org.organization_policies {
        let row = match &p.value {
            Outcome::Read(parsed) => [
                Value::Str(Some(p.name)),
                Value::Str(Some(if parsed.item.is_some() {
                    "read"
                } else {
                    "not_evaluated"
                })),
                Value::Bool(parsed.item),
                Value::Str(parsed.item.is_none().then_some("the answer holds no value")),
                Value::Str(Some(&parsed.raw)),
            ],
            Outcome::NotEvaluated(reason) | Outcome::NotAvailable(reason) => [
                Value::Str(Some(p.name)),
                Value::Str(Some(p.value.status())),
                Value::Bool(None),
                Value::Str(Some(reason)),
                Value::Str(None),
            ],
        };
        policies.push(&ctx, &row)?;
    }
    Ok(vec![checks.done()?, policies.done()?])
}
