-- id: ADO-SC-006
-- title: GitHub service connections do not use a personal access token
-- severity: medium
-- resource_kind: service_connection
-- description: The GitHub service connection authenticates with a personal access token: a long-lived credential of one person, with every repository that person can reach, which stops working (or keeps working) with that person's account.
-- remediation: Create a GitHub connection with "Azure Pipelines" GitHub App (InstallationToken) or OAuth, move the pipelines to it, delete this connection and revoke the token on GitHub.
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#github-service-connection
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.ServiceConnections.GitHubPAT (Severe)
--
-- Scheme `Token` (what the portal saves for a PAT) or `PersonalAccessToken`, case-insensitively.
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result, 'GitHub connection authenticates with a personal access token (' || c.authorization_scheme || ')' AS details
FROM service_connections c
WHERE LOWER(c.type) = 'github' AND LOWER(COALESCE(c.authorization_scheme, '')) IN ('token', 'personalaccesstoken')
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
