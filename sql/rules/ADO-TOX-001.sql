-- id: ADO-TOX-001
-- title: Fork builds that get secrets cannot reach an ungated service connection open to all pipelines
-- severity: critical
-- resource_kind: service_connection
-- description: Attack path across resources. A pipeline of the project builds pull requests from forks with secrets made available, and the service connection is open to every pipeline of that project with no approval or check: a fork's author changes the pipeline in the pull request and runs it with the connection's credentials. Each of ADO-PIPE-001, ADO-SC-001 and ADO-SC-004 sees one side; this is the path they make together, judged per project the connection is available in.
-- remediation: Close the path at any step, best at all: stop making secrets available to fork builds (Project settings > Pipelines > Settings > "Limit secrets to fork builds", or the pipeline's trigger); remove "Open access" from the service connection (Pipeline permissions); add an Approval or a Branch control check to it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/security/repos#forks, https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#pipeline-permissions
-- defender: none
-- azsk: none (a combination of ADO_Build_DP_Dont_Make_Secrets_Available_To_Forked_Builds and ADO_ServiceConnection_AuthZ_Dont_Grant_All_Pipelines_Access)
-- psrule: none
--
-- Fork builds with secrets: pipeline_fork_exposure.fork_secrets. Open in the project:
-- service_connection_projects. Gated: a check other than an exclusive lock on the connection
-- (under its owning project). Projects whose checks could not be read are not judged here.
WITH fork_secret_projects AS (
    SELECT DISTINCT connector, organization, project_id
    FROM pipeline_fork_exposure
    WHERE fork_secrets
)
SELECT sp.connector, sp.organization, sp.project_id, sp.project,
       sp.project_id || '/' || sp.service_connection_id AS resource_id, sp.service_connection AS resource_name,
       'fail' AS result,
       'a fork build of this project gets secrets and can use this connection: it is open to all pipelines and has no approval or check' AS details
FROM service_connection_projects sp
JOIN service_connections c
  ON c.connector = sp.connector AND c.organization = sp.organization AND c.service_connection_id = sp.service_connection_id
JOIN fork_secret_projects f
  ON f.connector = sp.connector AND f.organization = sp.organization AND f.project_id = sp.project_id
WHERE sp.open_to_all_pipelines
  AND c.project_id || '/' || LOWER(c.service_connection_id) NOT IN (
      SELECT k.project_id || '/' || LOWER(k.resource_id) FROM checks k
      WHERE LOWER(k.resource_type) = 'endpoint' AND LOWER(k.check_type_id) <> '2ef31ad6-baa0-403a-8b45-2cbc9b4e5563')
  AND c.project_id NOT IN (
      SELECT u.project_id FROM crawl_coverage u WHERE u.resource_kind = 'checks' AND u.status <> 'read')
