-- id: ADO-PIPE-011
-- title: Variables settable at queue time are limited
-- severity: medium
-- resource_kind: project
-- description: Any pipeline variable can be set when a run is queued, so whoever can queue a run can change the build's behaviour (e.g. inject commands through a variable).
-- remediation: Project settings > Pipelines > Settings: turn on "Limit variables that can be set at queue time" (enforceSettableVar), then mark only the variables meant to be set as "Let users override this value when running this pipeline".
-- references: AzSK: ADO_Project_SI_Limit_Variables_Settable_At_Queue_Time | PSRule: Azure.ADO.Project.SettableVariables | https://learn.microsoft.com/azure/devops/pipelines/process/variables#limit-variables-that-can-be-set-at-queue-time
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'any variable can be set at queue time'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(enforce_settable_var, false))
