-- Repositories every pipeline of their project may check out (needs a connector with
-- detailed_pipeline_permissions = true; otherwise the column is null and nothing is listed).
SELECT organization, project, repository, default_branch
FROM latest_repositories
WHERE open_to_all_pipelines
ORDER BY organization, project, repository
