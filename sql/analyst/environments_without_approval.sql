-- Deployment environments with no Approval check, and whether every pipeline may use them.
SELECT e.organization, e.project, e.environment, e.open_to_all_pipelines
FROM latest_environments e
LEFT JOIN (
    SELECT DISTINCT connector, organization, project_id, resource_id
    FROM latest_checks
    WHERE resource_type = 'environment' AND check_type_id = '8c6f20a7-a545-4486-9777-f762fafe0d4d'
) a
  ON a.connector = e.connector AND a.organization = e.organization
 AND a.project_id = e.project_id AND a.resource_id = CAST(e.environment_id AS STRING)
WHERE a.resource_id IS NULL
ORDER BY e.organization, e.project, e.environment
