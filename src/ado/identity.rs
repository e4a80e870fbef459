//! Identity and access responses: Graph subjects (users, groups) and memberships on the vssps
//! host, user entitlements on the vsaex host, access control lists on the organization, and the
//! descriptor conversions between them. Shapes: tests/fixtures/ado-api/graph.*,
//! memberentitlementmanagement.*, security.* (recorded against dev.azure.com or from Microsoft's
//! specs); docs/research/issue-14-identity-apis.md has the sources.

use base64::Engine as _;
use serde::Deserialize;

/// A Graph subject (`graph/users`, `graph/groups`, an entitlement's `user`). Every field but the
/// descriptor is optional: a B2B guest invited but never signed in has no `metaType`, service
/// identities have no mail address.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphSubject {
    pub descriptor: String,
    #[serde(default)]
    pub subject_kind: Option<String>,
    #[serde(default)]
    pub meta_type: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub principal_name: Option<String>,
    #[serde(default)]
    pub mail_address: Option<String>,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub origin_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub directory_alias: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl GraphSubject {
    /// The descriptor's type prefix (`aad`, `msa`, `svc`, `aadsp`, `vssgp`, `aadgp`, …), lower
    /// case.
    pub fn descriptor_type(&self) -> String {
        descriptor_type(&self.descriptor)
    }

    /// A guest: `metaType` says so, or (when the service left `metaType` out, as it does for an
    /// invited B2B guest) the Entra alias carries `#EXT#`.
    pub fn is_guest(&self) -> bool {
        self.meta_type
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("guest"))
            || [&self.directory_alias, &self.principal_name]
                .iter()
                .any(|v| v.as_deref().is_some_and(|v| v.contains("#EXT#")))
    }

    /// Not a person: a build or service identity (`svc`, `acs`, `s2s`), an Entra application or
    /// managed identity (`aadsp`, metaType `application` / `managedIdentity`).
    pub fn is_service(&self) -> bool {
        let kind = self.descriptor_type();
        matches!(kind.as_str(), "svc" | "acs" | "s2s" | "aadsp")
            || self.meta_type.as_deref().is_some_and(|m| {
                m.eq_ignore_ascii_case("application") || m.eq_ignore_ascii_case("managedIdentity")
            })
            || self
                .subject_kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("servicePrincipal"))
    }

    /// A group (Azure DevOps or Entra).
    pub fn is_group(&self) -> bool {
        is_group_descriptor(&self.descriptor)
            || self
                .subject_kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("group"))
    }

    /// The project a group belongs to, from its domain
    /// (`vstfs:///Classification/TeamProject/{projectId}`); `None` for organization groups.
    pub fn project_id(&self) -> Option<String> {
        let domain = self.domain.as_deref()?;
        let (prefix, id) = domain.rsplit_once('/')?;
        prefix
            .to_ascii_lowercase()
            .ends_with("classification/teamproject")
            .then(|| id.to_ascii_lowercase())
    }
}

/// A descriptor's type prefix, lower case (descriptors compare case-insensitively).
pub fn descriptor_type(descriptor: &str) -> String {
    descriptor
        .split_once('.')
        .map(|(kind, _)| kind.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether a subject descriptor names a group (`vssgp` Azure DevOps, `aadgp` Entra, `ungrp`).
pub fn is_group_descriptor(descriptor: &str) -> bool {
    matches!(
        descriptor_type(descriptor).as_str(),
        "vssgp" | "aadgp" | "ungrp"
    )
}

/// The security identifier of an Azure DevOps group: its `vssgp.` descriptor is the base64url
/// (unpadded) of the SID. Other kinds do not encode anything usable (research §2).
pub fn group_sid(descriptor: &str) -> Option<String> {
    let (kind, encoded) = descriptor.split_once('.')?;
    if !kind.eq_ignore_ascii_case("vssgp") {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .ok()?;
    let sid = String::from_utf8(bytes).ok()?;
    (sid.starts_with("S-1-") && sid.len() <= 256 && sid.bytes().all(|b| b.is_ascii_graphic()))
        .then_some(sid)
}

/// The key access control entries use for an Azure DevOps group
/// (`Microsoft.TeamFoundation.Identity;{SID}`), lower case for joining.
pub fn group_acl_key(descriptor: &str) -> Option<String> {
    group_sid(descriptor).map(|sid| {
        format!(
            "microsoft.teamfoundation.identity;{}",
            sid.to_ascii_lowercase()
        )
    })
}

/// What an access control entry's (legacy) identity descriptor names, from its type.
pub fn acl_identity_kind(identity_descriptor: &str) -> &'static str {
    let kind = identity_descriptor
        .split_once(';')
        .map(|(k, _)| k.to_ascii_lowercase())
        .unwrap_or_default();
    match kind.as_str() {
        "microsoft.teamfoundation.identity" => "group",
        // `{hostId}:Build:{projectId}` is a project's build service; `{hostId}:Build:{hostId}`
        // the collection's.
        "microsoft.teamfoundation.serviceidentity"
            if identity_descriptor.to_ascii_lowercase().contains(":build:") =>
        {
            "build_service"
        }
        "microsoft.teamfoundation.serviceidentity" => "service",
        "microsoft.identitymodel.claims.claimsidentity" => "user",
        "microsoft.visualstudio.services.claims.aadserviceprincipal" => "service_principal",
        _ => "other",
    }
}

/// One edge of `graph/Memberships/{descriptor}?direction=down`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub container_descriptor: String,
    pub member_descriptor: String,
}

/// One entry of `userentitlements` (vsaex).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEntitlement {
    #[serde(default)]
    pub id: Option<String>,
    pub user: GraphSubject,
    #[serde(default)]
    pub access_level: Option<AccessLevel>,
    #[serde(default)]
    pub last_accessed_date: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLevel {
    /// `none`, `earlyAdopter`, `express` (Basic), `professional`, `advanced`, `stakeholder`.
    #[serde(default)]
    pub account_license_type: Option<String>,
    #[serde(default)]
    pub license_display_name: Option<String>,
    /// `active`, `pending`, `disabled`, `deleted`, `expired`, …
    #[serde(default)]
    pub status: Option<String>,
    /// `account`, `msdn`, `profile`, `auto`, `trial`, `none`.
    #[serde(default)]
    pub licensing_source: Option<String>,
}

impl AccessLevel {
    /// An access level that costs a licence and grants more than Stakeholder: Basic (`express`),
    /// Basic + Test Plans (`advanced`), `professional`, `earlyAdopter`, or any Visual Studio
    /// subscription (`licensingSource` `msdn`).
    pub fn is_paid(&self) -> bool {
        let license = self
            .account_license_type
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        matches!(
            license.as_str(),
            "express" | "advanced" | "professional" | "earlyadopter"
        ) || self
            .licensing_source
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("msdn"))
    }
}

/// A page of `userentitlements`: 7.1 has `items`, 5.x `members`, and the live service at
/// 5.0-preview sends both (the same entries); the token is in the body, empty or null on the
/// last page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntitlementPage<T> {
    #[serde(default = "Option::default")]
    pub items: Option<Vec<T>>,
    #[serde(default = "Option::default")]
    pub members: Option<Vec<T>>,
    #[serde(default)]
    pub continuation_token: Option<String>,
}

impl<T> EntitlementPage<T> {
    /// The entries (`items`, else `members`) and the next page's token, if any.
    pub fn into_parts(self) -> (Vec<T>, Option<String>) {
        let entries = self.items.or(self.members).unwrap_or_default();
        let token = self
            .continuation_token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        (entries, token)
    }
}

/// One access control list of `accesscontrollists/{namespaceId}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessControlList {
    pub token: String,
    #[serde(default = "inherit_by_default")]
    pub inherit_permissions: bool,
    #[serde(default)]
    pub aces_dictionary: std::collections::BTreeMap<String, AccessControlEntry>,
}

fn inherit_by_default() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessControlEntry {
    pub descriptor: String,
    #[serde(default)]
    pub allow: i64,
    #[serde(default)]
    pub deny: i64,
    #[serde(default)]
    pub extended_info: Option<AceExtendedInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AceExtendedInfo {
    #[serde(default)]
    pub effective_allow: Option<i64>,
    #[serde(default)]
    pub effective_deny: Option<i64>,
}

impl AccessControlEntry {
    /// The permission bits this entry allows: its explicit allow and what the service computed
    /// as effective (inherited from parent tokens), minus what is denied either way.
    pub fn allowed_bits(&self) -> i64 {
        let extended = self.extended_info.clone().unwrap_or_default();
        let allow = self.allow | extended.effective_allow.unwrap_or(0);
        let deny = self.deny | extended.effective_deny.unwrap_or(0);
        allow & !deny
    }

    /// The bits explicitly denied (here or effectively).
    pub fn denied_bits(&self) -> i64 {
        self.deny
            | self
                .extended_info
                .as_ref()
                .and_then(|e| e.effective_deny)
                .unwrap_or(0)
    }
}

/// A security namespace the crawl reads, with the actions rules look at. Bits from Microsoft's
/// "Security namespace and permission reference" and the recorded `securitynamespaces` list
/// (tests/fixtures/ado-api/security.securitynamespaces.list.recorded.json; a contract test keeps
/// them equal).
#[derive(Debug, Clone, Copy)]
pub struct SecurityNamespace {
    /// How the tables name it.
    pub name: &'static str,
    pub id: &'static str,
    pub actions: &'static [(i64, &'static str)],
}

pub const GIT_REPOSITORIES: SecurityNamespace = SecurityNamespace {
    name: "git_repositories",
    id: "2e9eb7ed-3c0a-47d4-87c1-0ffdd275fd87",
    actions: &[
        (1, "Administer"),
        (2, "GenericRead"),
        (4, "GenericContribute"),
        (8, "ForcePush"),
        (16, "CreateBranch"),
        (32, "CreateTag"),
        (64, "ManageNote"),
        (128, "PolicyExempt"),
        (256, "CreateRepository"),
        (512, "DeleteRepository"),
        (1024, "RenameRepository"),
        (2048, "EditPolicies"),
        (4096, "RemoveOthersLocks"),
        (8192, "ManagePermissions"),
        (16384, "PullRequestContribute"),
        (32768, "PullRequestBypassPolicy"),
        (65536, "ViewAdvSecAlerts"),
        (131072, "DismissAdvSecAlerts"),
        (262144, "ManageAdvSecScanning"),
    ],
};

pub const BUILD: SecurityNamespace = SecurityNamespace {
    name: "build",
    id: "33344d9c-fc72-4d6f-aba5-fa317101a7e9",
    actions: &[
        (1, "ViewBuilds"),
        (2, "EditBuildQuality"),
        (4, "RetainIndefinitely"),
        (8, "DeleteBuilds"),
        (16, "ManageBuildQualities"),
        (32, "DestroyBuilds"),
        (64, "UpdateBuildInformation"),
        (128, "QueueBuilds"),
        (256, "ManageBuildQueue"),
        (512, "StopBuilds"),
        (1024, "ViewBuildDefinition"),
        (2048, "EditBuildDefinition"),
        (4096, "DeleteBuildDefinition"),
        (8192, "OverrideBuildCheckInValidation"),
        (16384, "AdministerBuildPermissions"),
        (32768, "CreateBuildDefinition"),
        (65536, "EditPipelineQueueConfigurationPermission"),
        (131072, "ManageStageRunOrderPermission"),
        (262144, "AbandonBuilds"),
    ],
};

/// The namespaces whose access control lists the crawl reads.
pub const NAMESPACES: [SecurityNamespace; 2] = [GIT_REPOSITORIES, BUILD];

impl SecurityNamespace {
    /// The project (and resource) a token of this namespace is about: Git
    /// `repoV2/{projectId}[/{repositoryId}[/refs/…]]`, Build `{projectId}[/{folders…}/{definitionId}]`.
    pub fn token_scope(&self, token: &str) -> (Option<String>, Option<String>) {
        let parts: Vec<&str> = token.split('/').filter(|p| !p.is_empty()).collect();
        let lower = |s: &&str| s.to_ascii_lowercase();
        match self.name {
            "git_repositories" => {
                if !parts
                    .first()
                    .is_some_and(|p| p.eq_ignore_ascii_case("repoV2"))
                {
                    return (None, None);
                }
                (parts.get(1).map(lower), parts.get(2).map(lower))
            }
            _ => (
                parts.first().map(lower),
                (parts.len() > 1).then(|| parts.last().map(lower)).flatten(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vssgp_descriptors_decode_to_sids_and_others_do_not() {
        // Project Valid Users of the recorded graph/groups list.
        let d = "vssgp.Uy0xLTktMTU1MTM3NDI0NS00MjE3MjU1NTQ0LTMzNjA0NzcyNTctMzA3ODE3ODY1NC0yNzA0OTA3MjYxLTAtMC0wLTAtMw";
        assert_eq!(
            group_sid(d).as_deref(),
            Some("S-1-9-1551374245-4217255544-3360477257-3078178654-2704907261-0-0-0-0-3")
        );
        assert_eq!(
            group_sid("aad.OTA3YzVmNGQtYjRmMi03ZDk2LWIyZmUtMzEyMjc1YjU1Njc0"),
            None
        );
        assert_eq!(group_sid("vssgp.!!!"), None);
        assert_eq!(group_sid("vssgp"), None);
    }

    #[test]
    fn acl_identity_kinds_come_from_the_descriptor_type() {
        assert_eq!(
            acl_identity_kind("Microsoft.TeamFoundation.Identity;S-1-9-1"),
            "group"
        );
        assert_eq!(
            acl_identity_kind("Microsoft.TeamFoundation.ServiceIdentity;a:Build:b"),
            "build_service"
        );
        assert_eq!(
            acl_identity_kind("Microsoft.IdentityModel.Claims.ClaimsIdentity;t\\u@x"),
            "user"
        );
        assert_eq!(acl_identity_kind("nonsense"), "other");
    }

    #[test]
    fn tokens_name_their_project_and_resource() {
        assert_eq!(
            GIT_REPOSITORIES.token_scope("repoV2/P1/R1/refs/heads/6d00610069006e00"),
            (Some("p1".into()), Some("r1".into()))
        );
        assert_eq!(GIT_REPOSITORIES.token_scope("repoV2"), (None, None));
        assert_eq!(BUILD.token_scope("P1"), (Some("p1".into()), None));
        assert_eq!(
            BUILD.token_scope("P1/folder/42"),
            (Some("p1".into()), Some("42".into()))
        );
    }

    /// The body of a recorded fixture (tests/fixtures/ado-api/).
    fn recorded(name: &str) -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ado-api")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["responses"]["200"]["body"].take()
    }

    #[test]
    fn recorded_graph_groups_parse_and_name_their_well_known_groups() {
        let body = recorded("graph.groups.list.recorded.json");
        let groups: Vec<GraphSubject> = serde_json::from_value(body["value"].clone()).unwrap();
        assert_eq!(groups.len(), 7);
        let known: Vec<&str> = groups
            .iter()
            .filter_map(crate::crawl::identity::well_known)
            .collect();
        for key in [
            "readers",
            "contributors",
            "project_valid_users",
            "project_administrators",
            "build_administrators",
        ] {
            assert!(known.contains(&key), "{key} not recognised in {known:?}");
        }
        assert!(
            groups
                .iter()
                .all(|g| g.project_id().is_some() && g.is_group())
        );
        assert!(groups.iter().all(|g| group_sid(&g.descriptor).is_some()));
    }

    #[test]
    fn recorded_user_entitlements_parse_with_both_lists_and_an_empty_last_token() {
        let body = recorded("memberentitlementmanagement.userentitlements.list.recorded.json");
        let page: EntitlementPage<serde_json::Value> = serde_json::from_value(body).unwrap();
        let (entries, token) = page.into_parts();
        assert_eq!(token, None, "an empty token ends the list");
        let entitlements: Vec<UserEntitlement> = entries
            .into_iter()
            .map(|e| serde_json::from_value(e).unwrap())
            .collect();
        assert_eq!(entitlements.len(), 7);
        // The invited guest has no metaType, only #EXT# in its alias.
        let guests: Vec<&UserEntitlement> =
            entitlements.iter().filter(|e| e.user.is_guest()).collect();
        assert_eq!(guests.len(), 1);
        assert!(guests[0].user.meta_type.is_none());
        assert_eq!(
            guests[0].last_accessed_date.as_deref(),
            Some("0001-01-01T00:00:00Z")
        );
        // The managed identity is a service, not a person.
        let services: Vec<&UserEntitlement> = entitlements
            .iter()
            .filter(|e| e.user.is_service())
            .collect();
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].user.descriptor_type(), "aadsp");
        // Seven fractional digits parse.
        let last = entitlements[0].last_accessed_date.as_deref().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(last).is_ok(), "{last}");
        assert!(entitlements[0].access_level.as_ref().unwrap().is_paid());
    }

    #[test]
    fn recorded_memberships_and_access_control_lists_parse() {
        let body = recorded("graph.memberships.list.recorded.json");
        let edges: Vec<Membership> = serde_json::from_value(body["value"].clone()).unwrap();
        assert!(!edges.is_empty());
        assert!(
            edges
                .iter()
                .all(|e| is_group_descriptor(&e.container_descriptor))
        );
        let body = recorded("security.accesscontrollists.query.recorded.json");
        let acls: Vec<AccessControlList> = serde_json::from_value(body["value"].clone()).unwrap();
        let ace = acls[0].aces_dictionary.values().next().unwrap();
        assert_eq!(acl_identity_kind(&ace.descriptor), "user");
        assert_eq!((ace.allowed_bits(), ace.denied_bits()), (0, 65536));
    }

    /// The action bits the crawl names equal the service's own list (recorded 2026).
    #[test]
    fn namespace_actions_equal_the_recorded_security_namespaces() {
        let body = recorded("security.securitynamespaces.list.recorded.json");
        for ns in NAMESPACES {
            let recorded = body["value"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["namespaceId"] == ns.id)
                .unwrap_or_else(|| panic!("{} missing", ns.name));
            let actions: Vec<(i64, String)> = recorded["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["bit"].as_i64().unwrap(),
                        a["name"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let ours: Vec<(i64, String)> = ns
                .actions
                .iter()
                .map(|(b, n)| (*b, n.to_string()))
                .collect();
            assert_eq!(ours, actions, "{}", ns.name);
        }
    }

    #[test]
    fn denied_bits_win_over_allowed_ones() {
        let ace: AccessControlEntry = serde_json::from_str(
            r#"{"descriptor":"d","allow":12,"deny":4,"extendedInfo":{"effectiveAllow":3}}"#,
        )
        .unwrap();
        assert_eq!(ace.allowed_bits(), 11);
    }

    proptest::proptest! {
        /// Descriptors and tokens are the service's text: any string ends in a value, never a
        /// panic, and a decoded SID is short printable ASCII.
        #[test]
        fn descriptor_and_token_parsers_take_any_text(text in ".{0,300}") {
            if let Some(sid) = group_sid(&text) {
                proptest::prop_assert!(sid.len() <= 256 && sid.bytes().all(|b| b.is_ascii_graphic()));
            }
            let vssgp = format!("vssgp.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&text));
            let _ = group_sid(&vssgp);
            let _ = acl_identity_kind(&text);
            let _ = descriptor_type(&text);
            for ns in NAMESPACES {
                let _ = ns.token_scope(&text);
            }
            let page = serde_json::json!({ "items": [], "continuationToken": text });
            let page: EntitlementPage<serde_json::Value> = serde_json::from_value(page).unwrap();
            let (_, token) = page.into_parts();
            proptest::prop_assert!(token.is_none_or(|t| !t.is_empty()));
        }
    }
}
