-- id: ADO-REPO-005
-- title: Build validation is required on the default branch
-- severity: medium
-- resource_kind: repository
-- description: No enabled, blocking "Build" (build validation) policy covers the default branch, so pull requests can be completed without a successful build and its tests and scans.
-- remediation: Default branch > Branch policies > Build Validation > +: pick the pipeline that builds and tests the repository, set "Policy requirement" to Required and "Build expiration" as needed (policy type 0609b952-1397-4640-95ec-e00a01b2c241).
-- references: https://learn.microsoft.com/azure/devops/repos/git/branch-policies#build-validation
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Repos.DefaultBranchPolicyRequireBuild (Severe)
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch;
-- match kinds compared case-insensitively) and branch_policy_repositories (repositories with a
-- default branch, not disabled, and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = '0609b952-1397-4640-95ec-e00a01b2c241'
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking build validation policy covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
