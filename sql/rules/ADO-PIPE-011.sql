-- id: ADO-PIPE-011
-- title: Variables settable at queue time are limited
-- severity: medium
-- resource_kind: project
-- description: Any pipeline variable can be set when a run is queued, so whoever can queue a run can change the build's behaviour (e.g. inject commands through a variable).
-- remediation: Project settings > Pipelines > Settings: turn on "Limit variables that can be set at queue time" (enforceSettableVar), then mark only the variables meant to be set as "Let users override this value when running this pipeline".
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/variables#limit-variables-that-can-be-set-at-queue-time
-- defender: none
-- azsk: ADO_Project_SI_Limit_Variables_Settable_At_Queue_Time (Medium)
-- psrule: Azure.DevOps.Pipelines.Settings.LimitSetVariablesAtQueueTime (Severe)
--
-- Reads effective_pipeline_settings (sql/views/): the project's value, or the organization's when
-- it enforces the setting. Not evaluated where the project's settings could not be read and the
-- organization does not enforce it.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read'
            THEN 'any variable can be set at queue time' || CASE WHEN org_read THEN ' (project and organization)' ELSE ' (the settings of the organization could not be read)' END
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM effective_pipeline_settings
WHERE NOT (enforce_settable_var)
