-- Projects anyone on the internet can read (visibility public).
SELECT organization, project, project_id
FROM latest_projects
WHERE visibility = 'public'
ORDER BY organization, project
