-- Projects whose pipeline general settings leave the job token unscoped or classic pipeline
-- creation on; projects whose settings could not be read show their status.
SELECT organization, project, status, enforce_job_auth_scope, enforce_referenced_repo_scoped_token,
       disable_classic_pipeline_creation
FROM latest_pipeline_settings
WHERE status <> 'read'
   OR NOT enforce_job_auth_scope
   OR NOT enforce_referenced_repo_scoped_token
   OR NOT disable_classic_pipeline_creation
ORDER BY organization, project
