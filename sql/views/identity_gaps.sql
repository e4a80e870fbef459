-- view: identity_gaps
-- description: One row per organization where some identity data could not be read (`identity_coverage` not `read`), with why, per what the identity rules need: `graph` (users or groups), `entitlements` (access levels and last sign-in), `git_permissions`, `build_permissions`; null where that part was read. The identity rules say "not evaluated" for these organizations, never "pass".
SELECT connector, organization,
       MIN(CASE WHEN resource_kind IN ('users', 'groups') THEN details END) AS graph,
       MIN(CASE WHEN resource_kind = 'user_entitlements' THEN details END) AS entitlements,
       MIN(CASE WHEN resource_kind = 'git_repositories_permissions' THEN details END) AS git_permissions,
       MIN(CASE WHEN resource_kind = 'build_permissions' THEN details END) AS build_permissions
FROM (
    SELECT connector, organization, resource_kind,
           resource_kind || ' could not be read: ' || status || COALESCE(' (' || reason || ')', '') AS details
    FROM identity_coverage
    WHERE status <> 'read'
) gaps
GROUP BY connector, organization
