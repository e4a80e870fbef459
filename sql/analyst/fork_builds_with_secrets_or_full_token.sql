-- Pipelines that build pull requests from forks and hand them secrets or a full-access token.
SELECT organization, project, pipeline, forks_allow_secrets, forks_allow_full_access_token
FROM latest_pipelines
WHERE forks_enabled AND (forks_allow_secrets OR forks_allow_full_access_token)
ORDER BY organization, project, pipeline
