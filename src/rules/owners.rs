//! `[[owner]]`: who owns a finding. Each entry names a team, its e-mail address and the
//! resources it owns by pattern (`organization/project/resource`, name or id, `*` and `?`, as in
//! `[[rule_scope]]`); the first entry that matches a finding's resource owns it.

use wildmatch::WildMatch;

use super::Finding;

/// A team and the resources it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub team: String,
    pub email: String,
    /// Patterns over `organization/project/resource` (organization-level findings:
    /// `organization/resource`), case-insensitive.
    pub resources: Vec<String>,
}

impl Owner {
    fn owns(&self, f: &Finding) -> bool {
        let candidates = super::exemptions::resource_paths(f);
        self.resources.iter().any(|p| {
            let pattern = WildMatch::new(&p.to_lowercase());
            candidates
                .iter()
                .any(|c| pattern.matches(&c.to_lowercase()))
        })
    }
}

/// The owner of a finding: the first `[[owner]]` entry whose patterns match its resource.
pub fn owner_of<'a>(owners: &'a [Owner], f: &Finding) -> Option<&'a Owner> {
    owner_index(owners, f).and_then(|i| owners.get(i))
}

/// [`owner_of`] as the entry's position.
pub fn owner_index(owners: &[Owner], f: &Finding) -> Option<usize> {
    owners.iter().position(|o| o.owns(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{FindingStatus, Severity};

    fn finding(organization: &str, project: &str, name: &str) -> Finding {
        Finding {
            finding_id: format!("R:c/{organization}/{name}"),
            rule_id: "R".into(),
            severity: Severity::High,
            title: "t".into(),
            resource_kind: "repository".into(),
            connector: "c".into(),
            organization: organization.into(),
            project_id: format!("{project}-id"),
            project: project.into(),
            resource_id: format!("{name}-id"),
            resource_name: name.into(),
            status: FindingStatus::New,
            details: String::new(),
            first_seen: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            exemption: None,
        }
    }

    #[test]
    fn the_first_matching_entry_owns_a_finding() {
        let owner = |team: &str, pattern: &str| Owner {
            team: team.into(),
            email: format!("{team}@contoso.com"),
            resources: vec![pattern.into()],
        };
        let owners = [owner("payments", "contoso/Pay*/*"), owner("security", "*")];
        let pay = finding("contoso", "Payments", "api");
        let other = finding("contoso", "Web", "site");
        assert_eq!(
            owner_of(&owners, &pay).map(|o| o.team.as_str()),
            Some("payments")
        );
        assert_eq!(
            owner_of(&owners, &other).map(|o| o.team.as_str()),
            Some("security")
        );
        assert!(owner_of(&owners[..1], &other).is_none());
    }
}
