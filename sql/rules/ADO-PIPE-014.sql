-- id: ADO-PIPE-014
-- title: The project builds forks securely
-- severity: high
-- resource_kind: project
-- description: Fork protection in force (project or organization) does not stop builds of pull requests from forks from getting secrets or a full-access job token: it is off, or it builds forks without "Securely build pull requests from forked repositories" (enforceNoAccessToSecretsFromForks, enforceJobAuthScopeForForks). One setting, one rule: it replaces ADO-PIPE-015.
-- remediation: Project settings (or Organization settings) > Pipelines > Settings: turn on "Limit building pull requests from forked GitHub repositories" and pick "Securely build pull requests from forked repositories" (or "Do not build pull requests from forked repositories").
-- references: https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
-- defender: none
-- azsk: ADO_Project_SI_Apply_Secure_Policy_For_PRBuildTrigger_From_ForkedRepo (High)
-- psrule: Azure.DevOps.Pipelines.Settings.RestrictSecretsForPullRequestFromFork (Critical)
--
-- Reads effective_pipeline_settings (sql/views/): the project's value, or the organization's when
-- it enforces the setting. Not evaluated where the project's settings could not be read and the
-- organization does not enforce it.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read'
            THEN 'fork builds are not kept from secrets and full-access tokens' || CASE WHEN org_read THEN ' (project and organization)' ELSE ' (the settings of the organization could not be read)' END
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM effective_pipeline_settings
WHERE NOT (forks_kept_from_secrets AND forks_token_limited)
