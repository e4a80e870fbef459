-- Variable groups that hold secrets themselves instead of linking them from Azure Key Vault.
SELECT organization, project, variable_group, secret_variable_count, open_to_all_pipelines
FROM latest_variable_groups
WHERE secret_variable_count > 0
  AND (type IS NULL OR type <> 'AzureKeyVault')
ORDER BY secret_variable_count DESC, organization, project, variable_group
