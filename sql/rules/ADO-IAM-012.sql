-- id: ADO-IAM-012
-- title: Broad groups cannot bypass policies or rewrite repositories
-- severity: high
-- resource_kind: permission
-- description: Contributors, Readers, Project Valid Users or Project Collection Valid Users are allowed to force push, bypass branch policies (on push or on pull request completion), edit policies, manage permissions, delete repositories or remove others' locks: every member of the project can undo its branch protection.
-- remediation: Project settings > Repositories > Security (or the repository's Security tab): set these permissions of the group to Not set or Deny; grant them to a small named group only.
-- references: https://learn.microsoft.com/azure/devops/repos/git/set-git-repository-permissions
-- defender: none
-- azsk: ADO_Project_AuthZ_Restrict_Broader_Group_Access_on_Repo (High)
-- psrule: Azure.DevOps.Project.MainRepositoryAcl.ProjectValidUsers (ADO-PRJ-004)
--
-- Reads permissions (Git repositories namespace; allowed = explicit or inherited allow, and no deny) of the well-known broad
-- groups, on every token: all repositories of a project, or one repository. One finding per (group, token). Not evaluated
-- where groups or the namespace's access control lists could not be read.
WITH granted AS (
    SELECT connector, organization, project_id, project, token, resource_id, identity_descriptor,
           MIN(COALESCE(identity_name, identity_descriptor)) AS identity_name,
           MIN(action) AS action, COUNT(*) AS n
    FROM permissions
    WHERE namespace = 'git_repositories' AND allowed AND well_known IN ('contributors', 'readers', 'project_valid_users', 'project_collection_valid_users')
      AND action IN ('ForcePush', 'PolicyExempt', 'PullRequestBypassPolicy', 'ManagePermissions', 'EditPolicies', 'DeleteRepository', 'RemoveOthersLocks')
    GROUP BY connector, organization, project_id, project, token, resource_id, identity_descriptor
)
SELECT p.connector, p.organization, p.project_id, p.project,
       p.identity_descriptor || ' ' || p.token AS resource_id,
       p.identity_name || ' on ' || CASE WHEN p.resource_id IS NULL THEN 'all repositories of the project' ELSE p.resource_id END AS resource_name,
       'fail' AS result,
       p.identity_name || ' is allowed ' || p.action
         || CASE WHEN p.n > 1 THEN ' and ' || CAST(p.n - 1 AS STRING) || ' more of: ForcePush, PolicyExempt, PullRequestBypassPolicy, ManagePermissions, EditPolicies, DeleteRepository, RemoveOthersLocks' ELSE '' END
         || ' on ' || p.token AS details
FROM granted p
LEFT JOIN identity_gaps x ON x.connector = p.connector AND x.organization = p.organization
WHERE x.graph IS NULL AND x.git_permissions IS NULL
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, COALESCE(graph, git_permissions) AS details
FROM identity_gaps
WHERE COALESCE(graph, git_permissions) IS NOT NULL
