-- id: ADO-REPO-004
-- title: Default branch has a branch policy
-- severity: high
-- resource_kind: repository
-- description: No enabled, blocking branch policy of any type covers the repository's default branch: anyone with Contribute permission can push straight to it, without review or build.
-- remediation: Project settings > Repositories > (repository) > Policies > Branch policies > (default branch): turn on at least "Require a minimum number of reviewers" and "Build validation" (or set them for every repository of the project under Project settings > Repositories > Policies).
-- references: https://learn.microsoft.com/azure/devops/repos/git/branch-policies
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Repos.HasDefaultBranchPolicy (Critical)
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch;
-- match kinds compared case-insensitively) and branch_policy_repositories (repositories with a
-- default branch, not disabled, and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE true
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking branch policy of any type covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
