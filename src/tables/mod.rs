//! The dataset's tables: each declared once ([`TableDef`]) with a doc line per column, and a
//! builder that turns rows into Arrow record batches of exactly that schema.
//!
//! Every table starts with the same context columns (`run_id`, `connector`, `organization`, and
//! `project_id`, `project` for project-scoped tables). `snapshot_date` is not stored in the files:
//! it is the Hive partition (`snapshot_date=YYYY-MM-DD`) that every reader adds as a column.

pub mod advsec;
pub mod agents;
mod builder;
pub mod controls;
pub mod findings;
pub mod identity;
pub mod inventory;
pub mod library;
pub mod pipelines;

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;

use crate::crawl::{OrganizationInventory, OrganizationPart};

pub use builder::{RowContext, TableBuilder, TableError, Value};

/// The version of the table schemas, written into each Parquet file's metadata.
pub const SCHEMA_VERSION: u32 = 2;

/// The physical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Utf8,
    Int64,
    Boolean,
    /// Microseconds since the epoch, UTC.
    TimestampUtc,
    /// A calendar date (days since the epoch).
    Date,
}

impl ColumnType {
    pub fn arrow(self) -> DataType {
        match self {
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::TimestampUtc => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
            ColumnType::Date => DataType::Date32,
        }
    }

    pub fn sql_name(self) -> &'static str {
        match self {
            ColumnType::Utf8 => "string",
            ColumnType::Int64 => "int64",
            ColumnType::Boolean => "boolean",
            ColumnType::TimestampUtc => "timestamp (UTC)",
            ColumnType::Date => "date",
        }
    }
}

/// One column: its name, type, whether it may be null, and what it means.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub column_type: ColumnType,
    pub nullable: bool,
    pub doc: &'static str,
}

/// A required column.
pub const fn required(name: &'static str, column_type: ColumnType, doc: &'static str) -> Column {
    Column {
        name,
        column_type,
        nullable: false,
        doc,
    }
}

/// A column that may be null.
pub const fn optional(name: &'static str, column_type: ColumnType, doc: &'static str) -> Column {
    Column {
        name,
        column_type,
        nullable: true,
        doc,
    }
}

/// `open_to_all_pipelines` of the resources `build/authorizedresources` reports on.
pub const OPEN_TO_ALL_PIPELINES: Column = required(
    "open_to_all_pipelines",
    ColumnType::Boolean,
    "Authorized for every pipeline of the project (build/authorizedresources).",
);

/// `authorized_pipeline_ids` of a protected resource (detailed pipeline permissions only).
pub const AUTHORIZED_PIPELINE_IDS: Column = optional(
    "authorized_pipeline_ids",
    ColumnType::Utf8,
    "Comma-separated ids of the pipelines authorized one by one (pipelinePermissions); null unless the connector reads detailed pipeline permissions.",
);

/// `status` of the coverage tables (`crawl_coverage`, `identity_coverage`).
pub const COVERAGE_STATUS: Column = required(
    "status",
    ColumnType::Utf8,
    "`read`, `not_evaluated` (the identity may not read it) or `not_available` (no such API here).",
);

/// `reason` of the coverage tables.
pub const COVERAGE_REASON: Column = optional(
    "reason",
    ColumnType::Utf8,
    "The answer that made it not evaluated or not available.",
);

/// Rows of one organization, by the context columns every table has (a Polars filter).
pub fn of_organization(connector: &str, organization: &str) -> polars::prelude::Expr {
    use polars::prelude::{col, lit};
    col("connector")
        .eq(lit(connector.to_string()))
        .and(col("organization").eq(lit(organization.to_string())))
}

/// Columns every table starts with.
pub const CONTEXT_COLUMNS: &[Column] = &[
    required(
        "run_id",
        ColumnType::Utf8,
        "Id of the run that wrote the row.",
    ),
    required(
        "connector",
        ColumnType::Utf8,
        "Name of the connector (config) the row was crawled through.",
    ),
    required(
        "organization",
        ColumnType::Utf8,
        "Organization (Server: project collection) name.",
    ),
];

/// Columns project-scoped tables add after the context columns.
pub const PROJECT_COLUMNS: &[Column] = &[
    required("project_id", ColumnType::Utf8, "Project id (GUID)."),
    required("project", ColumnType::Utf8, "Project name."),
];

/// What the change feed watches in a table: the columns that identify a resource (besides the
/// connector, the organization and, in a project-scoped table, the project), the column that
/// names it, and the security-relevant attributes whose changes it lists with their before and
/// after values. Declared beside each table, so a new table's changes cost one declaration.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    pub key: &'static [&'static str],
    pub name: &'static str,
    pub attributes: &'static [&'static str],
}

/// What a table is for: who writes it, and whether rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableRole {
    /// Crawled, one organization at a time, by a builder of [`ORGANIZATION_TABLES`]; rules read it.
    Inventory,
    /// What the crawl could not read (`crawl_errors`, `crawl_coverage`); rules read it to say
    /// "not evaluated" instead of passing.
    CrawlGaps,
    /// The rules' output.
    Findings,
    /// One row per organization a run attempted.
    Runs,
    /// What changed since the previous snapshot (`changes`).
    Changes,
}

impl TableRole {
    /// Whether rules read tables of this role.
    pub fn is_rule_input(self) -> bool {
        matches!(self, TableRole::Inventory | TableRole::CrawlGaps)
    }
}

/// Batches with the table each belongs to.
pub type Batches = Vec<(&'static TableDef, RecordBatch)>;

/// One organization's rows of the tables a module owns.
pub type OrganizationBuilder = fn(&str, &OrganizationInventory) -> Result<Batches, TableError>;

/// The builders of every table written per organization: each returns the batches of the tables
/// it owns (a test checks that together they cover every inventory table once, and coverage).
pub const ORGANIZATION_TABLES: &[OrganizationBuilder] = &[
    inventory::build,
    library::build,
    pipelines::build,
    agents::build,
    advsec::build,
    controls::build,
    identity::build,
    findings::coverage,
];

/// One organization's rows of every table written per organization, one area's tables at a
/// time: the writer writes and drops each area's batches before the next area is built, so
/// memory holds the inventory and one area's rows, not every table's.
pub fn organization_batches<'a>(
    run_id: &'a str,
    org: &'a OrganizationInventory,
) -> impl Iterator<Item = Result<Batches, TableError>> + 'a {
    ORGANIZATION_TABLES
        .iter()
        .map(move |build| build(run_id, org))
}

/// The rows of one part of an organization the crawl handed over, one area's tables at a time.
pub fn part_batches<'a>(
    run_id: &'a str,
    part: &'a OrganizationPart,
) -> Box<dyn Iterator<Item = Result<Batches, TableError>> + 'a> {
    match part {
        OrganizationPart::Project(org) | OrganizationPart::Complete(org) => {
            Box::new(organization_batches(run_id, org))
        }
        OrganizationPart::Alerts {
            connector,
            organization,
            alerts,
        } => Box::new(std::iter::once(advsec::alerts(
            run_id,
            connector,
            organization,
            alerts,
        ))),
        OrganizationPart::Failed { .. } => Box::new(std::iter::empty()),
    }
}

/// The tables of a role, in the order of [`ALL_TABLES`].
pub fn tables_of(role: TableRole) -> impl Iterator<Item = &'static TableDef> {
    ALL_TABLES.iter().copied().filter(move |t| t.role == role)
}

/// The tables rules read.
pub fn rule_inputs() -> impl Iterator<Item = &'static TableDef> {
    ALL_TABLES
        .iter()
        .copied()
        .filter(|t| t.role.is_rule_input())
}

/// A table of the dataset.
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub doc: &'static str,
    /// Whether rows belong to a project (adds `project_id`, `project`).
    pub project_scoped: bool,
    /// Who writes it and who reads it.
    pub role: TableRole,
    /// What the change feed (`changes`) watches in it, if anything.
    pub watch: Option<Watch>,
    /// The table's own columns, after the context columns.
    pub columns: &'static [Column],
}

impl TableDef {
    /// Every column of the table, context columns first.
    pub fn all_columns(&self) -> Vec<Column> {
        let mut all = CONTEXT_COLUMNS.to_vec();
        if self.project_scoped {
            all.extend_from_slice(PROJECT_COLUMNS);
        }
        all.extend_from_slice(self.columns);
        all
    }

    pub fn arrow_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .all_columns()
            .iter()
            .map(|c| Field::new(c.name, c.column_type.arrow(), c.nullable))
            .collect();
        Arc::new(Schema::new(fields))
    }
}

/// Every table of the dataset, in the order of the data flow: each area's tables (declared,
/// and listed in its `TABLES`, in the area's own module), then the run's own.
pub static ALL_TABLES: std::sync::LazyLock<Vec<&'static TableDef>> =
    std::sync::LazyLock::new(|| {
        [
            inventory::TABLES,
            library::TABLES,
            pipelines::TABLES,
            agents::TABLES,
            advsec::TABLES,
            controls::TABLES,
            identity::TABLES,
            findings::TABLES,
        ]
        .concat()
    });

/// docs/dataset.md: every table and column with its type and meaning, from the declarations.
pub fn markdown() -> String {
    let mut out = String::from(
        "# The dataset\n\n\
         Generated from the table declarations in `src/tables/` (a test fails when this file is stale;\n\
         regenerate with `ADO_POSTURE_UPDATE_DOCS=1 cargo test --lib tables::tests::dataset_docs_are_current`).\n\n\
         Layout: `dataset/<table>/snapshot_date=YYYY-MM-DD/<run_id>-<part>.parquet`, Hive-partitioned by\n\
         `snapshot_date` (a `date` column every reader adds from the folder name; it is not stored in\n\
         the files), plus `dataset/_runs/<run_id>.json`, the run manifest (status, row counts per table,\n\
         per-organization results, API statistics). Parquet files are zstd-compressed, with page\n\
         statistics, dictionary encoding and key-value metadata `ado_posture.schema_version`,\n\
         `ado_posture.run_id`, `ado_posture.table` and `ado_posture.tool_version`.\n\n",
    );
    out.push_str(include_str!("dataset_guide.md"));
    out.push_str(&format!(
        "## Tables\n\nSchema version: {SCHEMA_VERSION}.\n\n| table | rows |\n|---|---|\n"
    ));
    for t in ALL_TABLES.iter() {
        out.push_str(&format!("| [`{}`](#{}) | {} |\n", t.name, t.name, t.doc));
    }
    for t in ALL_TABLES.iter() {
        out.push_str(&format!(
            "\n## {}\n\n{}\n\n| column | type | null | meaning |\n|---|---|---|---|\n",
            t.name, t.doc
        ));
        out.push_str("| `snapshot_date` | date (partition) | no | The snapshot's date, from the partition folder. |\n");
        for c in t.all_columns() {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name,
                c.column_type.sql_name(),
                if c.nullable { "yes" } else { "no" },
                c.doc
            ));
        }
        if let Some(watch) = t.watch {
            out.push_str(&format!("\n{}\n", watch.describe()));
        }
    }
    out
}

impl Watch {
    /// One line for the docs and `schema`: what the change feed compares in the table.
    pub fn describe(&self) -> String {
        let key = if self.key.is_empty() {
            "the project".to_string()
        } else {
            self.key
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let attributes = self
            .attributes
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "Change feed (`changes`): a resource is identified by {key}; watched: {attributes}."
        )
    }
}

/// `ado-posture schema`: the tables with what their rows are, or one table's columns with
/// their types and meanings; `None` when there is no such table.
pub fn describe(name: Option<&str>) -> Option<String> {
    let Some(name) = name else {
        let width = ALL_TABLES.iter().map(|t| t.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for t in ALL_TABLES.iter() {
            out.push_str(&format!("{:<width$}  {}\n", t.name, t.doc));
        }
        out.push_str(
            "(every table also as latest_<table>; `ado-posture schema TABLE` lists its columns)\n",
        );
        return Some(out);
    };
    let t = table(name)?;
    let mut out = format!("{}: {}\n\n", t.name, t.doc);
    let columns = t.all_columns();
    let width = columns
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0)
        .max(13);
    out.push_str(&format!(
        "{:<width$}  {:<16}  {:<4}  {}\n",
        "snapshot_date",
        "date (partition)",
        "no",
        "The snapshot's date, from the partition folder."
    ));
    for c in columns {
        out.push_str(&format!(
            "{:<width$}  {:<16}  {:<4}  {}\n",
            c.name,
            c.column_type.sql_name(),
            if c.nullable { "yes" } else { "no" },
            c.doc
        ));
    }
    if let Some(watch) = t.watch {
        out.push_str(&format!("\n{}\n", watch.describe()));
    }
    Some(out)
}

/// Looks a table up by name.
pub fn table(name: &str) -> Option<&'static TableDef> {
    ALL_TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An organization of the given projects' inventories and nothing else.
    pub(crate) fn test_organization(
        libraries: Vec<crate::crawl::ProjectLibrary>,
    ) -> OrganizationInventory {
        OrganizationInventory {
            connector: "c".into(),
            organization: "o".into(),
            organization_id: None,
            url: "https://dev.azure.com/o".into(),
            deployment: crate::config::Deployment::Services,
            api_version: None,
            crawled_at: chrono::Utc::now(),
            projects: Vec::new(),
            repositories: Vec::new(),
            repository_refs: Vec::new(),
            policies: Vec::new(),
            libraries,
            advanced_security: crate::crawl::Outcome::NotAvailable(String::new()),
            agent_pools: Vec::new(),
            organization_policies: Vec::new(),
            organization_pipeline_settings: crate::crawl::Outcome::NotAvailable(String::new()),
            identity: crate::crawl::identity::IdentityResources::not_available(""),
            scope: crate::crawl::InventoryScope::Organization,
        }
    }

    /// The organization builders together cover every inventory table and `crawl_coverage`,
    /// each exactly once, so the writer needs no list of its own.
    #[test]
    fn organization_builders_cover_every_inventory_table_once() {
        let org = test_organization(Vec::new());
        let batches: Batches = organization_batches("run", &org)
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
        let mut built: Vec<&str> = batches
            .iter()
            .map(|(def, batch)| {
                assert_eq!(batch.schema(), def.arrow_schema(), "{}", def.name);
                def.name
            })
            .collect();
        built.sort_unstable();
        // Alerts come in parts of their own (`part_batches` of `OrganizationPart::Alerts`).
        let alerts = OrganizationPart::Alerts {
            connector: "c".into(),
            organization: "o".into(),
            alerts: Vec::new(),
        };
        for area in part_batches("run", &alerts) {
            for (def, batch) in area.unwrap() {
                assert_eq!(batch.schema(), def.arrow_schema(), "{}", def.name);
                built.push(def.name);
            }
        }
        built.sort_unstable();
        let mut expected: Vec<&str> = tables_of(TableRole::Inventory)
            .map(|t| t.name)
            .chain(["crawl_coverage", "identity_coverage"])
            .collect();
        expected.sort_unstable();
        assert_eq!(built, expected);
    }

    #[test]
    fn dataset_docs_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dataset.md");
        let expected = markdown();
        if std::env::var_os("ADO_POSTURE_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == expected,
            "docs/dataset.md is stale: run ADO_POSTURE_UPDATE_DOCS=1 cargo test --lib tables::tests::dataset_docs_are_current"
        );
    }

    #[test]
    fn column_names_are_unique_and_documented() {
        for t in ALL_TABLES.iter() {
            let cols = t.all_columns();
            let mut names: Vec<_> = cols.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), cols.len(), "duplicate column in {}", t.name);
            assert!(
                cols.iter().all(|c| !c.doc.is_empty()),
                "undocumented column in {}",
                t.name
            );
            assert!(
                !cols.iter().any(|c| c.name == "snapshot_date"),
                "{}: snapshot_date is the partition",
                t.name
            );
        }
    }
}
