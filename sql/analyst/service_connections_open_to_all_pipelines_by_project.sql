-- Service connections that every pipeline of their project may use, counted per project.
SELECT organization, project, COUNT(*) AS open_service_connections
FROM latest_service_connections
WHERE open_to_all_pipelines
GROUP BY organization, project
ORDER BY open_service_connections DESC, organization, project
