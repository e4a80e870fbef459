//! REST API versions on Azure DevOps Server: which `api-version` to send on each route.
//!
//! A server is older than the cloud. It says its newest version in a 400
//! (VssVersionOutOfRangeException), and routes that the cloud has released are often still
//! `-preview` at that server's version, where a plain version is 400
//! (VssInvalidPreviewVersionException). Like Microsoft's Node client (`VsoClient.autoNegotiateApiVersion`),
//! we read each route's released and newest versions from the server's resource locations
//! (`OPTIONS {collection}/_apis`) and negotiate per route; when those cannot be read we fall
//! back on what the errors say. See ../shared/ado-api/README.md §6.

use serde::Deserialize;

/// A `major.minor` REST API version.
pub type ApiVersion = (u32, u32);

/// One route of the server (`ApiResourceLocation`), as `OPTIONS /_apis` lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLocation {
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub resource_name: String,
    /// e.g. `{project}/_apis/distributedtask/variablegroups/{groupId}`.
    #[serde(default)]
    pub route_template: String,
    /// The preview revision at `max_version` (the `N` of `-preview.N`).
    #[serde(default)]
    pub resource_version: u32,
    /// Numbers as strings, e.g. `"6.1"`; `"0.0"` when never released.
    #[serde(default)]
    pub max_version: String,
    #[serde(default)]
    pub released_version: String,
}

impl ResourceLocation {
    /// Whether this route serves `segments`, the request path after `_apis`; the number of
    /// literal segments matched, to prefer the most specific route.
    fn matches(&self, segments: &[&str]) -> Option<usize> {
        let template: Vec<&str> = self
            .route_template
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let start = template
            .iter()
            .position(|s| s.eq_ignore_ascii_case("_apis"))?
            + 1;
        let template = &template[start..];
        let mut literals = 0;
        for (i, part) in template.iter().enumerate() {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if name.starts_with('*') {
                    return Some(literals); // catch-all: the rest is its value
                }
                let literal = match name {
                    "area" => Some(self.area.as_str()),
                    "resource" => Some(self.resource_name.as_str()),
                    _ => None,
                };
                match (segments.get(i), literal) {
                    // Optional trailing parameters, when no literal follows them.
                    (None, _) => {
                        let only_parameters = template[i..]
                            .iter()
                            .all(|p| p.starts_with('{') && p.ends_with('}'));
                        return only_parameters.then_some(literals);
                    }
                    (Some(s), Some(l)) if s.eq_ignore_ascii_case(l) => literals += 1,
                    (Some(_), Some(_)) => return None,
                    (Some(_), None) => {}
                }
            } else {
                match segments.get(i) {
                    Some(s) if s.eq_ignore_ascii_case(part) => literals += 1,
                    _ => return None,
                }
            }
        }
        (segments.len() == template.len()).then_some(literals)
    }
}

/// The location serving a request whose path after `_apis` is `segments`, if any.
pub fn find_location<'a>(
    locations: &'a [ResourceLocation],
    segments: &[&str],
) -> Option<&'a ResourceLocation> {
    locations
        .iter()
        .filter_map(|l| l.matches(segments).map(|n| (n, l)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, l)| l)
}

/// A requested `api-version`, split: `7.1-preview.1` → (7, 1), preview, Some(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    pub version: ApiVersion,
    pub preview: bool,
    pub resource_version: Option<u32>,
}

pub fn parse_requested(text: &str) -> Option<Requested> {
    let (number, suffix) = match text.find('-') {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let version = parse_version(number)?;
    let (preview, resource_version) = match suffix {
        "" => (false, None),
        s => {
            let rest = s.strip_prefix("-preview")?;
            match rest.strip_prefix('.') {
                Some(n) => (true, Some(n.parse().ok()?)),
                None if rest.is_empty() => (true, None),
                None => return None,
            }
        }
    };
    Some(Requested {
        version,
        preview,
        resource_version,
    })
}

/// `6.1` → (6, 1); `6` → (6, 0).
pub fn parse_version(text: &str) -> Option<ApiVersion> {
    let text = text.trim();
    let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The version to send on a route, as Microsoft's Node client negotiates it: the requested one
/// when the route serves it, else the newest the route has, marked `-preview` above its
/// released version.
pub fn negotiate(requested: &str, location: &ResourceLocation) -> Option<String> {
    let asked = parse_requested(requested)?;
    let max = parse_version(&location.max_version)?;
    let released = parse_version(&location.released_version).unwrap_or((0, 0));
    let served = asked.version <= released
        || (asked.preview && asked.resource_version.is_none() && asked.version <= max)
        || asked
            .resource_version
            .is_some_and(|r| asked.version <= max && r <= location.resource_version);
    if served {
        return Some(requested.to_string());
    }
    let (a, b) = asked.version;
    Some(if asked.version < max {
        format!("{a}.{b}-preview")
    } else if max == released {
        format!("{}.{}", max.0, max.1)
    } else if location.resource_version > 0 {
        format!("{}.{}-preview.{}", max.0, max.1, location.resource_version)
    } else {
        format!("{}.{}-preview", max.0, max.1)
    })
}

/// Without resource locations: `requested` capped at the server's newest version, with
/// `-preview` kept, or added where the server said the route needs it.
pub fn cap(requested: &str, latest: ApiVersion, needs_preview: bool) -> Option<String> {
    let asked = parse_requested(requested)?;
    let version = asked.version.min(latest);
    let suffix = match (asked.preview, asked.resource_version) {
        (true, Some(n)) if version == asked.version => format!("-preview.{n}"),
        (true, _) => "-preview".to_string(),
        (false, _) if needs_preview => "-preview".to_string(),
        (false, _) => String::new(),
    };
    Some(format!("{}.{}{suffix}", version.0, version.1))
}

/// The newest version a server names when a request asks for more: "… The latest REST API
/// version this server supports is 6.1." (Server 2019–2022), or the older wording "… for this
/// server is 6.0.".
pub fn latest_in_message(message: &str) -> Option<ApiVersion> {
    const MARK: &str = "latest REST API version";
    let start = message.find(MARK)? + MARK.len();
    let rest = &message[start..];
    let digits = rest.find(|c: char| c.is_ascii_digit())?;
    let version: String = rest[digits..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    parse_version(version.trim_end_matches('.'))
}

/// Whether a 400 says the route is preview at this version and the request lacked `-preview`.
pub fn is_preview_required(message: &str) -> bool {
    message.contains("-preview flag must be supplied")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(
        template: &str,
        max: &str,
        released: &str,
        resource_version: u32,
    ) -> ResourceLocation {
        ResourceLocation {
            area: "distributedtask".into(),
            resource_name: "variablegroups".into(),
            route_template: template.into(),
            resource_version,
            max_version: max.into(),
            released_version: released.into(),
        }
    }

    #[test]
    fn server_messages_name_the_newest_version_in_either_wording() {
        // Server 2020 and later (../shared/ado-api/README.md §6).
        assert_eq!(
            latest_in_message(
                "The requested REST API version of 7.1 is out of range for this server. The latest REST API version this server supports is 6.1."
            ),
            Some((6, 1))
        );
        assert_eq!(
            latest_in_message(
                "The requested REST API version of 7.1 is out of range for this server. The latest REST API version for this server is 6.0."
            ),
            Some((6, 0))
        );
        assert_eq!(latest_in_message("TF400813: not authorized"), None);
        assert!(is_preview_required(
            "The requested version \"6.0\" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: \"6.0-preview\""
        ));
    }

    #[test]
    fn negotiation_follows_the_node_client() {
        let vg = location(
            "{project}/_apis/distributedtask/variablegroups/{groupId}",
            "6.1",
            "5.1",
            2,
        );
        // 7.1 on a 6.1 server where the route is preview: the newest preview.
        assert_eq!(negotiate("7.1", &vg).unwrap(), "6.1-preview.2");
        let projects = location("_apis/projects/{*projectId}", "6.1", "6.0", 4);
        assert_eq!(negotiate("7.1", &projects).unwrap(), "6.1-preview.4");
        assert_eq!(negotiate("6.0", &projects).unwrap(), "6.0");
        let released = location("_apis/projects/{*projectId}", "7.0", "7.0", 4);
        assert_eq!(negotiate("7.1", &released).unwrap(), "7.0");
        assert_eq!(negotiate("7.1-preview.1", &released).unwrap(), "7.0");
        // A requested preview the route serves is kept.
        let checks = location("{project}/_apis/pipelines/checks/{id}", "7.0", "0.0", 1);
        assert_eq!(
            negotiate("7.1-preview.1", &checks).unwrap(),
            "7.0-preview.1"
        );
        assert_eq!(
            negotiate("6.0-preview.1", &checks).unwrap(),
            "6.0-preview.1"
        );
    }

    #[test]
    fn routes_are_matched_by_their_literal_segments() {
        let locations = vec![
            location(
                "{project}/_apis/distributedtask/variablegroups/{groupId}",
                "6.1",
                "5.1",
                2,
            ),
            ResourceLocation {
                area: "build".into(),
                resource_name: "definitions".into(),
                route_template: "{project}/_apis/{area}/{resource}/{definitionId}".into(),
                resource_version: 7,
                max_version: "6.1".into(),
                released_version: "6.0".into(),
            },
            ResourceLocation {
                area: "build".into(),
                resource_name: "revisions".into(),
                route_template: "{project}/_apis/build/definitions/{definitionId}/revisions".into(),
                resource_version: 3,
                max_version: "6.1".into(),
                released_version: "6.0".into(),
            },
        ];
        let vg = find_location(&locations, &["distributedtask", "variablegroups"]).unwrap();
        assert_eq!(vg.resource_name, "variablegroups");
        let defs = find_location(&locations, &["build", "definitions"]).unwrap();
        assert_eq!(defs.resource_name, "definitions");
        let revisions = find_location(&locations, &["build", "definitions", "7", "revisions"]);
        assert_eq!(revisions.unwrap().resource_name, "revisions");
        assert!(find_location(&locations, &["git", "repositories"]).is_none());
    }

    #[test]
    fn capping_keeps_or_adds_preview() {
        assert_eq!(cap("7.1", (6, 0), false).unwrap(), "6.0");
        assert_eq!(cap("7.1", (6, 0), true).unwrap(), "6.0-preview");
        assert_eq!(cap("7.1-preview.1", (6, 0), false).unwrap(), "6.0-preview");
        assert_eq!(
            cap("5.1-preview.1", (6, 0), false).unwrap(),
            "5.1-preview.1"
        );
        assert_eq!(cap("garbage", (6, 0), false), None);
    }
}
