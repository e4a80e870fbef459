//! Typed views of the Azure DevOps responses the crawler reads.
//!
//! Every field the service may leave out is optional or defaulted, and unknown fields are
//! ignored, so older (Server) and newer responses parse alike. The raw JSON of each object is
//! kept beside its typed view ([`Parsed`]) for the tables' `raw` column.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `{"count": N, "value": [...]}`: the envelope of every list endpoint.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(default)]
    pub count: Option<u64>,
    pub value: Vec<T>,
}

/// An object parsed into its typed view, with its JSON text as the service sent it.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub item: T,
    pub raw: String,
}

/// An object of a body decoded straight into its typed view and its JSON text: a list of them
/// (`Envelope<Parsed<T>>`) holds one object's JSON tree at a time, not the whole list's (about
/// five times the body for 10,000 repositories).
impl<'de, T: DeserializeOwned> Deserialize<'de> for Parsed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let item = T::deserialize(&value).map_err(serde::de::Error::custom)?;
        Ok(Parsed {
            item,
            raw: value.to_string(),
        })
    }
}

/// Parses each raw object of a list; an object that does not fit is reported, not dropped silently.
pub fn parse_items<T: DeserializeOwned>(
    values: Vec<serde_json::Value>,
) -> Result<Vec<Parsed<T>>, serde_json::Error> {
    values.into_iter().map(Parsed::deserialize).collect()
}

/// `GET _apis/profile/profiles/me` (app.vssps.visualstudio.com).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// One entry of `GET _apis/accounts?memberId=` (app.vssps.visualstudio.com).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub account_id: String,
    pub account_name: String,
    #[serde(default)]
    pub account_uri: Option<String>,
}

/// A team project (`GET {org}/_apis/projects`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub state: Option<String>,
    /// `private`, `public` or `organization` (the last is missing from the 7.1 spec enum).
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub revision: Option<i64>,
    #[serde(default)]
    pub last_update_time: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ProjectRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A Git repository (`GET {org}/_apis/git/repositories`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitRepository {
    pub id: String,
    pub name: String,
    pub project: ProjectRef,
    /// Missing on an empty repository.
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub is_disabled: Option<bool>,
    #[serde(default)]
    pub is_fork: Option<bool>,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub web_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTypeRef {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A policy configuration (`GET {org}/{project}/_apis/policy/configurations`).
/// `settings` differs per type and stays JSON; the tables stage flattens what it knows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyConfiguration {
    pub id: i64,
    #[serde(default)]
    pub revision: Option<i64>,
    #[serde(rename = "type")]
    pub policy_type: PolicyTypeRef,
    #[serde(default)]
    pub is_enabled: bool,
    #[serde(default)]
    pub is_blocking: bool,
    #[serde(default)]
    pub is_deleted: bool,
    #[serde(default)]
    pub settings: serde_json::Value,
}

/// One entry of a policy's `settings.scope[]`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PolicyScope {
    /// `None` = every repository of the project.
    #[serde(default)]
    pub repository_id: Option<String>,
    #[serde(default)]
    pub ref_name: Option<String>,
    /// `Exact`, `Prefix` or `DefaultBranch`.
    #[serde(default)]
    pub match_kind: Option<String>,
}

impl PolicyConfiguration {
    /// The scopes of the policy; a policy without any is treated as one project-wide scope.
    pub fn scopes(&self) -> Vec<PolicyScope> {
        match self.settings.get("scope") {
            Some(scope) => serde_json::from_value(scope.clone()).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    pub fn setting_i64(&self, key: &str) -> Option<i64> {
        self.settings.get(key).and_then(|v| v.as_i64())
    }

    pub fn setting_bool(&self, key: &str) -> Option<bool> {
        self.settings.get(key).and_then(|v| v.as_bool())
    }
}

/// A service connection (`GET {org}/{project}/_apis/serviceendpoint/endpoints`). Older servers
/// leave out `isShared`, `owner` and the project references.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEndpoint {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub endpoint_type: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub authorization: Option<EndpointAuthorization>,
    #[serde(default)]
    pub is_shared: Option<bool>,
    #[serde(default)]
    pub is_ready: Option<bool>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub service_endpoint_project_references: Vec<serde_json::Value>,
    /// Type-specific data, e.g. `scopeLevel` (`Subscription`, `ManagementGroup`, …) of Azure
    /// Resource Manager connections.
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

impl ServiceEndpoint {
    /// `data.scopeLevel` of an Azure connection, e.g. `Subscription` or `ManagementGroup`.
    pub fn scope_level(&self) -> Option<&str> {
        self.data.as_ref()?.get("scopeLevel")?.as_str()
    }

    /// `authorization.parameters.scope`: the Azure scope a connection's identity was granted
    /// (e.g. `/subscriptions/{id}/resourcegroups/{name}`), when the connection names one.
    pub fn authorization_scope(&self) -> Option<&str> {
        self.authorization
            .as_ref()?
            .parameters
            .as_ref()?
            .get("scope")?
            .as_str()
    }
}

#[derive(Debug, Deserialize)]
pub struct EndpointAuthorization {
    #[serde(default)]
    pub scheme: Option<String>,
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
}

/// A variable group (`GET {org}/{project}/_apis/distributedtask/variablegroups`). Secret values
/// always come back null with `isSecret: true`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableGroup {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type", default)]
    pub group_type: Option<String>,
    #[serde(default)]
    pub variables: std::collections::BTreeMap<String, Variable>,
    #[serde(default)]
    pub provider_data: Option<KeyVaultProvider>,
    #[serde(default)]
    pub is_shared: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    #[serde(default)]
    pub is_secret: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyVaultProvider {
    #[serde(default)]
    pub vault: Option<String>,
    #[serde(default)]
    pub service_endpoint_id: Option<String>,
}

/// One entry of `GET {org}/{project}/_apis/build/authorizedresources?type=`: a resource
/// authorized for every pipeline of the project.
#[derive(Debug, Deserialize)]
pub struct AuthorizedResource {
    #[serde(rename = "type", default)]
    pub resource_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub authorized: bool,
}

/// An agent pool (`GET {org}/_apis/distributedtask/pools`), organization-wide.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentPool {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub is_hosted: Option<bool>,
    #[serde(default)]
    pub pool_type: Option<String>,
    /// New projects get a queue to this pool automatically.
    #[serde(default)]
    pub auto_provision: Option<bool>,
}

/// An agent queue (`GET {org}/{project}/_apis/distributedtask/queues`): a pool as a project sees it.
#[derive(Debug, Deserialize)]
pub struct AgentQueue {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub pool: Option<AgentPool>,
}

/// A secure file (`GET {org}/{project}/_apis/distributedtask/securefiles`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecureFile {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub modified_on: Option<String>,
}

/// A deployment environment (`GET {org}/{project}/_apis/distributedtask/environments`).
#[derive(Debug, Deserialize)]
pub struct Environment {
    pub id: i64,
    pub name: String,
}

/// A build definition (`GET {org}/{project}/_apis/build/definitions?includeAllProperties=true`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub process: Option<BuildProcess>,
    #[serde(default)]
    pub repository: Option<BuildRepository>,
    #[serde(default)]
    pub triggers: Vec<serde_json::Value>,
    /// `projectCollection` or `project` (some servers send the numeric enum).
    #[serde(default)]
    pub job_authorization_scope: Option<serde_json::Value>,
    #[serde(default)]
    pub variables: std::collections::BTreeMap<String, Variable>,
    /// The default agent queue, with its pool (`queue.pool.isHosted`).
    #[serde(default)]
    pub queue: Option<DefinitionQueue>,
}

/// A definition's default queue; every field optional, so an odd queue never costs the
/// definition.
#[derive(Debug, Default, Deserialize)]
pub struct DefinitionQueue {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub pool: Option<DefinitionPool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionPool {
    #[serde(default)]
    pub is_hosted: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildProcess {
    /// 1 = classic designer, 2 = YAML.
    #[serde(rename = "type", default)]
    pub process_type: Option<i64>,
    #[serde(default)]
    pub yaml_filename: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct BuildRepository {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "type", default)]
    pub repository_type: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// The `forks` block of a definition's pull-request trigger.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForkSettings {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub allow_secrets: bool,
    #[serde(default)]
    pub allow_full_access_token: bool,
}

impl BuildDefinition {
    /// The pull-request trigger (`triggerType` compared case-insensitively).
    fn pull_request_trigger(&self) -> Option<&serde_json::Value> {
        self.triggers.iter().find(|t| {
            t.get("triggerType")
                .and_then(|v| v.as_str())
                .is_some_and(|v| v.eq_ignore_ascii_case("pullRequest"))
        })
    }

    /// `pipelineTriggerSettings` of the pull-request trigger: the fork settings in effect, which
    /// the service combines from the pipeline, its project and its organization.
    pub fn pipeline_trigger_setting(&self, key: &str) -> Option<bool> {
        self.pull_request_trigger()?
            .get("pipelineTriggerSettings")?
            .get(key)?
            .as_bool()
    }

    /// The pull-request trigger's fork settings: `None` without a pull-request trigger.
    pub fn pull_request_forks(&self) -> Option<ForkSettings> {
        self.pull_request_trigger().map(|t| {
            t.get("forks")
                .and_then(|f| serde_json::from_value(f.clone()).ok())
                .unwrap_or_default()
        })
    }

    /// `isCommentRequiredForPullRequest` of the pull-request trigger; `None` without one.
    pub fn pull_request_comment_required(&self) -> Option<bool> {
        self.pull_request_trigger().map(|t| {
            t.get("isCommentRequiredForPullRequest")
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        })
    }

    pub fn job_authorization_scope(&self) -> Option<String> {
        match &self.job_authorization_scope {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(match n.as_i64() {
                Some(1) => "projectCollection".to_string(),
                Some(2) => "project".to_string(),
                _ => n.to_string(),
            }),
            _ => None,
        }
    }
}

/// A check or approval on a protected resource (`POST …/_apis/pipelines/checks/queryconfigurations`).
#[derive(Debug, Deserialize)]
pub struct CheckConfiguration {
    pub id: i64,
    #[serde(rename = "type")]
    pub check_type: CheckType,
    pub resource: CheckResource,
    /// Minutes the check may take.
    #[serde(default)]
    pub timeout: Option<i64>,
    /// Type-specific settings, e.g. an approval's `requesterCannotBeApprover` and
    /// `minRequiredApprovers` (with `$expand=settings`).
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct CheckType {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CheckResource {
    #[serde(rename = "type")]
    pub resource_type: String,
    /// A string in the API (GUIDs, and integer ids as text).
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `GET …/_apis/pipelines/pipelinepermissions/{type}/{id}`: who may use a protected resource.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelinePermissions {
    #[serde(default)]
    pub all_pipelines: Option<AllPipelines>,
    #[serde(default)]
    pub pipelines: Vec<PipelinePermission>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AllPipelines {
    #[serde(default)]
    pub authorized: bool,
}

#[derive(Debug, Deserialize)]
pub struct PipelinePermission {
    pub id: i64,
    #[serde(default)]
    pub authorized: bool,
}

impl PipelinePermissions {
    pub fn open_to_all(&self) -> bool {
        self.all_pipelines.as_ref().is_some_and(|a| a.authorized)
    }

    /// Ids of the pipelines authorized one by one.
    pub fn authorized_pipelines(&self) -> Vec<i64> {
        self.pipelines
            .iter()
            .filter(|p| p.authorized)
            .map(|p| p.id)
            .collect()
    }
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// `GET advsec/{org}/_apis/management/enablement` (7.2-preview.3): every repository's state.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvSecEnablement {
    #[serde(default)]
    pub repos_enablement_status: Vec<RepoEnablement>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoEnablement {
    #[serde(default)]
    pub project_id: Option<String>,
    pub repository_id: String,
    #[serde(default)]
    pub code_security_features: Option<CodeSecurityFeatures>,
    #[serde(default)]
    pub secret_protection_features: Option<SecretProtectionFeatures>,
    /// The older preview (7.2-preview.1) shape.
    #[serde(default)]
    pub adv_sec_enabled: Option<bool>,
    #[serde(default)]
    pub block_pushes: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSecurityFeatures {
    #[serde(default)]
    pub code_security_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretProtectionFeatures {
    #[serde(default)]
    pub secret_protection_enabled: Option<bool>,
    #[serde(default)]
    pub block_pushes: Option<bool>,
}

impl RepoEnablement {
    pub fn code_security(&self) -> bool {
        self.code_security_features
            .as_ref()
            .and_then(|f| f.code_security_enabled)
            .or(self.adv_sec_enabled)
            .unwrap_or(false)
    }

    pub fn secret_protection(&self) -> bool {
        self.secret_protection_features
            .as_ref()
            .and_then(|f| f.secret_protection_enabled)
            .or(self.adv_sec_enabled)
            .unwrap_or(false)
    }

    pub fn block_pushes(&self) -> bool {
        self.secret_protection_features
            .as_ref()
            .and_then(|f| f.block_pushes)
            .or(self.block_pushes)
            .unwrap_or(false)
    }
}

/// One Advanced Security alert of a repository.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub alert_id: i64,
    #[serde(default)]
    pub alert_type: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub first_seen_date: Option<String>,
    #[serde(default)]
    pub git_ref: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of a fixture in ../shared/ado-api (both spec and recorded layouts).
    fn fixture_body(text: &str) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["responses"]["200"]["body"].clone()
    }

    fn list<T: DeserializeOwned>(text: &str) -> Vec<Parsed<T>> {
        let env: Envelope<serde_json::Value> = serde_json::from_value(fixture_body(text)).unwrap();
        parse_items(env.value).unwrap()
    }

    #[test]
    fn parses_checks_and_pipeline_permissions_fixtures() {
        let checks = list::<CheckConfiguration>(include_str!(
            "../../../shared/ado-api/pipelines.checks.configurations.list.json"
        ));
        assert_eq!(checks.len(), 4);
        assert_eq!(
            checks[0].item.check_type.id,
            "8c6f20a7-a545-4486-9777-f762fafe0d4d"
        );
        assert_eq!(checks[0].item.resource.resource_type, "queue");
        assert_eq!(checks[0].item.resource.id, "1");
        let permissions: PipelinePermissions = serde_json::from_value(fixture_body(include_str!(
            "../../../shared/ado-api/pipelines.pipelinepermissions.get.json"
        )))
        .unwrap();
        assert!(!permissions.open_to_all());
        assert_eq!(permissions.authorized_pipelines(), [6, 15, 16]);
    }

    #[test]
    fn parses_profile_and_accounts_fixtures() {
        let p: Profile = serde_json::from_value(fixture_body(include_str!(
            "../../../shared/ado-api/profile.me.json"
        )))
        .unwrap();
        assert_eq!(p.id, "d6245f20-2af8-44f4-9451-8107cb2767db");
        let a = list::<Account>(include_str!("../../../shared/ado-api/accounts.list.json"));
        assert_eq!(a[0].item.account_name, "Fabrikam-Fiber-Inc");
    }

    #[test]
    fn parses_project_fixtures_including_organization_visibility() {
        let recorded = list::<Project>(include_str!(
            "../../../shared/ado-api/projects.list.recorded.json"
        ));
        assert!(
            recorded
                .iter()
                .any(|p| p.item.visibility.as_deref() == Some("organization"))
        );
        let spec = list::<Project>(include_str!("../../../shared/ado-api/projects.list.json"));
        assert!(!spec.is_empty());
        assert!(spec[0].raw.contains(&spec[0].item.id));
    }

    #[test]
    fn parses_repository_fixtures_with_disabled_and_empty_repos() {
        let recorded = list::<GitRepository>(include_str!(
            "../../../shared/ado-api/git.repositories.list.recorded.json"
        ));
        assert!(recorded.iter().any(|r| r.item.is_disabled == Some(true)));
        let spec = list::<GitRepository>(include_str!(
            "../../../shared/ado-api/git.repositories.list.json"
        ));
        assert!(!spec.is_empty());
    }

    #[test]
    fn parses_library_fixtures() {
        let endpoints = list::<ServiceEndpoint>(include_str!(
            "../../../shared/ado-api/serviceendpoint.endpoints.list.json"
        ));
        assert_eq!(
            endpoints[0]
                .item
                .authorization
                .as_ref()
                .unwrap()
                .scheme
                .as_deref(),
            Some("UsernamePassword")
        );
        assert_eq!(
            endpoints[0].item.service_endpoint_project_references.len(),
            1
        );
        let groups = list::<VariableGroup>(include_str!(
            "../../../shared/ado-api/distributedtask.variablegroups.list.json"
        ));
        assert_eq!(groups.len(), 2);
        let one: VariableGroup = serde_json::from_value(fixture_body(include_str!(
            "../../../shared/ado-api/distributedtask.variablegroups.get.json"
        )))
        .unwrap();
        assert!(one.variables.values().any(|v| v.is_secret == Some(true)));
        let authorized = list::<AuthorizedResource>(include_str!(
            "../../../shared/ado-api/build.authorizedresources.list.recorded.json"
        ));
        assert!(authorized[0].item.authorized);
        assert_eq!(authorized[0].item.id, "47");
    }

    #[test]
    fn parses_pool_and_queue_fixtures() {
        let pools = list::<AgentPool>(include_str!(
            "../../../shared/ado-api/distributedtask.pools.list.recorded.json"
        ));
        assert!(pools.iter().any(|p| p.item.is_hosted == Some(true)));
        let queues = list::<AgentQueue>(include_str!(
            "../../../shared/ado-api/distributedtask.queues.list.recorded.json"
        ));
        assert!(queues.iter().all(|q| q.item.pool.is_some()));
        let spec = list::<AgentQueue>(include_str!(
            "../../../shared/ado-api/distributedtask.queues.list.json"
        ));
        assert!(!spec.is_empty());
    }

    #[test]
    fn parses_build_definition_fixtures() {
        let yaml: BuildDefinition = serde_json::from_value(fixture_body(include_str!(
            "../../../shared/ado-api/build.definitions.get.recorded.json"
        )))
        .unwrap();
        assert_eq!(yaml.process.as_ref().and_then(|p| p.process_type), Some(2));
        assert_eq!(
            yaml.job_authorization_scope().as_deref(),
            Some("projectCollection")
        );
        assert!(yaml.pull_request_forks().is_none());
        let classic: BuildDefinition = serde_json::from_value(fixture_body(include_str!(
            "../../../shared/ado-api/build.definitions.get.json"
        )))
        .unwrap();
        assert!(classic.id > 0);
        let list = list::<BuildDefinition>(include_str!(
            "../../../shared/ado-api/build.definitions.list.recorded.json"
        ));
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn parses_policy_fixture_with_missing_is_deleted_and_scopes() {
        let policies = list::<PolicyConfiguration>(include_str!(
            "../../../shared/ado-api/policy.configurations.list.json"
        ));
        assert_eq!(policies.len(), 3);
        let min = policies
            .iter()
            .find(|p| p.item.policy_type.id == "fa4e907d-c16b-4a4c-9dfa-4906e5d171dd")
            .unwrap();
        assert_eq!(min.item.setting_i64("minimumApproverCount"), Some(1));
        assert!(!min.item.is_deleted);
        let required = &policies[0].item;
        let scopes = required.scopes();
        assert_eq!(scopes.len(), 3);
        assert_eq!(scopes[1].match_kind.as_deref(), Some("Prefix"));
        assert!(scopes[0].repository_id.is_none());
    }
}
