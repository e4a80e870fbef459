-- Which organizations each nightly run crawled or missed, and why: gaps in the history show here.
SELECT snapshot_date, connector, organization, organization_status, run_status, error_kind, repositories
FROM runs
ORDER BY snapshot_date, connector, organization
