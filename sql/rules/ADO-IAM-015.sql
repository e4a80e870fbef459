-- id: ADO-IAM-015
-- title: Build service identities cannot bypass policies or rewrite repositories
-- severity: high
-- resource_kind: permission
-- description: A build service identity (what every pipeline of the project, or of the organization, runs as) is allowed to force push, bypass branch policies, edit policies or manage permissions on repositories: any pipeline can push past the branch protection.
-- remediation: Project settings > Repositories > Security > "{Project} Build Service ({organization})" (and the collection build service): set these permissions to Not set or Deny.
-- references: https://learn.microsoft.com/azure/devops/repos/git/set-git-repository-permissions
-- defender: none
-- azsk: ADO_Repository_AuthZ_Dont_Grant_BuildSvcAcct_Permission (High)
-- psrule: none
--
-- Build service identities are recognised from the entry's descriptor (Microsoft.TeamFoundation.ServiceIdentity with
-- :Build:), so this rule needs the access control lists only. One finding per (identity, token).
WITH granted AS (
    SELECT connector, organization, project_id, project, token, resource_id, identity_descriptor,
           MIN(COALESCE(identity_name, identity_descriptor)) AS identity_name,
           MIN(action) AS action, COUNT(*) AS n
    FROM permissions
    WHERE namespace = 'git_repositories' AND allowed AND identity_kind = 'build_service'
      AND action IN ('ForcePush', 'PolicyExempt', 'PullRequestBypassPolicy', 'ManagePermissions', 'EditPolicies')
    GROUP BY connector, organization, project_id, project, token, resource_id, identity_descriptor
)
SELECT p.connector, p.organization, p.project_id, p.project,
       p.identity_descriptor || ' ' || p.token AS resource_id,
       p.identity_name || ' on ' || CASE WHEN p.resource_id IS NULL THEN 'all repositories of the project' ELSE p.resource_id END AS resource_name,
       'fail' AS result,
       p.identity_name || ' is allowed ' || p.action
         || CASE WHEN p.n > 1 THEN ' and ' || CAST(p.n - 1 AS STRING) || ' more of: ForcePush, PolicyExempt, PullRequestBypassPolicy, ManagePermissions, EditPolicies' ELSE '' END
         || ' on ' || p.token AS details
FROM granted p
LEFT JOIN identity_gaps x ON x.connector = p.connector AND x.organization = p.organization
WHERE x.git_permissions IS NULL
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, git_permissions AS details
FROM identity_gaps
WHERE git_permissions IS NOT NULL
