-- id: ADO-IAM-014
-- title: Broad groups cannot administer pipelines
-- severity: medium
-- resource_kind: permission
-- description: Contributors, Readers or the valid-users groups are allowed to administer build permissions, destroy builds, override check-in validation or manage the build queue: any member of the project can grant themselves more or erase the evidence of a build.
-- remediation: Project settings > Pipelines > Security (or the pipeline's Security): set these permissions of the group to Not set or Deny.
-- references: https://learn.microsoft.com/azure/devops/pipelines/policies/permissions
-- defender: none
-- azsk: ADO_Project_AuthZ_Restrict_Broader_Group_Access_on_Builds (High)
-- psrule: Azure.DevOps.Project.MainPipelineAcl.ProjectValidUsers (ADO-PRJ-002)
--
-- Reads permissions (Build namespace) of the well-known broad groups on the project or a pipeline. Editing and deleting
-- pipelines is left out: Contributors hold it by default. One finding per (group, token).
WITH granted AS (
    SELECT connector, organization, project_id, project, token, resource_id, identity_descriptor,
           MIN(COALESCE(identity_name, identity_descriptor)) AS identity_name,
           MIN(action) AS action, COUNT(*) AS n
    FROM permissions
    WHERE namespace = 'build' AND allowed AND well_known IN ('contributors', 'readers', 'project_valid_users', 'project_collection_valid_users')
      AND action IN ('AdministerBuildPermissions', 'DestroyBuilds', 'OverrideBuildCheckInValidation', 'ManageBuildQueue')
    GROUP BY connector, organization, project_id, project, token, resource_id, identity_descriptor
)
SELECT p.connector, p.organization, p.project_id, p.project,
       p.identity_descriptor || ' ' || p.token AS resource_id,
       p.identity_name || ' on ' || CASE WHEN p.resource_id IS NULL THEN 'all pipelines of the project' ELSE p.resource_id END AS resource_name,
       'fail' AS result,
       p.identity_name || ' is allowed ' || p.action
         || CASE WHEN p.n > 1 THEN ' and ' || CAST(p.n - 1 AS STRING) || ' more of: AdministerBuildPermissions, DestroyBuilds, OverrideBuildCheckInValidation, ManageBuildQueue' ELSE '' END
         || ' on ' || p.token AS details
FROM granted p
LEFT JOIN identity_gaps x ON x.connector = p.connector AND x.organization = p.organization
WHERE x.graph IS NULL AND x.build_permissions IS NULL
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, COALESCE(graph, build_permissions) AS details
FROM identity_gaps
WHERE COALESCE(graph, build_permissions) IS NOT NULL
