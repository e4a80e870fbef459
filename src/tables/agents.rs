//! Agent pools (organization), agent queues, secure files, environments and deployment groups
//! (project).

use super::ColumnType::{Boolean, Int64, TimestampUtc, Utf8};
use super::{
    AUTHORIZED_PIPELINE_IDS, Batches, OPEN_TO_ALL_PIPELINES, RowContext, TableBuilder, TableDef,
    TableError, TableRole, Value, Watch, optional, required,
};
use crate::crawl::OrganizationInventory;

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[
    &AGENT_POOLS,
    &AGENT_QUEUES,
    &SECURE_FILES,
    &ENVIRONMENTS,
    &DEPLOYMENT_GROUPS,
];

pub const AGENT_POOLS: TableDef = TableDef {
    name: "agent_pools",
    doc: "One row per agent pool of the organization.",
    project_scoped: false,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["pool_id"],
        name: "pool",
        attributes: &["is_hosted", "auto_provision"],
    }),
    columns: &[
        required("pool_id", Int64, "Agent pool id."),
        required("pool", Utf8, "Agent pool name."),
        optional(
            "is_hosted",
            Boolean,
            "Microsoft-hosted (true) or self-hosted (false).",
        ),
        optional(
            "pool_type",
            Utf8,
            "`automation` (build and release) or `deployment`.",
        ),
        optional(
            "auto_provision",
            Boolean,
            "`autoProvision`: every new project gets a queue to this pool (and can run jobs on it).",
        ),
        required("raw", Utf8, "The pool's JSON as the API returned it."),
    ],
};

pub const AGENT_QUEUES: TableDef = TableDef {
    name: "agent_queues",
    doc: "One row per agent queue of a project (a pool as the project uses it).",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["queue_id"],
        name: "queue",
        attributes: &["pool_id", "open_to_all_pipelines"],
    }),
    columns: &[
        required(
            "queue_id",
            Int64,
            "Agent queue id (the id pipeline permissions and checks use).",
        ),
        required("queue", Utf8, "Queue name."),
        optional("pool_id", Int64, "The pool behind the queue."),
        optional(
            "pool_is_hosted",
            Boolean,
            "Whether that pool is Microsoft-hosted.",
        ),
        OPEN_TO_ALL_PIPELINES,
        AUTHORIZED_PIPELINE_IDS,
        required("raw", Utf8, "The queue's JSON as the API returned it."),
    ],
};

pub const SECURE_FILES: TableDef = TableDef {
    name: "secure_files",
    doc: "One row per secure file of a project (certificates, keys, profiles); never its content.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["secure_file_id"],
        name: "secure_file",
        attributes: &["open_to_all_pipelines"],
    }),
    columns: &[
        required("secure_file_id", Utf8, "Secure file id (GUID)."),
        required("secure_file", Utf8, "Secure file name."),
        optional("modified_on", TimestampUtc, "Last modification."),
        OPEN_TO_ALL_PIPELINES,
        AUTHORIZED_PIPELINE_IDS,
        required(
            "raw",
            Utf8,
            "The secure file's JSON as the API returned it (never its content).",
        ),
    ],
};

pub const ENVIRONMENTS: TableDef = TableDef {
    name: "environments",
    doc: "One row per deployment environment of a project.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["environment_id"],
        name: "environment",
        attributes: &["open_to_all_pipelines"],
    }),
    columns: &[
        required("environment_id", Int64, "Environment id."),
        required("environment", Utf8, "Environment name."),
        optional(
            "open_to_all_pipelines",
            Boolean,
            "Authorized for every pipeline (pipelinePermissions `allPipelines.authorized`); null when the permissions could not be read.",
        ),
        optional(
            "authorized_pipeline_ids",
            Utf8,
            "Comma-separated ids of the pipelines authorized one by one; null when not read.",
        ),
        optional(
            "permissions_reason",
            Utf8,
            "Why the permissions could not be read.",
        ),
        required(
            "raw",
            Utf8,
            "The environment's JSON as the API returned it.",
        ),
    ],
};

pub const DEPLOYMENT_GROUPS: TableDef = TableDef {
    name: "deployment_groups",
    doc: "One row per deployment group of a project (machines classic releases deploy to, each with an agent of the group's deployment pool).",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: None,
    columns: &[
        required("deployment_group_id", Int64, "Deployment group id."),
        required("deployment_group", Utf8, "Deployment group name."),
        optional("description", Utf8, "Its description."),
        optional(
            "machine_count",
            Int64,
            "Machines (targets) registered in the group.",
        ),
        optional("pool_id", Int64, "The deployment pool behind the group."),
        optional("pool", Utf8, "That pool's name."),
        required(
            "raw",
            Utf8,
            "The deployment group's JSON as the API returned it.",
        ),
    ],
};

pub fn build(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    let base = RowContext {
        run_id,
        connector: &org.connector,
        organization: &org.organization,
        project: None,
    };
    let mut pools = TableBuilder::new(&AGENT_POOLS);
    for p in &org.agent_pools {
        pools.push(
            &base,
            &[
                Value::Int(Some(p.item.id)),
                Value::Str(Some(&p.item.name)),
                Value::Bool(p.item.is_hosted),
                Value::Str(p.item.pool_type.as_deref()),
                Value::Bool(p.item.auto_provision),
                Value::Str(Some(&p.raw)),
            ],
        )?;
    }
    let mut queues = TableBuilder::new(&AGENT_QUEUES);
    let mut files = TableBuilder::new(&SECURE_FILES);
    let mut environments = TableBuilder::new(&ENVIRONMENTS);
    for project in &org.libraries {
        let ctx = RowContext {
            project: Some((&project.project_id, &project.project)),
            ..base
        };
        for q in &project.agents.agent_queues {
            let pool = q.item.pool.as_ref();
            queues.push(
                &ctx,
                &[
                    Value::Int(Some(q.item.id)),
                    Value::Str(Some(&q.item.name)),
                    Value::Int(pool.map(|p| p.id)),
                    Value::Bool(pool.and_then(|p| p.is_hosted)),
                    Value::Bool(Some(
                        project
                            .library
                            .open
                            .agent_queues
                            .contains(&q.item.id.to_string()),
                    )),
                    Value::Str(
                        project
                            .authorized_pipeline_ids("queue", &q.item.id.to_string())
                            .as_deref(),
                    ),
                    Value::Str(Some(&q.raw)),
                ],
            )?;
        }
        for f in &project.agents.secure_files {
            let modified = f
                .item
                .modified_on
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_micros());
            files.push(
                &ctx,
                &[
                    Value::Str(Some(&f.item.id)),
                    Value::Str(Some(&f.item.name)),
                    Value::Timestamp(modified),
                    Value::Bool(Some(project.library.open.secure_files.contains(&f.item.id))),
                    Value::Str(
                        project
                            .authorized_pipeline_ids("securefile", &f.item.id)
                            .as_deref(),
                    ),
                    Value::Str(Some(&f.raw)),
                ],
            )?;
        }
        for e in &project.agents.environments {
            let permissions = project.controls.environment_permissions.get(&e.item.id);
            let ids = permissions
                .and_then(|p| p.as_ref().ok())
                .map(crate::crawl::pipeline_ids);
            environments.push(
                &ctx,
                &[
                    Value::Int(Some(e.item.id)),
                    Value::Str(Some(&e.item.name)),
                    Value::Bool(
                        permissions
                            .and_then(|p| p.as_ref().ok())
                            .map(|p| p.open_to_all()),
                    ),
                    Value::Str(ids.as_deref()),
                    Value::Str(
                        permissions
                            .and_then(|p| p.as_ref().err())
                            .map(String::as_str),
                    ),
                    Value::Str(Some(&e.raw)),
                ],
            )?;
        }
    }
    Ok(vec![
        pools.done()?,
        queues.done()?,
        files.done()?,
        environments.done()?,
        deployment_groups(run_id, org)?,
    ])
}

/// One organization's `deployment_groups` rows.
fn deployment_groups(
    run_id: &str,
    org: &OrganizationInventory,
) -> Result<(&'static TableDef, arrow::record_batch::RecordBatch), TableError> {
    let mut groups = TableBuilder::new(&DEPLOYMENT_GROUPS);
    for project in &org.libraries {
        let ctx = RowContext::of_project(run_id, org, project);
        for g in &project.agents.deployment_groups {
            let pool = g.item.pool.as_ref();
            groups.push(
                &ctx,
                &[
                    Value::Int(Some(g.item.id)),
                    Value::Str(Some(&g.item.name)),
                    Value::Str(g.item.description.as_deref()),
                    Value::Int(g.item.machine_count),
                    Value::Int(pool.map(|p| p.id)),
                    Value::Str(pool.and_then(|p| p.name.as_deref())),
                    Value::Str(Some(&g.raw)),
                ],
            )?;
        }
    }
    groups.done()
}
