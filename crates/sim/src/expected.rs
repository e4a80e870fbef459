//! The findings a correct crawl and rule engine must report for a simulated estate, rule by
//! rule, computed from the simulator's own model (never from the dataset or the rules' SQL), so
//! a mistake in a rule, a table or the crawler shows up as a difference.
//!
//! Each function here restates one rule's definition (docs/rules.md) over the model.

use serde::Serialize;

use super::advsec::SimAdvSec;
use super::controls::CheckKind;
use super::estate::{
    BUILD_TYPE, COMMENTS_TYPE, Estate, MERGE_STRATEGY_TYPE, MIN_REVIEWERS_TYPE, SimOrganization,
    SimPolicy, SimProject, SimRepository, WORK_ITEMS_TYPE, scope_covers,
};
use super::library::AzureScope;
use super::pipelines::SimGeneralSettings;

/// One (rule, resource) the engine must report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedFinding {
    pub rule_id: String,
    pub organization: String,
    pub project: String,
    pub resource_id: String,
    pub resource_name: String,
    /// `fail` or `not_evaluated`.
    pub result: &'static str,
}

/// Names that look like credentials: the same words as the rules' pattern (lower case,
/// underscores ignored, so `API_KEY` and `apikey` both match).
fn secret_like(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('_', "");
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "privatekey",
        "connectionstring",
        "credential",
    ]
    .iter()
    .any(|w| name.contains(w))
}

struct Out<'a> {
    org: &'a SimOrganization,
    findings: Vec<ExpectedFinding>,
}

impl Out<'_> {
    fn push(&mut self, rule: &str, project: &str, id: String, name: &str, result: &'static str) {
        self.findings.push(ExpectedFinding {
            rule_id: rule.to_string(),
            organization: self.org.name.clone(),
            project: project.to_string(),
            resource_id: id,
            resource_name: name.to_string(),
            result,
        });
    }

    fn fail_if(&mut self, rule: &str, project: &str, id: &str, name: &str, failing: bool) {
        if failing {
            self.push(rule, project, id.to_string(), name, "fail");
        }
    }
}

/// Every expected finding of the estate; `server_mode` when it is served as Azure DevOps
/// Server (no Advanced Security, no organization policies).
pub fn expected_findings(estate: &Estate, server_mode: bool) -> Vec<ExpectedFinding> {
    let mut all = Vec::new();
    for org in &estate.organizations {
        let mut out = Out {
            org,
            findings: Vec::new(),
        };
        for (index, repo) in org.repositories.iter().enumerate() {
            let project = &org.projects[repo.project_index];
            branch_rules(&mut out, project, repo);
            if !repo.is_disabled {
                let unlisted = org.advsec[index].unlisted(index);
                advsec_rules(
                    &mut out,
                    project,
                    repo,
                    &org.advsec[index],
                    server_mode,
                    unlisted,
                );
            }
        }
        // Azure DevOps Server has no organization pipeline settings to read.
        let org_settings = if server_mode {
            Default::default()
        } else {
            org.pipeline_settings
        };
        for (p, project) in org.projects.iter().enumerate() {
            pipeline_rules(&mut out, project, &org_settings);
            resource_rules(&mut out, org, p, project);
            toxic_rules(&mut out, org, project, &org_settings);
            out.fail_if(
                "ADO-PROJ-001",
                &project.name,
                &project.id,
                &project.name,
                project.visibility == "public",
            );
        }
        let policies = org.controls.policies;
        for (rule, failing) in [
            ("ADO-ORG-001", policies.allow_public_projects),
            ("ADO-ORG-002", !policies.disallow_oauth),
            ("ADO-ORG-003", !policies.disallow_ssh),
            ("ADO-ORG-004", !policies.log_audit_events),
            ("ADO-ORG-005", !policies.disallow_guests),
            (
                "ADO-ORG-006",
                policies.value("Policy.EnforceAADConditionalAccess") == Some(false),
            ),
        ] {
            if server_mode {
                out.push(rule, "", org.name.clone(), &org.name, "not_evaluated");
            } else {
                out.fail_if(rule, "", &org.name, &org.name, failing);
            }
        }
        identity_rules(&mut out, org, server_mode);
        for pool in &org.pools {
            out.fail_if(
                "ADO-AQ-002",
                "",
                &pool.id.to_string(),
                &pool.name,
                !pool.is_hosted && pool.auto_provision(),
            );
        }
        all.extend(out.findings);
    }
    all.sort();
    all
}

fn branch_rules(out: &mut Out<'_>, project: &SimProject, repo: &SimRepository) {
    let Some(branch) = &repo.default_branch else {
        return;
    };
    if repo.is_disabled {
        return;
    }
    let covering: Vec<&SimPolicy> = project
        .policies
        .iter()
        .filter(|p| p.enabled && p.blocking)
        .filter(|p| p.scopes.iter().any(|s| scope_covers(s, &repo.id, branch)))
        .collect();
    let reviewers = || covering.iter().filter(|p| p.type_id == MIN_REVIEWERS_TYPE);
    let has = |type_id: &str| covering.iter().any(|p| p.type_id == type_id);
    // Rules about a minimum-reviewers policy's settings judge only covered repositories (one
    // without any is ADO-REPO-001's finding).
    let judged = reviewers().next().is_some();
    for (rule, passes) in [
        (
            "ADO-REPO-002",
            reviewers().any(|p| p.creator_vote_counts == Some(false)),
        ),
        (
            "ADO-REPO-003",
            reviewers().any(|p| {
                p.reset_on_source_push == Some(true)
                    || p.require_vote_on_each_iteration == Some(true)
            }),
        ),
        (
            "ADO-REPO-017",
            reviewers().any(|p| p.block_last_pusher_vote == Some(true)),
        ),
        (
            "ADO-REPO-018",
            reviewers().any(|p| p.allow_downvotes != Some(true)),
        ),
    ] {
        out.fail_if(rule, &project.name, &repo.id, &repo.name, judged && !passes);
    }
    for (rule, passes) in [
        (
            "ADO-REPO-001",
            reviewers().any(|p| p.min_approvers.unwrap_or(0) >= 2),
        ),
        ("ADO-REPO-004", !covering.is_empty()),
        ("ADO-REPO-005", has(BUILD_TYPE)),
        ("ADO-REPO-006", has(COMMENTS_TYPE)),
        ("ADO-REPO-007", has(WORK_ITEMS_TYPE)),
        ("ADO-REPO-008", has(MERGE_STRATEGY_TYPE)),
    ] {
        out.fail_if(rule, &project.name, &repo.id, &repo.name, !passes);
    }
}

fn advsec_rules(
    out: &mut Out<'_>,
    project: &SimProject,
    repo: &SimRepository,
    a: &SimAdvSec,
    server_mode: bool,
    unlisted: bool,
) {
    // Off or unknown: ADO-REPO-009 is the one finding; the feature rules judge what is on.
    if server_mode || unlisted {
        out.push(
            "ADO-REPO-009",
            &project.name,
            repo.id.clone(),
            &repo.name,
            "not_evaluated",
        );
        return;
    }
    let partial = a.code_security != a.secret_protection;
    for (rule, failing) in [
        ("ADO-REPO-009", !a.enabled()),
        ("ADO-REPO-010", a.secret_protection && !a.block_pushes),
        ("ADO-REPO-014", partial && !a.code_security),
        ("ADO-REPO-015", partial && !a.secret_protection),
    ] {
        out.fail_if(rule, &project.name, &repo.id, &repo.name, failing);
    }
    let open = |kind: &str, severe_only: bool| {
        a.alerts.iter().any(|x| {
            x.state == "active"
                && x.alert_type == kind
                && (!severe_only || matches!(x.severity, "high" | "critical"))
        })
    };
    // A published secret: an open secret alert in a public project (as ADO-REPO-011 judges it).
    if a.secret_protection && project.visibility == "public" {
        if a.alerts_forbidden {
            out.push(
                "ADO-TOX-002",
                &project.name,
                repo.id.clone(),
                &repo.name,
                "not_evaluated",
            );
        } else {
            out.fail_if(
                "ADO-TOX-002",
                &project.name,
                &repo.id,
                &repo.name,
                open("secret", false),
            );
        }
    }
    for (rule, feature, kind, severe_only) in [
        ("ADO-REPO-011", a.secret_protection, "secret", false),
        ("ADO-REPO-012", a.code_security, "code", true),
        ("ADO-REPO-013", a.code_security, "dependency", true),
    ] {
        if !feature {
            continue;
        }
        if a.alerts_forbidden {
            out.push(
                rule,
                &project.name,
                repo.id.clone(),
                &repo.name,
                "not_evaluated",
            );
        } else {
            out.fail_if(
                rule,
                &project.name,
                &repo.id,
                &repo.name,
                open(kind, severe_only),
            );
        }
    }
}

fn pipeline_rules(out: &mut Out<'_>, project: &SimProject, organization: &SimGeneralSettings) {
    let e = project.pipelines.settings.effective(organization);
    for p in &project.pipelines.pipelines {
        let id = format!("{}/{}", project.id, p.id);
        // Fork builds that run, and what they get, with every level combined (the trigger's
        // pipelineTriggerSettings say the same as the project and organization settings).
        let forks = p
            .pull_request
            .filter(|f| f.enabled && e.builds_enabled_for_forks);
        for (rule, failing) in [
            (
                "ADO-PIPE-001",
                forks.is_some_and(|f| f.allow_secrets)
                    && !e.enforce_no_access_to_secrets_from_forks,
            ),
            (
                "ADO-PIPE-002",
                forks.is_some_and(|f| f.allow_full_access_token)
                    && !e.enforce_job_auth_scope_for_forks,
            ),
            ("ADO-PIPE-003", p.process_type == 1),
            (
                "ADO-PIPE-004",
                p.variables
                    .iter()
                    .any(|(name, secret)| !secret && secret_like(name)),
            ),
            (
                "ADO-PIPE-005",
                forks.is_some_and(|f| !f.comment_required)
                    && !e.is_comment_required_for_pull_request,
            ),
            (
                "ADO-PIPE-006",
                p.process_type == 1
                    && p.job_authorization_scope == "projectCollection"
                    && !e.enforce_job_auth_scope
                    && project.visibility != "public",
            ),
            ("ADO-PIPE-016", forks.is_some() && p.self_hosted),
        ] {
            out.fail_if(rule, &project.name, &id, &p.name, failing);
        }
    }
    for (rule, passes) in [
        (
            "ADO-PIPE-007",
            e.disable_classic_build_pipeline_creation
                && e.disable_classic_release_pipeline_creation,
        ),
        ("ADO-PIPE-008", e.enforce_job_auth_scope),
        ("ADO-PIPE-009", e.enforce_job_auth_scope_for_releases),
        ("ADO-PIPE-010", e.enforce_referenced_repo_scoped_token),
        ("ADO-PIPE-011", e.enforce_settable_var),
        ("ADO-PIPE-012", e.enable_shell_tasks_args_sanitizing),
        ("ADO-PIPE-013", e.status_badges_are_private),
        (
            "ADO-PIPE-014",
            e.enforce_no_access_to_secrets_from_forks && e.enforce_job_auth_scope_for_forks,
        ),
    ] {
        out.fail_if(rule, &project.name, &project.id, &project.name, !passes);
    }
}

/// The toxic combinations: attack paths across resources of one project, each restated from
/// the simulator's own model (not from the SQL).
fn toxic_rules(
    out: &mut Out<'_>,
    org: &SimOrganization,
    project: &SimProject,
    organization: &SimGeneralSettings,
) {
    let e = project.pipelines.settings.effective(organization);
    let forks = || {
        project
            .pipelines
            .pipelines
            .iter()
            .filter_map(|p| p.pull_request)
            .filter(|f| f.enabled && e.builds_enabled_for_forks)
    };
    let fork_builds_run = forks().next().is_some();
    let fork_secrets =
        forks().any(|f| f.allow_secrets) && !e.enforce_no_access_to_secrets_from_forks;
    let public = project.visibility == "public";
    // Connections available in this project (its own, and those shared with it), each open here
    // or not; gated by the connection's own checks (kept with its owning project).
    for (owner, endpoints) in org
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| (i, &p.library.endpoints))
    {
        for (k, c) in endpoints.iter().enumerate() {
            let own = org.projects[owner].id == project.id;
            let open_here = if own {
                c.open_to_all
            } else if c.shared_with.contains(&project.id) {
                c.open_in_shared_projects()
            } else {
                continue;
            };
            let checked = gated(
                org.controls
                    .projects
                    .get(owner)
                    .and_then(|controls| controls.endpoint_checks.get(k)),
            );
            let id = format!("{}/{}", project.id, c.id);
            out.fail_if(
                "ADO-TOX-001",
                &project.name,
                &id,
                &c.name,
                fork_secrets && open_here && !checked,
            );
            out.fail_if(
                "ADO-TOX-005",
                &project.name,
                &id,
                &c.name,
                public && open_here,
            );
        }
    }
    for q in &project.agents.queues {
        let Some(pool) = org.pools.get(q.pool) else {
            continue;
        };
        out.fail_if(
            "ADO-TOX-003",
            &project.name,
            &q.id.to_string(),
            &pool.name,
            fork_builds_run && q.open_to_all && !pool.is_hosted,
        );
    }
    for g in &project.library.variable_groups {
        let secrets = g.variables.iter().any(|(_, secret)| *secret) || g.key_vault.is_some();
        out.fail_if(
            "ADO-TOX-004",
            &project.name,
            &g.id.to_string(),
            &g.name,
            secrets && g.open_to_all && !e.disable_classic_build_pipeline_creation,
        );
    }
    for f in &project.agents.secure_files {
        out.fail_if(
            "ADO-TOX-006",
            &project.name,
            &f.id,
            &f.name,
            fork_secrets && f.open_to_all,
        );
    }
}

/// Whether a resource's checks gate its use: an approval or a real check (an exclusive lock
/// only serialises runs).
fn gated(checks: Option<&Vec<super::controls::SimCheck>>) -> bool {
    checks.is_some_and(|c| c.iter().any(|c| c.kind != CheckKind::ExclusiveLock))
}

fn resource_rules(out: &mut Out<'_>, org: &SimOrganization, p: usize, project: &SimProject) {
    let controls = org.controls.projects.get(p).cloned().unwrap_or_default();
    // Pipeline permissions are per project: a connection shared with this project is judged
    // here as open or not in this project; everything else about it, under its owner.
    for e in org
        .projects
        .iter()
        .flat_map(|other| &other.library.endpoints)
        .filter(|e| e.shared_with.contains(&project.id))
    {
        out.fail_if(
            "ADO-SC-001",
            &project.name,
            &format!("{}/{}", project.id, e.id),
            &e.name,
            e.open_in_shared_projects(),
        );
    }
    for (k, e) in project.library.endpoints.iter().enumerate() {
        let id = format!("{}/{}", project.id, e.id);
        let azure = matches!(e.endpoint_type, "azurerm" | "azure");
        // An exclusive lock gates nothing.
        let checked = gated(controls.endpoint_checks.get(k));
        for (rule, failing) in [
            ("ADO-SC-001", e.open_to_all),
            ("ADO-SC-002", e.endpoint_type == "azure"),
            (
                "ADO-SC-003",
                e.endpoint_type == "azurerm"
                    && !matches!(
                        e.scheme,
                        "WorkloadIdentityFederation" | "ManagedServiceIdentity"
                    ),
            ),
            ("ADO-SC-004", azure && !checked),
            (
                "ADO-SC-006",
                e.endpoint_type == "github" && e.scheme == "Token",
            ),
            (
                "ADO-SC-007",
                e.endpoint_type == "azurerm" && e.azure_scope_level() != AzureScope::ResourceGroup,
            ),
        ] {
            out.fail_if(rule, &project.name, &id, &e.name, failing);
        }
        // Once per connection, not per project that lists it.
        out.fail_if(
            "ADO-SC-005",
            &project.name,
            &e.id,
            &e.name,
            !e.shared_with.is_empty(),
        );
    }
    for (k, g) in project.library.variable_groups.iter().enumerate() {
        let id = g.id.to_string();
        let has_secrets = g.variables.iter().any(|(_, secret)| *secret);
        for (rule, failing) in [
            (
                "ADO-VG-004",
                (has_secrets || g.key_vault.is_some())
                    && !gated(controls.variable_group_checks.get(k)),
            ),
            (
                "ADO-VG-001",
                g.open_to_all && (has_secrets || g.key_vault.is_some()),
            ),
            (
                "ADO-VG-002",
                g.variables
                    .iter()
                    .any(|(name, secret)| !secret && secret_like(name)),
            ),
            ("ADO-VG-003", has_secrets && g.key_vault.is_none()),
        ] {
            out.fail_if(rule, &project.name, &id, &g.name, failing);
        }
    }
    for (k, f) in project.agents.secure_files.iter().enumerate() {
        out.fail_if("ADO-SF-001", &project.name, &f.id, &f.name, f.open_to_all);
        out.fail_if(
            "ADO-SF-002",
            &project.name,
            &f.id,
            &f.name,
            !gated(controls.secure_file_checks.get(k)),
        );
    }
    for (k, q) in project.agents.queues.iter().enumerate() {
        let Some(pool) = org.pools.get(q.pool) else {
            continue;
        };
        out.fail_if(
            "ADO-AQ-001",
            &project.name,
            &q.id.to_string(),
            &pool.name,
            q.open_to_all && !pool.is_hosted,
        );
        out.fail_if(
            "ADO-AQ-003",
            &project.name,
            &q.id.to_string(),
            &pool.name,
            !pool.is_hosted && !gated(controls.queue_checks.get(k)),
        );
    }
    for (k, e) in project.agents.environments.iter().enumerate() {
        let id = e.id.to_string();
        let open = controls.environment_open.get(k).copied().unwrap_or(false);
        let approved = controls
            .environment_checks
            .get(k)
            .is_some_and(|c| c.iter().any(|c| c.kind == CheckKind::Approval));
        out.fail_if("ADO-ENV-001", &project.name, &id, &e.name, open);
        out.fail_if("ADO-ENV-002", &project.name, &id, &e.name, !approved);
    }
    // Approvals (on any protected resource) that let the requester approve.
    for check in controls
        .all_checks()
        .filter(|c| c.kind == CheckKind::Approval && !c.requester_cannot_be_approver())
    {
        out.fail_if(
            "ADO-CHK-001",
            &project.name,
            &format!("{}/{}", project.id, check.id),
            "",
            true,
        );
    }
}

/// The identity rules (ADO-IAM-*), restated over the simulator's identities. On Azure DevOps
/// Server nothing of it can be read: each rule is not evaluated for the organization.
fn identity_rules(out: &mut Out<'_>, org: &SimOrganization, server_mode: bool) {
    const RULES: [&str; 15] = [
        "ADO-IAM-001",
        "ADO-IAM-002",
        "ADO-IAM-003",
        "ADO-IAM-004",
        "ADO-IAM-005",
        "ADO-IAM-006",
        "ADO-IAM-007",
        "ADO-IAM-008",
        "ADO-IAM-009",
        "ADO-IAM-010",
        "ADO-IAM-011",
        "ADO-IAM-012",
        "ADO-IAM-013",
        "ADO-IAM-014",
        "ADO-IAM-015",
    ];
    if server_mode {
        for rule in RULES {
            out.push(rule, "", org.name.clone(), &org.name, "not_evaluated");
        }
        return;
    }
    use super::identity::{build, git};
    let id = &org.identity;
    let people = |g: &super::identity::SimGroup| -> usize {
        id.effective_users(g).iter().filter(|u| !u.service).count()
    };
    let project_name = |p: Option<usize>| p.map_or("", |p| org.projects[p].name.as_str());
    for g in &id.groups {
        let project = project_name(g.project);
        match g.well_known {
            Some("project_collection_administrators") => {
                out.fail_if(
                    "ADO-IAM-001",
                    project,
                    &g.descriptor,
                    &g.principal_name,
                    people(g) < 2,
                );
                out.fail_if(
                    "ADO-IAM-002",
                    project,
                    &g.descriptor,
                    &g.principal_name,
                    people(g) > 6,
                );
            }
            Some("project_administrators") => {
                out.fail_if(
                    "ADO-IAM-009",
                    project,
                    &g.descriptor,
                    &g.principal_name,
                    people(g) < 2,
                );
                out.fail_if(
                    "ADO-IAM-010",
                    project,
                    &g.descriptor,
                    &g.principal_name,
                    people(g) > 4,
                );
            }
            _ => {}
        }
    }
    // Members of administrators groups, once per (scope, member).
    let mut judged = std::collections::BTreeSet::new();
    for g in &id.groups {
        let Some(key) = g.well_known else { continue };
        let organization_admin = matches!(
            key,
            "project_collection_administrators"
                | "project_collection_build_administrators"
                | "project_collection_service_accounts"
        );
        let project_admin = matches!(
            key,
            "project_administrators"
                | "build_administrators"
                | "endpoint_administrators"
                | "release_administrators"
        );
        if !organization_admin && !project_admin {
            continue;
        }
        let project = project_name(g.project);
        for u in id.effective_users(g) {
            // Project rules: one finding per (project, person).
            let resource = match g.project {
                Some(p) if !organization_admin => {
                    format!("{} {}", org.projects[p].id, u.descriptor)
                }
                _ => u.descriptor.clone(),
            };
            let mut fail = |rule: &str, failing: bool| {
                if failing && judged.insert((rule.to_string(), resource.clone())) {
                    out.push(rule, project, resource.clone(), &u.principal_name, "fail");
                }
            };
            if organization_admin {
                fail("ADO-IAM-003", u.guest);
                fail("ADO-IAM-005", u.inactive());
            } else {
                fail("ADO-IAM-004", u.guest);
                fail("ADO-IAM-006", u.inactive());
            }
            if key == "project_collection_service_accounts" {
                fail("ADO-IAM-011", !u.service);
            }
        }
    }
    for u in &id.users {
        out.fail_if(
            "ADO-IAM-007",
            "",
            &u.descriptor,
            &u.principal_name,
            u.entitled && u.paid() && !u.guest && !u.service && u.inactive(),
        );
        out.fail_if(
            "ADO-IAM-008",
            "",
            &u.descriptor,
            &u.principal_name,
            u.entitled && u.guest && u.inactive(),
        );
    }
    // Permissions: broad groups and build services granted what they should not have.
    let broad = |d: &str, keys: &[&str]| {
        id.groups.iter().any(|g| {
            g.well_known.is_some_and(|k| keys.contains(&k))
                && g.sid.as_ref().is_some_and(|sid| d.ends_with(sid.as_str()))
        })
    };
    let project_of = |token: &str| {
        let id = token
            .trim_start_matches("repoV2/")
            .split('/')
            .next()
            .unwrap_or_default();
        org.projects
            .iter()
            .find(|p| p.id == id)
            .map_or("", |p| p.name.as_str())
    };
    let git_danger = git::FORCE_PUSH
        | git::POLICY_EXEMPT
        | git::PR_BYPASS
        | git::MANAGE_PERMISSIONS
        | git::EDIT_POLICIES
        | git::DELETE_REPOSITORY
        | git::REMOVE_OTHERS_LOCKS;
    let build_service_danger = git::FORCE_PUSH
        | git::POLICY_EXEMPT
        | git::PR_BYPASS
        | git::MANAGE_PERMISSIONS
        | git::EDIT_POLICIES;
    let build_danger =
        build::ADMINISTER | build::DESTROY | build::OVERRIDE_CHECK_IN | build::MANAGE_QUEUE;
    let all_broad = [
        "contributors",
        "readers",
        "project_valid_users",
        "project_collection_valid_users",
    ];
    let read_only = [
        "readers",
        "project_valid_users",
        "project_collection_valid_users",
    ];
    for (acls, namespace) in [(&id.git_acls, "git"), (&id.build_acls, "build")] {
        for acl in acls {
            for ace in &acl.aces {
                let allowed = (ace.allow | ace.effective_allow) & !ace.deny;
                let resource = format!("{} {}", ace.descriptor.to_ascii_lowercase(), acl.token);
                let project = project_of(&acl.token);
                if namespace == "git" {
                    out.fail_if(
                        "ADO-IAM-012",
                        project,
                        &resource,
                        "",
                        broad(&ace.descriptor, &all_broad) && allowed & git_danger != 0,
                    );
                    out.fail_if(
                        "ADO-IAM-013",
                        project,
                        &resource,
                        "",
                        broad(&ace.descriptor, &read_only) && allowed & git::CONTRIBUTE != 0,
                    );
                    out.fail_if(
                        "ADO-IAM-015",
                        project,
                        &resource,
                        "",
                        ace.descriptor.contains(":Build:") && allowed & build_service_danger != 0,
                    );
                } else {
                    out.fail_if(
                        "ADO-IAM-014",
                        project,
                        &resource,
                        "",
                        broad(&ace.descriptor, &all_broad) && allowed & build_danger != 0,
                    );
                }
            }
        }
    }
}
