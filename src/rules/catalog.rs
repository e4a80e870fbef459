//! Rule metadata and its parsing from a SQL file's header.

use std::fmt;

use serde::Serialize;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule file {file}: {message}")]
    Header { file: String, message: String },
    #[error("rule {rule}: {message}")]
    Query { rule: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Toxic combinations: attack paths across resources, above any single misconfiguration.
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    /// Every severity, in report order (most severe first): the one place that order is spelt.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// Position in report order (0: critical).
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recommendation: metadata and the SQL that finds the resources failing it.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub resource_kind: String,
    pub description: String,
    pub remediation: String,
    pub references: Vec<String>,
    /// The equivalents in the tools security teams use today, each `Name (Severity)` in that
    /// tool's own words, or `none`: Microsoft Defender for Cloud's DevOps recommendation, AzSK
    /// ADO Scanner's control id, PSRule.Rules.AzureDevOps' rule name. `None` when the header
    /// does not say (custom rules may leave them out; built-in rules must not).
    pub anchors: Anchors,
    /// `built-in`, or the file a custom rule came from.
    pub origin: String,
    /// The rule compares organizations (`-- whole_snapshot: true`, custom rules only): it runs
    /// once over every organization's rows, where the others run one organization at a time.
    pub whole_snapshot: bool,
    #[serde(skip)]
    pub sql: String,
}

/// A rule's equivalents in Defender for Cloud, AzSK (ADO Scanner) and PSRule for Azure DevOps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Anchors {
    pub defender: Option<String>,
    pub azsk: Option<String>,
    pub psrule: Option<String>,
}

impl Anchors {
    /// (tool name, anchor) in display order.
    pub fn named(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("Defender for Cloud", self.defender.as_deref()),
            ("AzSK", self.azsk.as_deref()),
            ("PSRule", self.psrule.as_deref()),
        ]
    }
}

/// Parses a rule file: `-- key: value` header lines, then the query. Header keys: id, title,
/// severity, resource_kind, description, remediation, references (separated by ` | `), the
/// optional anchors defender, azsk, psrule (`Name (Severity)` or `none`), and the optional
/// `whole_snapshot: true` of a rule that compares organizations.
pub fn parse_rule(file: &str, text: &str) -> Result<Rule, RuleError> {
    let header_error = |message: String| RuleError::Header {
        file: file.to_string(),
        message,
    };
    let mut fields = std::collections::HashMap::new();
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        if let Some((key, value)) = comment.split_once(':') {
            let key = key.trim();
            if !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                fields.insert(key.to_string(), value.trim().to_string());
            }
        }
    }
    let mut take = |key: &str| {
        fields
            .remove(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| header_error(format!("the header has no '-- {key}: …' line")))
    };
    let id = take("id")?;
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(header_error(format!(
            "id '{id}' may only hold letters, digits, '-', '_' and '.'"
        )));
    }
    let title = take("title")?;
    let severity_text = take("severity")?;
    let severity = Severity::parse(&severity_text).ok_or_else(|| {
        header_error(format!(
            "severity '{severity_text}' is not critical, high, medium or low"
        ))
    })?;
    let resource_kind = take("resource_kind")?;
    let description = take("description")?;
    let remediation = take("remediation")?;
    let references = take("references")?
        .split(" | ")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let whole_snapshot = match fields.remove("whole_snapshot").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(header_error(format!(
                "whole_snapshot '{other}' is not true or false"
            )));
        }
    };
    let anchors = Anchors {
        defender: fields.remove("defender").filter(|v| !v.is_empty()),
        azsk: fields.remove("azsk").filter(|v| !v.is_empty()),
        psrule: fields.remove("psrule").filter(|v| !v.is_empty()),
    };
    Ok(Rule {
        id,
        title,
        severity,
        resource_kind,
        description,
        remediation,
        references,
        anchors,
        origin: "built-in".into(),
        whole_snapshot,
        sql: text.to_string(),
    })
}

/// A named query over the tables that rules (and analysts) read like a table, e.g.
/// `default_branch_policies`. Declared in `sql/views/<name>.sql` with `-- view:` and
/// `-- description:` header lines.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub name: String,
    pub description: String,
    #[serde(skip)]
    pub sql: String,
}

/// Parses a view file's header and keeps its query.
pub fn parse_view(file: &str, text: &str) -> Result<View, RuleError> {
    let header = |key: &str| {
        text.lines()
            .map_while(|l| l.trim_start().strip_prefix("--"))
            .filter_map(|c| c.split_once(':'))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| RuleError::Header {
                file: file.to_string(),
                message: format!("the header has no '-- {key}: …' line"),
            })
    };
    Ok(View {
        name: header("view")?,
        description: header("description")?,
        sql: text.to_string(),
    })
}

/// The built-in views, in file-name order (a view may read the views before it).
pub fn builtin_views() -> Result<Vec<View>, RuleError> {
    builtin::BUILTIN_VIEWS
        .iter()
        .map(|(file, text)| parse_view(file, text))
        .collect()
}

/// docs/rules.md: the catalog as Markdown, generated from the rule files.
pub fn markdown(rules: &[Rule]) -> String {
    let mut out = String::from(
        "# Recommendations\n\n\
         Generated from `sql/rules/*.sql` (a test fails when this file is stale; regenerate with\n\
         `ADO_POSTURE_UPDATE_DOCS=1 cargo test --lib rules::catalog::tests::rules_docs_are_current`).\n\n\
         Anchors name the equivalent in the tools security teams use today, with that tool's own\n\
         severity: Microsoft Defender for Cloud's DevOps recommendations, AzSK ADO Scanner controls\n\
         (`SVT/ADO/*.json`) and PSRule.Rules.AzureDevOps rules; \"none\" where no control matches.\n\n\
         **Shared service connections.** The service lists a connection shared with several projects\n\
         in each of them. It is one connection: a finding about the connection itself (its type, its\n\
         scheme, its Azure scope, its checks and approvals, being shared) is raised once, under its\n\
         owning project (the first of its project references the crawl read it in; the service lists\n\
         the creating project first). Pipeline permissions are per project, so ADO-SC-001 judges each\n\
         project it is available in (`service_connection_projects`).\n\n\
         | id | severity | resource | title | Defender for Cloud | AzSK | PSRule |\n|---|---|---|---|---|---|---|\n",
    );
    let cell = |a: Option<&str>| a.unwrap_or("—").replace('|', "\\|");
    for r in rules {
        out.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} | {} | {} | {} |\n",
            r.id,
            r.id.to_ascii_lowercase(),
            r.severity,
            r.resource_kind,
            r.title,
            cell(r.anchors.defender.as_deref()),
            cell(r.anchors.azsk.as_deref()),
            cell(r.anchors.psrule.as_deref()),
        ));
    }
    for r in rules {
        out.push_str(&format!(
            "\n## {}\n\n**{}** · severity {} · resource: {}\n\n{}\n\n**Remediation.** {}\n\n**Anchors.**\n",
            r.id, r.title, r.severity, r.resource_kind, r.description, r.remediation
        ));
        for (tool, anchor) in r.anchors.named() {
            out.push_str(&format!("- {tool}: {}\n", anchor.unwrap_or("not stated")));
        }
        out.push_str("\n**References.**\n");
        for reference in &r.references {
            out.push_str(&format!("- {reference}\n"));
        }
    }
    out
}

/// The built-in catalog, sorted by id. A built-in rule that does not parse is a build defect,
/// which the catalog test catches.
pub fn builtin_rules() -> Result<Vec<Rule>, RuleError> {
    let mut rules = builtin::BUILTIN_RULES
        .iter()
        .map(|(file, text)| parse_rule(file, text))
        .collect::<Result<Vec<_>, _>>()?;
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

/// Loads users' rules: every `*.sql` file of `dir`, in name order, each with the same header
/// as the built-in rules. A file that does not parse, or whose id is already taken (by a
/// built-in rule or an earlier file), is returned as an error and the others still load.
pub fn load_rules_dir(dir: &std::path::Path, taken: &[Rule]) -> (Vec<Rule>, Vec<RuleError>) {
    let mut rules: Vec<Rule> = Vec::new();
    let mut errors = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(RuleError::Header {
                file: dir.display().to_string(),
                message: format!("cannot read the custom rules folder: {e}"),
            });
            return (rules, errors);
        }
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for file in files {
        let name = file.display().to_string();
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                errors.push(RuleError::Header {
                    file: name,
                    message: format!("cannot read it: {e}"),
                });
                continue;
            }
        };
        match parse_rule(&name, &text) {
            Ok(mut rule) => {
                if taken.iter().chain(&rules).any(|r| r.id == rule.id) {
                    errors.push(RuleError::Header {
                        file: name,
                        message: format!("rule id {} is already taken; pick another id", rule.id),
                    });
                    continue;
                }
                rule.origin = name;
                rules.push(rule);
            }
            Err(e) => errors.push(e),
        }
    }
    (rules, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_with_unique_ids_matching_file_names() {
        let rules = builtin_rules().unwrap();
        assert!(rules.len() >= 2);
        for (file, _) in builtin::BUILTIN_RULES {
            let rule = rules.iter().find(|r| format!("{}.sql", r.id) == *file);
            assert!(rule.is_some(), "{file}: id must match the file name");
        }
        let mut ids: Vec<_> = rules.iter().map(|r| &r.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), rules.len());
        assert!(rules.iter().all(|r| !r.references.is_empty()));
    }

    #[test]
    fn builtin_rules_name_their_anchors_with_severities() {
        for rule in builtin_rules().unwrap() {
            for (tool, anchor) in rule.anchors.named() {
                let anchor = anchor.unwrap_or_else(|| panic!("{}: no {tool} anchor line", rule.id));
                assert!(
                    anchor == "none" || anchor.starts_with("none (") || anchor.ends_with(')'),
                    "{}: {tool} anchor '{anchor}' must be 'Name (Severity)' or 'none'",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn builtin_views_parse_with_names_matching_file_names() {
        let views = builtin_views().unwrap();
        assert!(!views.is_empty());
        for (view, (file, _)) in views.iter().zip(builtin::BUILTIN_VIEWS) {
            assert_eq!(format!("{}.sql", view.name), *file);
        }
    }

    #[test]
    fn rules_docs_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
        let expected = markdown(&builtin_rules().unwrap());
        if std::env::var_os("ADO_POSTURE_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == expected,
            "docs/rules.md is stale: run ADO_POSTURE_UPDATE_DOCS=1 cargo test --lib rules::catalog::tests::rules_docs_are_current"
        );
    }

    #[test]
    fn missing_header_key_is_named() {
        let err = parse_rule("x.sql", "-- id: X\n-- title: T\nSELECT 1").unwrap_err();
        assert!(err.to_string().contains("severity"), "{err}");
    }
}
