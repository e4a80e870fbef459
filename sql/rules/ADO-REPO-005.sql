-- id: ADO-REPO-005
-- title: Build validation is required on the default branch
-- severity: medium
-- resource_kind: repository
-- description: No enabled, blocking "Build" (build validation) policy covers the default branch, so pull requests can be completed without a successful build and its tests and scans.
-- remediation: Default branch > Branch policies > Build Validation > +: pick the pipeline that builds and tests the repository, set "Policy requirement" to Required and "Build expiration" as needed (policy type 0609b952-1397-4640-95ec-e00a01b2c241).
-- references: PSRule: Azure.ADO.Repos.Policies.BuildValidation (ADO-RP-013) | https://learn.microsoft.com/azure/devops/repos/git/branch-policies#build-validation
--
-- Reads default_branch_policies (sql/views/): enabled, blocking policies whose scope covers the
-- default branch exactly (repository or project-wide; exact, prefix or default-branch ref).
-- Empty (no default branch) and disabled repositories are not evaluated.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = '0609b952-1397-4640-95ec-e00a01b2c241'
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       'fail' AS result, 'no enabled, blocking build validation policy covers ' || r.default_branch AS details
FROM repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
  AND r.default_branch IS NOT NULL
  AND NOT r.is_disabled
  AND r.project_id NOT IN (
      SELECT project_id FROM crawl_coverage WHERE resource_kind = 'branch_policies' AND status <> 'read')
UNION ALL
-- Not evaluated: the project's branch policies could not be read.
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       'not_evaluated' AS result,
       'branch policies could not be read: ' || c.status || COALESCE(' (' || c.reason || ')', '') AS details
FROM repositories r
JOIN crawl_coverage c
  ON c.connector = r.connector AND c.organization = r.organization AND c.project_id = r.project_id
WHERE c.resource_kind = 'branch_policies' AND c.status <> 'read'
  AND r.default_branch IS NOT NULL AND NOT r.is_disabled
