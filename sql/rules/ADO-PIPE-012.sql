-- id: ADO-PIPE-012
-- title: Shell task arguments are sanitized
-- severity: medium
-- resource_kind: project
-- description: "Enable shell tasks arguments validation" is off: arguments passed to shell tasks are not checked for command injection.
-- remediation: Project settings > Pipelines > Settings: turn on "Enable shell tasks arguments validation" (enableShellTasksArgsSanitizing).
-- references: https://learn.microsoft.com/azure/devops/pipelines/security/inputs#enable-shell-tasks-arguments-parameter-validation
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Pipelines.Settings.SanitizeShellTaskArguments (Severe)
--
-- Reads effective_pipeline_settings (sql/views/): the project's value, or the organization's when
-- it enforces the setting. Not evaluated where the project's settings could not be read and the
-- organization does not enforce it.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read'
            THEN 'shell task arguments are not sanitized' || CASE WHEN org_read THEN ' (project and organization)' ELSE ' (the settings of the organization could not be read)' END
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM effective_pipeline_settings
WHERE NOT (enable_shell_tasks_args_sanitizing)
