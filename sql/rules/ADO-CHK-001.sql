-- id: ADO-CHK-001
-- title: Approvals do not let the requester approve their own run
-- severity: medium
-- resource_kind: approval
-- description: An Approval check on a protected resource (environment, service connection, …) lets the person who queued the run approve it (requesterCannotBeApprover off), so one person can both start and sign off a deployment.
-- remediation: Pipelines > Environments (or Project settings > Service connections) > (resource) > Approvals and checks > Approvals > Advanced: tick "Approvers cannot approve their own runs"; or PATCH the check configuration with settings.requesterCannotBeApprover = true.
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/approvals#approvals
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Pipelines.Releases.Definition.SelfApproval (Severe)
--
-- One finding per approval check (resource id `<project_id>/<check_id>`); a missing flag counts as off,
-- which is the service's default.
SELECT connector, organization, project_id, project,
       project_id || '/' || CAST(check_id AS STRING) AS resource_id,
       COALESCE(resource_name, resource_id) || ' (' || resource_type || ' approval)' AS resource_name,
       'fail' AS result, 'the requester may approve their own run' AS details
FROM checks
WHERE LOWER(check_type_id) = '8c6f20a7-a545-4486-9777-f762fafe0d4d' AND NOT COALESCE(requester_cannot_be_approver, false)
