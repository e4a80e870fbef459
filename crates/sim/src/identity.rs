//! The simulated identities of one organization: people (members and guests, some inactive, some
//! never signed in), build service identities and a managed identity; the organization's and each
//! project's security groups with nested groups, an Entra group and a membership cycle; and the
//! access control lists of the Git repositories and Build namespaces, with broad groups and build
//! services granted too much in some projects. Shapes follow tests/fixtures/ado-api/graph.*,
//! memberentitlementmanagement.* and security.* (recorded from dev.azure.com or Microsoft's specs).

use base64::Engine as _;

use super::estate::SplitMix64;

/// Git Repositories and Build namespace ids (Microsoft's security namespace reference).
pub const GIT_NAMESPACE: &str = "2e9eb7ed-3c0a-47d4-87c1-0ffdd275fd87";
pub const BUILD_NAMESPACE: &str = "33344d9c-fc72-4d6f-aba5-fa317101a7e9";

/// Git permission bits used here.
pub mod git {
    pub const READ: i64 = 2;
    pub const CONTRIBUTE: i64 = 4;
    pub const FORCE_PUSH: i64 = 8;
    pub const CREATE_BRANCH: i64 = 16;
    pub const CREATE_TAG: i64 = 32;
    pub const MANAGE_NOTE: i64 = 64;
    pub const POLICY_EXEMPT: i64 = 128;
    pub const DELETE_REPOSITORY: i64 = 512;
    pub const EDIT_POLICIES: i64 = 2048;
    pub const REMOVE_OTHERS_LOCKS: i64 = 4096;
    pub const MANAGE_PERMISSIONS: i64 = 8192;
    pub const PR_CONTRIBUTE: i64 = 16384;
    pub const PR_BYPASS: i64 = 32768;
    pub const ALL: i64 = (1 << 19) - 1;
}

/// Build permission bits used here.
pub mod build {
    pub const VIEW_BUILDS: i64 = 1;
    pub const DESTROY: i64 = 32;
    pub const QUEUE: i64 = 128;
    pub const MANAGE_QUEUE: i64 = 256;
    pub const STOP: i64 = 512;
    pub const VIEW_DEFINITION: i64 = 1024;
    pub const EDIT_DEFINITION: i64 = 2048;
    pub const DELETE_DEFINITION: i64 = 4096;
    pub const OVERRIDE_CHECK_IN: i64 = 8192;
    pub const ADMINISTER: i64 = 16384;
    pub const ALL: i64 = (1 << 19) - 1;
}

/// One user as Graph and the entitlements list show it.
#[derive(Debug, Clone)]
pub struct SimUser {
    pub descriptor: String,
    pub storage_key: String,
    pub principal_name: String,
    pub display_name: String,
    pub origin: &'static str,
    /// What Graph and the entitlement say; `None` for an invited B2B guest (as recorded).
    pub meta_type: Option<&'static str>,
    pub directory_alias: Option<String>,
    pub guest: bool,
    /// A build service identity or a managed identity.
    pub service: bool,
    /// Listed by `graph/users` (a managed identity is not: it is a service principal).
    pub in_graph: bool,
    /// Has an entitlement (`userentitlements`); build services do not.
    pub entitled: bool,
    pub license: &'static str,
    pub license_display: &'static str,
    pub licensing_source: &'static str,
    /// Days since the last sign-in; `None` = never (served as `0001-01-01T00:00:00Z`).
    pub last_access_days: Option<u64>,
    pub created_days: u64,
}

impl SimUser {
    /// Inactive as the rules define it: last sign-in more than 90 days ago, or never and added
    /// more than 90 days ago. (Generated ages stay far from 90, so seconds of crawl time cannot
    /// move a user across the line.)
    pub fn inactive(&self) -> bool {
        match self.last_access_days {
            Some(days) => days > 90,
            None => self.created_days > 90,
        }
    }

    /// Basic or better, or a Visual Studio subscription.
    pub fn paid(&self) -> bool {
        matches!(self.license, "express" | "advanced") || self.licensing_source == "msdn"
    }
}

/// One security group.
#[derive(Debug, Clone)]
pub struct SimGroup {
    pub descriptor: String,
    pub sid: Option<String>,
    pub display_name: String,
    pub principal_name: String,
    /// The project of a project group.
    pub project: Option<usize>,
    /// An Entra group (`aadgp.`, origin `aad`).
    pub entra: bool,
    /// The built-in group it is (the crawler's `well_known` key).
    pub well_known: Option<&'static str>,
    /// Direct members' descriptors.
    pub members: Vec<String>,
}

/// One access control entry.
#[derive(Debug, Clone)]
pub struct SimAce {
    /// The legacy descriptor (`Microsoft.TeamFoundation.Identity;S-1-9-…`).
    pub descriptor: String,
    pub allow: i64,
    pub deny: i64,
    /// Allowed here or by inheritance, as the service computes `extendedInfo.effectiveAllow`.
    pub effective_allow: i64,
}

/// One access control list.
#[derive(Debug, Clone)]
pub struct SimAcl {
    pub token: String,
    pub aces: Vec<SimAce>,
}

/// The identities of one organization.
#[derive(Debug, Clone, Default)]
pub struct OrganizationIdentity {
    pub users: Vec<SimUser>,
    pub groups: Vec<SimGroup>,
    pub git_acls: Vec<SimAcl>,
    pub build_acls: Vec<SimAcl>,
}

impl OrganizationIdentity {
    pub fn user(&self, descriptor: &str) -> Option<&SimUser> {
        self.users.iter().find(|u| u.descriptor == descriptor)
    }

    pub fn group(&self, descriptor: &str) -> Option<&SimGroup> {
        self.groups.iter().find(|g| g.descriptor == descriptor)
    }

    /// The group with a built-in key (in a project, or the organization's).
    pub fn well_known(&self, key: &str, project: Option<usize>) -> Option<&SimGroup> {
        self.groups
            .iter()
            .find(|g| g.well_known == Some(key) && g.project == project)
    }

    /// Every subject reachable from a group through nested groups (not the group itself), each
    /// once, nearest first: cycles end.
    pub fn reachable<'a>(&'a self, group: &'a SimGroup) -> Vec<&'a str> {
        let mut seen = std::collections::HashSet::from([group.descriptor.as_str()]);
        let mut queue = std::collections::VecDeque::from([group]);
        let mut out = Vec::new();
        while let Some(g) = queue.pop_front() {
            for m in &g.members {
                if !seen.insert(m.as_str()) {
                    continue;
                }
                out.push(m.as_str());
                if let Some(nested) = self.group(m) {
                    queue.push_back(nested);
                }
            }
        }
        out
    }

    /// Every user reachable from a group.
    pub fn effective_users(&self, group: &SimGroup) -> Vec<&SimUser> {
        self.reachable(group)
            .into_iter()
            .filter_map(|d| self.user(d))
            .collect()
    }

    /// The groups whose members a crawler expands: the administrators groups and every group
    /// nested in them, each once.
    pub fn expanded_groups(&self) -> Vec<&SimGroup> {
        let admins = self
            .groups
            .iter()
            .filter(|g| g.well_known.is_some_and(|k| ADMIN_KEYS.contains(&k)));
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for admin in admins {
            let nested = self
                .reachable(admin)
                .into_iter()
                .filter_map(|d| self.group(d));
            for g in std::iter::once(admin).chain(nested) {
                if seen.insert(g.descriptor.as_str()) {
                    out.push(g);
                }
            }
        }
        out
    }
}

/// The administrators groups (whose members are expanded).
pub const ADMIN_KEYS: &[&str] = &[
    "project_collection_administrators",
    "project_collection_build_administrators",
    "project_collection_service_accounts",
    "project_administrators",
    "build_administrators",
    "endpoint_administrators",
    "release_administrators",
];

/// How many rows each identity table must hold, and what a crawl must ask for.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IdentityCounts {
    /// `users` rows: Graph users and entitled users, each once.
    pub users: usize,
    pub graph_users: usize,
    pub entitlements: usize,
    pub guests: usize,
    pub groups: usize,
    /// Groups whose members a crawl reads (one call each).
    pub expanded_groups: usize,
    /// `group_members` rows: each administrators group's effective members (users and groups).
    pub group_members: usize,
    /// `permissions` rows: one per (list, entry, action) allowed or denied.
    pub permissions: usize,
}

impl OrganizationIdentity {
    pub fn counts(&self) -> IdentityCounts {
        let group_members = self
            .groups
            .iter()
            .filter(|g| g.well_known.is_some_and(|k| ADMIN_KEYS.contains(&k)))
            .map(|g| self.reachable(g).len())
            .sum();
        let permissions = self
            .git_acls
            .iter()
            .chain(&self.build_acls)
            .flat_map(|a| &a.aces)
            .map(|a| {
                let allowed = (a.allow | a.effective_allow) & !a.deny;
                ((allowed | a.deny) & git::ALL).count_ones() as usize
            })
            .sum();
        IdentityCounts {
            users: self.users.len(),
            graph_users: self.users.iter().filter(|u| u.in_graph).count(),
            entitlements: self.users.iter().filter(|u| u.entitled).count(),
            guests: self.users.iter().filter(|u| u.guest).count(),
            groups: self.groups.len(),
            expanded_groups: self.expanded_groups().len(),
            group_members,
            permissions,
        }
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// The legacy descriptor access control entries use for a build service of `scope`.
pub fn build_service_acl_descriptor(organization_id: &str, scope: &str) -> String {
    format!("Microsoft.TeamFoundation.ServiceIdentity;{organization_id}:Build:{scope}")
}

/// Generates one organization's identities; `projects` are (id, name).
pub fn generate(
    seed: u64,
    organization: usize,
    org_name: &str,
    org_id: &str,
    projects: &[(String, String)],
) -> OrganizationIdentity {
    let mut rng = SplitMix64::new(
        seed ^ 0x1D3A_7100_0000_0000 ^ (organization as u64).wrapping_mul(0x9E37_79B9),
    );
    let mut id = OrganizationIdentity::default();
    let people = 8 + 2 * projects.len();
    for i in 0..people {
        let guest = rng.percent(15);
        let key = rng.guid();
        let name = if guest {
            format!("guest{i:03}_fabrikam.example#EXT#@contoso.example")
        } else {
            format!("user{i:03}@contoso.example")
        };
        let (license, license_display, licensing_source) = match rng.below(100) {
            0..55 => ("express", "Basic", "account"),
            55..80 => ("stakeholder", "Stakeholder", "account"),
            _ => ("none", "Visual Studio Enterprise subscription", "msdn"),
        };
        let (last_access_days, created_days) = match rng.below(100) {
            0..70 => (Some(rng.below(60)), 400 + rng.below(1000)),
            70..85 => (Some(120 + rng.below(280)), 400 + rng.below(1000)),
            _ if rng.percent(50) => (None, 5 + rng.below(55)),
            _ => (None, 120 + rng.below(380)),
        };
        id.users.push(SimUser {
            descriptor: format!("aad.{}", b64(&rng.guid())),
            storage_key: key,
            principal_name: name.clone(),
            display_name: format!("Simulated person {i:03}"),
            origin: "aad",
            // Every other guest was invited and never materialized its metaType (as recorded).
            meta_type: if guest && i % 2 == 0 {
                None
            } else if guest {
                Some("guest")
            } else {
                Some("member")
            },
            directory_alias: guest.then(|| name.replace('@', "_")),
            guest,
            service: false,
            in_graph: true,
            entitled: true,
            license,
            license_display,
            licensing_source,
            last_access_days,
            created_days,
        });
    }
    let person = |rng: &mut SplitMix64, id: &OrganizationIdentity| {
        id.users[rng.below(people as u64) as usize]
            .descriptor
            .clone()
    };
    // Build services: the collection's and each project's (Graph users, no entitlement).
    let mut services = Vec::new();
    for scope in std::iter::once(org_id.to_string()).chain(projects.iter().map(|p| p.0.clone())) {
        let descriptor = format!("svc.{}", b64(&format!("{org_id}:Build:{scope}")));
        services.push(descriptor.clone());
        id.users.push(SimUser {
            descriptor,
            storage_key: rng.guid(),
            principal_name: format!("Build\\{scope}"),
            display_name: format!("Build Service ({org_name})"),
            origin: "vsts",
            meta_type: None,
            directory_alias: None,
            guest: false,
            service: true,
            in_graph: true,
            entitled: false,
            license: "none",
            license_display: "",
            licensing_source: "none",
            last_access_days: Some(1),
            created_days: 500,
        });
    }
    // A managed identity: entitled (Basic), absent from graph/users.
    id.users.push(SimUser {
        descriptor: format!("aadsp.{}", b64(&rng.guid())),
        storage_key: rng.guid(),
        principal_name: "mi-deploy".to_string(),
        display_name: "mi-deploy".to_string(),
        origin: "aad",
        meta_type: Some("managedIdentity"),
        directory_alias: None,
        guest: false,
        service: true,
        in_graph: false,
        entitled: true,
        license: "express",
        license_display: "Basic",
        licensing_source: "account",
        last_access_days: Some(200),
        created_days: 600,
    });

    let sid_base = format!(
        "S-1-9-1551374245-{}-{}-{}-{}",
        1_000_000 + rng.below(3_000_000_000),
        1_000_000 + rng.below(3_000_000_000),
        1_000_000 + rng.below(3_000_000_000),
        1_000_000 + rng.below(3_000_000_000)
    );
    let mut next_sid = 0_u64;
    let mut group = |name: &str,
                     project: Option<usize>,
                     well_known: Option<&'static str>,
                     members: Vec<String>|
     -> SimGroup {
        next_sid += 1;
        let sid = format!("{sid_base}-{next_sid}");
        let scope = project.map_or(org_name, |p| projects[p].1.as_str());
        SimGroup {
            descriptor: format!("vssgp.{}", b64(&sid)),
            sid: Some(sid),
            display_name: name.to_string(),
            principal_name: format!("[{scope}]\\{name}"),
            project,
            entra: false,
            well_known,
            members,
        }
    };
    let kind = organization % 3;
    // Project Collection Service Accounts: the build services, and (in one organization in
    // three) a person who should not be there.
    let mut pcsa_members = services.clone();
    if kind == 0 {
        pcsa_members.push(person(&mut rng, &id));
    }
    let pcsa = group(
        "Project Collection Service Accounts",
        None,
        Some("project_collection_service_accounts"),
        pcsa_members,
    );
    // An Entra group of administrators (two people, one of them a guest when there is one).
    let guests: Vec<String> = id
        .users
        .iter()
        .filter(|u| u.guest)
        .map(|u| u.descriptor.clone())
        .collect();
    let entra = SimGroup {
        descriptor: format!("aadgp.{}", b64(&rng.guid())),
        sid: None,
        display_name: "sg-devops-admins".to_string(),
        principal_name: "[TEAM FOUNDATION]\\sg-devops-admins".to_string(),
        project: None,
        entra: true,
        well_known: None,
        members: vec![
            person(&mut rng, &id),
            guests
                .first()
                .cloned()
                .unwrap_or_else(|| person(&mut rng, &id)),
        ],
    };
    // Project Collection Administrators: the service accounts group (as in every real
    // organization) and, by organization, two people and the Entra group, seven people, or one.
    let mut pca_members = vec![pcsa.descriptor.clone()];
    let people_in_pca = match kind {
        0 => 2,
        1 => 7,
        _ => 1,
    };
    while pca_members.len() < 1 + people_in_pca {
        let p = person(&mut rng, &id);
        if !pca_members.contains(&p) {
            pca_members.push(p);
        }
    }
    if kind == 0 {
        pca_members.push(entra.descriptor.clone());
    }
    let pca = group(
        "Project Collection Administrators",
        None,
        Some("project_collection_administrators"),
        pca_members,
    );
    let pcba_member = person(&mut rng, &id);
    let pcba = group(
        "Project Collection Build Administrators",
        None,
        Some("project_collection_build_administrators"),
        vec![pcba_member],
    );
    let pcvu = group(
        "Project Collection Valid Users",
        None,
        Some("project_collection_valid_users"),
        Vec::new(),
    );
    let mut groups = vec![pca, pcba, pcsa, pcvu, entra];
    for (p, _) in projects.iter().enumerate() {
        let pick = |rng: &mut SplitMix64, n: usize| {
            let mut chosen: Vec<String> = Vec::new();
            while chosen.len() < n.min(people) {
                let d = person(rng, &id);
                if !chosen.contains(&d) {
                    chosen.push(d);
                }
            }
            chosen
        };
        // Project Administrators: 1, 2, 5 or 3 people (the last through a nested "Leads"
        // group that contains Project Administrators back: a cycle).
        let mut admins = pick(&mut rng, [1, 2, 5, 1][p % 4]);
        let leads = (p % 4 == 3).then(|| group("Leads", Some(p), None, pick(&mut rng, 2)));
        let pa = {
            if let Some(l) = &leads {
                admins.push(l.descriptor.clone());
            }
            group(
                "Project Administrators",
                Some(p),
                Some("project_administrators"),
                admins,
            )
        };
        let leads = leads.map(|mut l| {
            l.members.push(pa.descriptor.clone());
            l
        });
        let (build_count, release_count) = (rng.below(3) as usize, rng.below(2) as usize);
        let build_admins = pick(&mut rng, build_count);
        let release_admins = pick(&mut rng, release_count);
        let endpoint_admins = pick(&mut rng, 1);
        groups.push(pa);
        groups.extend(leads);
        groups.push(group(
            "Build Administrators",
            Some(p),
            Some("build_administrators"),
            build_admins,
        ));
        groups.push(group(
            "Endpoint Administrators",
            Some(p),
            Some("endpoint_administrators"),
            endpoint_admins,
        ));
        groups.push(group(
            "Release Administrators",
            Some(p),
            Some("release_administrators"),
            release_admins,
        ));
        for (name, key) in [
            ("Contributors", "contributors"),
            ("Readers", "readers"),
            ("Project Valid Users", "project_valid_users"),
        ] {
            groups.push(group(name, Some(p), Some(key), Vec::new()));
        }
        groups.push(group(
            &format!("{} Team", projects[p].1),
            Some(p),
            None,
            Vec::new(),
        ));
    }
    id.groups = groups;

    // Access control lists, per project.
    let sid_key = |id: &OrganizationIdentity, key: &str, p: usize| {
        id.well_known(key, Some(p))
            .and_then(|g| g.sid.clone())
            .map(|sid| format!("Microsoft.TeamFoundation.Identity;{sid}"))
            .unwrap_or_default()
    };
    for (p, (project_id, _)) in projects.iter().enumerate() {
        let ace = |descriptor: String, allow: i64, deny: i64| SimAce {
            descriptor,
            allow,
            deny,
            effective_allow: allow & !deny,
        };
        let contributors_default = git::READ
            | git::CONTRIBUTE
            | git::CREATE_BRANCH
            | git::CREATE_TAG
            | git::MANAGE_NOTE
            | git::PR_CONTRIBUTE;
        let contributors = match p % 5 {
            1 => contributors_default | git::FORCE_PUSH | git::PR_BYPASS,
            _ => contributors_default,
        };
        let readers = if p % 5 == 2 {
            git::READ | git::CONTRIBUTE
        } else {
            git::READ
        };
        let build_service = git::READ
            | git::CONTRIBUTE
            | git::CREATE_BRANCH
            | git::CREATE_TAG
            | git::PR_CONTRIBUTE
            | if p % 5 == 3 { git::POLICY_EXEMPT } else { 0 };
        let contributors_deny = if p % 5 == 0 { git::FORCE_PUSH } else { 0 };
        id.git_acls.push(SimAcl {
            token: format!("repoV2/{project_id}"),
            aces: vec![
                ace(sid_key(&id, "project_administrators", p), git::ALL, 0),
                ace(
                    sid_key(&id, "contributors", p),
                    contributors,
                    contributors_deny,
                ),
                ace(sid_key(&id, "readers", p), readers, 0),
                ace(
                    build_service_acl_descriptor(org_id, project_id),
                    build_service,
                    0,
                ),
            ],
        });
        let build_contributors = build::VIEW_BUILDS
            | build::QUEUE
            | build::STOP
            | build::VIEW_DEFINITION
            | build::EDIT_DEFINITION
            | build::DELETE_DEFINITION
            | if p % 4 == 2 { build::ADMINISTER } else { 0 };
        id.build_acls.push(SimAcl {
            token: project_id.clone(),
            aces: vec![
                ace(sid_key(&id, "project_administrators", p), build::ALL, 0),
                ace(sid_key(&id, "contributors", p), build_contributors, 0),
                ace(
                    sid_key(&id, "readers", p),
                    build::VIEW_BUILDS | build::VIEW_DEFINITION,
                    0,
                ),
            ],
        });
    }
    id
}

/// One repository-level list: Contributors may manage permissions on one repository (inherited
/// bits from the project list folded into the effective allow, as the service does).
pub fn add_repository_acl(id: &mut OrganizationIdentity, project_id: &str, repository_id: &str) {
    let Some(project_acl) = id
        .git_acls
        .iter()
        .find(|a| a.token == format!("repoV2/{project_id}"))
    else {
        return;
    };
    let Some(inherited) = project_acl.aces.get(1).cloned() else {
        return;
    };
    id.git_acls.push(SimAcl {
        token: format!("repoV2/{project_id}/{repository_id}"),
        aces: vec![SimAce {
            descriptor: inherited.descriptor,
            allow: git::MANAGE_PERMISSIONS,
            deny: 0,
            effective_allow: (inherited.effective_allow | git::MANAGE_PERMISSIONS)
                & !inherited.deny,
        }],
    });
}
