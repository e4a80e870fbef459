-- view: identity_gaps
-- description: One row per (organization, identity resource kind) that could not be read (`identity_coverage` not `read`): the identity rules say "not evaluated" for these organizations, never "pass".
SELECT connector, organization, resource_kind, status,
       resource_kind || ' could not be read: ' || status || COALESCE(' (' || reason || ')', '') AS details
FROM identity_coverage
WHERE status <> 'read'
