//! Repositories' protection: the branch policies of each project (projects and repositories
//! themselves are listed once per organization, in `organization.rs`).

use super::Coverage;
use super::read::{PAGE_SIZE, ProjectScope};
use crate::ado::AdoError;
use crate::ado::models::{Parsed, PolicyConfiguration};

/// One project's branch policies. Refused ones are recorded, and the rules report the project's
/// repositories as not evaluated: a policy list that could not be read never reads as
/// "unprotected".
pub async fn branch_policies(
    scope: &ProjectScope<'_>,
    coverage: &mut Vec<Coverage>,
) -> Result<Vec<Parsed<PolicyConfiguration>>, AdoError> {
    let url = scope.url(
        &["_apis", "policy", "configurations"],
        &[("$top", PAGE_SIZE)],
    );
    scope
        .list_or_record("policy/configurations", "branch_policies", url, coverage)
        .await
}
