-- view: branch_policy_repositories
-- description: The repositories branch-policy rules judge: every repository with a default branch that is not disabled, and whether its project's branch policies could be read (`policies_read`; when not, `policies_reason` says why and the rules report the repository as not evaluated).
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id, r.repository, r.default_branch,
       c.status IS NULL AS policies_read,
       'branch policies could not be read: ' || c.status || COALESCE(' (' || c.reason || ')', '') AS policies_reason
FROM repositories r
LEFT JOIN (
    SELECT connector, organization, project_id, status, reason
    FROM crawl_coverage
    WHERE resource_kind = 'branch_policies' AND status <> 'read'
) c
  ON c.connector = r.connector AND c.organization = r.organization AND c.project_id = r.project_id
WHERE r.default_branch IS NOT NULL AND NOT r.is_disabled
