//! The findings table: one row per (rule, resource) that fails a recommendation in a snapshot.

use super::ColumnType::Utf8;
use super::{TableDef, required};

pub const FINDINGS: TableDef = TableDef {
    name: "findings",
    doc: "One row per (rule, resource) that fails a recommendation in the snapshot.",
    project_scoped: true,
    columns: &[
        required(
            "finding_id",
            Utf8,
            "Stable id of the (rule, resource) pair: `<rule_id>:<connector>/<organization>/<resource_id>`; the same across snapshots.",
        ),
        required(
            "rule_id",
            Utf8,
            "Id of the recommendation, e.g. `ADO-REPO-001`.",
        ),
        required("severity", Utf8, "`high`, `medium` or `low`."),
        required("title", Utf8, "Title of the recommendation."),
        required(
            "resource_kind",
            Utf8,
            "Kind of the failing resource, e.g. `repository`.",
        ),
        required("resource_id", Utf8, "Id of the failing resource."),
        required("resource_name", Utf8, "Name of the failing resource."),
        required(
            "status",
            Utf8,
            "`new` (not failing in the previous snapshot) or `persisting`.",
        ),
        required("details", Utf8, "Why the resource fails, in one sentence."),
    ],
};
