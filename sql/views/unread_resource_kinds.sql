-- view: unread_resource_kinds
-- description: One row per (project, resource kind) the crawl could not read, shaped as a rule's "not evaluated" row: rules add the kinds they judge with UNION ALL, so a refused list is never read as "no resources, nothing wrong".
SELECT connector, organization, project_id, project, resource_kind,
       project_id AS resource_id, project AS resource_name,
       'not_evaluated' AS result,
       REPLACE(resource_kind, '_', ' ') || ' could not be read: ' || status || COALESCE(' (' || reason || ')', '') AS details
FROM crawl_coverage
WHERE status <> 'read'
