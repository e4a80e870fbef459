//! The simulated pipeline library of a project: service connections and variable groups, and
//! which of them are open to every pipeline. Generated from its own random stream, so adding it
//! left the rest of the estate (and its tests) unchanged.

use super::estate::SplitMix64;

/// A service connection (`_apis/serviceendpoint/endpoints`).
#[derive(Debug, Clone)]
pub struct SimEndpoint {
    pub id: String,
    pub name: String,
    pub endpoint_type: &'static str,
    pub scheme: &'static str,
    pub url: &'static str,
    /// Other projects it is shared with (project ids).
    pub shared_with: Vec<String>,
    /// Authorized for every pipeline of the project (the risky default).
    pub open_to_all: bool,
}

/// What an Azure Resource Manager connection's identity is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzureScope {
    ResourceGroup,
    Subscription,
    ManagementGroup,
}

impl SimEndpoint {
    /// Whether every pipeline of a project it is shared with may use it: pipeline permissions
    /// are per project. Derived from the id (no random draw, so the estate is otherwise
    /// unchanged).
    pub fn open_in_shared_projects(&self) -> bool {
        self.id.bytes().rev().nth(1).is_some_and(|b| b % 2 == 0)
    }

    /// Derived from the id (no random draw, so the rest of the estate is unchanged).
    pub fn azure_scope_level(&self) -> AzureScope {
        match self.id.as_bytes().first() {
            Some(b'0'..=b'5') => AzureScope::ResourceGroup,
            Some(b'6'..=b'9') => AzureScope::Subscription,
            _ => AzureScope::ManagementGroup,
        }
    }

    /// Whether the connection is ready. About one in six is not (failed or half created):
    /// the service hides those unless the list asks for `includeFailed=true`, yet they still
    /// hold credentials and are judged like any other. Derived from the id's second character
    /// (no random draw, so the rest of the estate is unchanged).
    pub fn is_ready(&self) -> bool {
        !matches!(self.id.as_bytes().get(1), Some(b'a'..=b'c'))
    }
}

/// A variable group (`_apis/distributedtask/variablegroups`).
#[derive(Debug, Clone)]
pub struct SimVariableGroup {
    pub id: u64,
    pub name: String,
    /// (vault name, service connection id) when linked to Azure Key Vault.
    pub key_vault: Option<(String, String)>,
    /// (name, is secret)
    pub variables: Vec<(String, bool)>,
    pub open_to_all: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Library {
    pub endpoints: Vec<SimEndpoint>,
    pub variable_groups: Vec<SimVariableGroup>,
}

/// (type, authorization scheme, url) of the connections the generator picks from.
const ENDPOINT_KINDS: &[(&str, &str, &str)] = &[
    (
        "azurerm",
        "WorkloadIdentityFederation",
        "https://management.azure.com/",
    ),
    (
        "azurerm",
        "ServicePrincipal",
        "https://management.azure.com/",
    ),
    (
        "azurerm",
        "ManagedServiceIdentity",
        "https://management.azure.com/",
    ),
    (
        "azure",
        "Certificate",
        "https://management.core.windows.net/",
    ),
    ("github", "Token", "https://github.com"),
    ("github", "InstallationToken", "https://github.com"),
    (
        "dockerregistry",
        "UsernamePassword",
        "https://index.docker.io/v1/",
    ),
    (
        "generic",
        "UsernamePassword",
        "https://artifacts.example.invalid",
    ),
];

/// Percent of service connections and variable groups left open to every pipeline.
const OPEN_TO_ALL_PERCENT: u64 = 35;
const SHARED_PERCENT: u64 = 20;
const KEY_VAULT_PERCENT: u64 = 30;

/// Generates the libraries of an organization's projects (ids of variable groups are numbered
/// per organization, as the service does).
pub fn generate(seed: u64, organization: usize, project_ids: &[String]) -> Vec<Library> {
    let mut rng =
        SplitMix64::new(seed ^ 0x005E_ED0F_11B7 ^ (organization as u64).wrapping_mul(0x9E37_79B9));
    let mut next_group_id = 1;
    let mut libraries = Vec::with_capacity(project_ids.len());
    for (p, _) in project_ids.iter().enumerate() {
        let mut library = Library::default();
        for e in 0..1 + rng.below(3) {
            let (endpoint_type, scheme, url) =
                ENDPOINT_KINDS[rng.below(ENDPOINT_KINDS.len() as u64) as usize];
            let shared_with = if project_ids.len() > 1 && rng.percent(SHARED_PERCENT) {
                vec![project_ids[(p + 1) % project_ids.len()].clone()]
            } else {
                Vec::new()
            };
            library.endpoints.push(SimEndpoint {
                id: rng.guid(),
                name: format!("{endpoint_type}-{p:03}-{e}"),
                endpoint_type,
                scheme,
                url,
                shared_with,
                open_to_all: rng.percent(OPEN_TO_ALL_PERCENT),
            });
        }
        for g in 0..1 + rng.below(3) {
            let key_vault = rng.percent(KEY_VAULT_PERCENT).then(|| {
                (
                    format!("kv-{organization:02}-{p:03}"),
                    library.endpoints[0].id.clone(),
                )
            });
            let variables = (0..1 + rng.below(5))
                .map(|v| {
                    let names = super::pipelines::VARIABLE_NAMES;
                    let name = names[rng.below(names.len() as u64) as usize];
                    (
                        format!("{name}_{v}"),
                        key_vault.is_some() || rng.percent(40),
                    )
                })
                .collect();
            library.variable_groups.push(SimVariableGroup {
                id: next_group_id,
                name: format!("group-{p:03}-{g}"),
                key_vault,
                variables,
                open_to_all: rng.percent(OPEN_TO_ALL_PERCENT),
            });
            next_group_id += 1;
        }
        libraries.push(library);
    }
    libraries
}
