-- id: ADO-PIPE-012
-- title: Shell task arguments are sanitized
-- severity: medium
-- resource_kind: project
-- description: "Enable shell tasks arguments validation" is off: arguments passed to shell tasks are not checked for command injection.
-- remediation: Project settings > Pipelines > Settings: turn on "Enable shell tasks arguments validation" (enableShellTasksArgsSanitizing).
-- references: PSRule: Azure.ADO.Project.ShellTasksArgsSanitizing | https://learn.microsoft.com/azure/devops/pipelines/security/inputs#shellTasksArgsSanitizing
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'shell task arguments are not sanitized'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(enable_shell_tasks_args_sanitizing, false))
