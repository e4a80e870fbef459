-- Classic (designer) pipelines, which Microsoft recommends replacing with YAML pipelines.
SELECT organization, project, pipeline, pipeline_id, repository
FROM latest_pipelines
WHERE process_type = 1
ORDER BY organization, project, pipeline
