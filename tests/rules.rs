//! The recommendation engine end to end: findings against the previous snapshot (new,
//! persisting, resolved, first seen), exemptions and their expiry, custom rules, `evaluate`
//! and `--fail-on`.

use crate::common;

use std::collections::BTreeMap;

use ado_posture::dataset::{Dataset, scan_files};
use ado_posture_sim::{Estate, EstateSizes};
use chrono::NaiveDate;
use common::*;

/// (finding_id → (status, first_seen, exempt)) of a snapshot's findings table.
fn statuses(
    dataset: &std::path::Path,
    date: NaiveDate,
) -> BTreeMap<String, (String, String, bool)> {
    let dataset = Dataset::new(dataset);
    let df = scan_files(&dataset.partition_files("findings", date).unwrap())
        .unwrap()
        .collect()
        .unwrap();
    let text = |c: &str| {
        df.column(c)
            .unwrap()
            .cast(&polars::prelude::DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .clone()
    };
    let (ids, status, first_seen) = (text("finding_id"), text("status"), text("first_seen"));
    let exempt = df.column("exempt").unwrap().bool().unwrap().clone();
    (0..df.height())
        .map(|i| {
            (
                ids.get(i).unwrap().to_string(),
                (
                    status.get(i).unwrap().to_string(),
                    first_seen.get(i).unwrap().to_string(),
                    exempt.get(i).unwrap(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_fix_and_one_new_misconfiguration_give_one_resolved_one_new_and_the_rest_persisting() {
    let tmp = tempfile::tempdir().unwrap();
    let sizes = EstateSizes {
        organizations: 2,
        projects_per_organization: 4,
        repositories_per_project: 3,
    };
    let estate = Estate::generate(11, sizes);
    let (d1, d2) = (
        NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 5, 2).unwrap(),
    );
    snapshot(estate.clone(), tmp.path(), d1, "run-1").await;

    // Between the snapshots: the public project is made private (fixed), a private one public.
    let mut changed = estate;
    let org = &mut changed.organizations[0];
    assert_eq!(org.projects[0].visibility, "public");
    org.projects[0].visibility = "private";
    let fixed = org.projects[0].id.clone();
    let other = org
        .projects
        .iter_mut()
        .skip(1)
        .find(|p| p.visibility != "public")
        .expect("a private project");
    other.visibility = "public";
    let added = other.id.clone();
    snapshot(changed, tmp.path(), d2, "run-2").await;

    let dataset = tmp.path().join("dataset");
    let before = statuses(&dataset, d1);
    let after = statuses(&dataset, d2);
    let org_name = "sim-org-00";
    let fixed_id = format!("ADO-PROJ-001:fixture/{org_name}/{fixed}");
    let added_id = format!("ADO-PROJ-001:fixture/{org_name}/{added}");
    // Visibility also decides ADO-PIPE-006 (public projects' job tokens are always scoped to
    // the project) and the toxic combinations of public projects (ADO-TOX-002, ADO-TOX-005), so
    // only the other rules are counted here.
    let count = |status: &str| {
        after
            .iter()
            .filter(|(id, v)| {
                v.0 == status && !id.starts_with("ADO-PIPE-006:") && !id.starts_with("ADO-TOX-")
            })
            .count()
    };
    assert_eq!(count("resolved"), 1, "{after:#?}");
    assert_eq!(count("new"), 1);
    assert_eq!(after[&fixed_id].0, "resolved");
    assert_eq!(after[&fixed_id].1, d1.to_string(), "first seen kept");
    assert_eq!(after[&added_id].0, "new");
    assert_eq!(after[&added_id].1, d2.to_string());
    for (id, (status, first_seen, _)) in &after {
        if id == &fixed_id
            || id == &added_id
            || status == "not_evaluated"
            || id.starts_with("ADO-PIPE-006:")
            || id.starts_with("ADO-TOX-")
        {
            continue;
        }
        assert_eq!(status, "persisting", "{id}");
        assert_eq!(first_seen, &d1.to_string(), "{id}");
        assert!(before.contains_key(id), "{id}");
    }
    // Everything failing on day 1 is still failing or resolved on day 2.
    for (id, (status, ..)) in &before {
        if status != "not_evaluated" {
            assert!(after.contains_key(id), "{id} vanished");
        }
    }
}

/// A config naming the exemptions (the connector is needed for the file to load; its PAT
/// variable is set by the caller).
fn config_with(dir: &std::path::Path, name: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            r#"
[[connector]]
name = "demo"
url = "http://127.0.0.1:9"
organizations = ["sim-org-00"]
auth = {{ kind = "pat", token_env = "RULES_TEST_PAT" }}
{extra}
"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn evaluate_applies_exemptions_until_they_expire_runs_custom_rules_and_gates_on_severity() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let output = run(&["demo", "--out", out.to_str().unwrap()], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let dataset = out.join("dataset");
    let date = Dataset::new(&dataset).snapshot_dates("findings").unwrap()[0];
    // The public projects of sim-org-00 fail ADO-PROJ-001.
    let public_projects = |map: &BTreeMap<String, (String, String, bool)>| {
        let found: Vec<(String, String, bool)> = map
            .iter()
            .filter(|(id, _)| id.starts_with("ADO-PROJ-001:demo/sim-org-00/"))
            .map(|(_, v)| v.clone())
            .collect();
        assert!(!found.is_empty(), "the estate has a public project");
        found
    };
    assert!(
        public_projects(&statuses(&dataset, date))
            .iter()
            .all(|(status, _, exempt)| status == "new" && !exempt)
    );

    let env = [("RULES_TEST_PAT", "unused")];
    let evaluate = |config: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "evaluate",
            "--data",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&args, &env)
    };
    for (expires, hidden) in [(date, true), (date - chrono::Days::new(1), false)] {
        let config = config_with(
            tmp.path(),
            "exempt.toml",
            &format!(
                "[[exemption]]\nrule = \"ADO-PROJ-001\"\nresource = \"sim-org-00/*\"\nreason = \"demo project, public on purpose\"\nexpires = \"{expires}\"\n"
            ),
        );
        let output = evaluate(&config, &[]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        for (status, _, exempt) in public_projects(&statuses(&dataset, date)) {
            assert_eq!(exempt, hidden, "expires {expires}, snapshot {date}");
            assert_eq!(status, "new", "re-evaluating the same day keeps the status");
        }
        let stdout = text(&output.stdout);
        assert_eq!(stdout.contains(", 0 exempt"), !hidden, "{stdout}");
    }

    // Custom rules: one that works, one that is broken; the broken one is named and the
    // others still run (exit code 3, partial).
    let rules_dir = tmp.path().join("my-rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    std::fs::write(
        rules_dir.join("ACME-001.sql"),
        "-- id: ACME-001\n-- title: Repositories are named with the team prefix\n-- severity: low\n-- resource_kind: repository\n-- description: Repository names start with the owning team's prefix.\n-- remediation: Rename the repository.\n-- references: internal naming standard\nSELECT connector, organization, project_id, project, repository_id AS resource_id, repository AS resource_name, 'name does not start with acme-' AS details FROM repositories WHERE NOT STARTS_WITH(repository, 'acme-')\n",
    )
    .unwrap();
    std::fs::write(
        rules_dir.join("ACME-002.sql"),
        "-- id: ACME-002\n-- title: Broken\n-- severity: high\n-- resource_kind: repository\n-- description: d\n-- remediation: r\n-- references: x\nSELECT nope FROM no_such_table\n",
    )
    .unwrap();
    // A rule that compares organizations declares it: the others see one organization at a
    // time, so without `whole_snapshot` it would never find more than one.
    std::fs::write(
        rules_dir.join("ACME-004.sql"),
        "-- id: ACME-004\n-- title: One of several organizations\n-- severity: low\n-- resource_kind: organization\n-- description: d\n-- remediation: r\n-- references: x\n-- whole_snapshot: true\nSELECT o.connector, o.organization, '' AS project_id, '' AS project, o.organization AS resource_id, o.organization AS resource_name, 'one of several organizations' AS details FROM organizations o CROSS JOIN (SELECT COUNT(*) AS n FROM organizations) c WHERE c.n > 1\n",
    )
    .unwrap();
    std::fs::write(
        rules_dir.join("ACME-003.sql"),
        "-- id: ACME-003\n-- title: No severity\nSELECT 1\n",
    )
    .unwrap();
    let config = config_with(tmp.path(), "plain.toml", "");
    let output = evaluate(&config, &["--rules-dir", rules_dir.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("ACME-002"), "{stderr}");
    assert!(
        stderr.contains("ACME-003.sql") && stderr.contains("severity"),
        "{stderr}"
    );
    let after = statuses(&dataset, date);
    assert!(after.keys().any(|id| id.starts_with("ACME-001:")));
    assert_eq!(
        after
            .keys()
            .filter(|id| id.starts_with("ACME-004:"))
            .count(),
        3,
        "the whole-snapshot rule sees the demo's 3 organizations"
    );
    assert!(after.keys().any(|id| id.starts_with("ADO-REPO-001:")));

    // --fail-on: high findings are open in the demo estate → exit 5; `rules` lists the
    // custom rule beside the catalog.
    let output = evaluate(&config, &["--fail-on", "high"]);
    assert_eq!(output.status.code(), Some(5), "{}", text(&output.stderr));
    let output = run(
        &[
            "rules",
            "--format",
            "json",
            "--rules-dir",
            rules_dir.to_str().unwrap(),
        ],
        &[],
    );
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "ACME-001"));
    assert!(text(&output.stderr).contains("ACME-003.sql"));
}

#[test]
fn the_catalog_lists_at_least_45_rules_with_severity_remediation_and_references() {
    let output = run(&["rules", "--format", "json"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert!(rules.len() >= 45, "{} rules", rules.len());
    for r in rules {
        assert!(
            ["critical", "high", "medium", "low"].contains(&r["severity"].as_str().unwrap()),
            "{r}"
        );
        assert!(!r["remediation"].as_str().unwrap().is_empty(), "{r}");
        assert!(!r["references"].as_array().unwrap().is_empty(), "{r}");
    }
    // The 12 Defender for Cloud recommendations for Azure DevOps (without IaC and API security
    // scanning, which need no Azure DevOps setting) are all there, each once, by its real name;
    // every rule states its AzSK and PSRule anchor (or none).
    let anchor =
        |r: &serde_json::Value, tool: &str| r["anchors"][tool].as_str().map(str::to_string);
    let defender: std::collections::BTreeSet<String> = rules
        .iter()
        .filter_map(|r| anchor(r, "defender"))
        .filter(|a| a != "none")
        .collect();
    assert!(defender.len() >= 12, "{defender:#?}");
    assert!(
        defender.iter().all(|a| a.starts_with("Azure DevOps ")),
        "{defender:#?}"
    );
    for r in rules {
        for tool in ["defender", "azsk", "psrule"] {
            assert!(anchor(r, tool).is_some(), "{tool} anchor of {r}");
        }
        if let Some(azsk) = anchor(r, "azsk").filter(|a| a != "none" && !a.starts_with("none ")) {
            assert!(azsk.starts_with("ADO_"), "{azsk}");
        }
        if let Some(psrule) = anchor(r, "psrule").filter(|a| a != "none") {
            assert!(psrule.starts_with("Azure.DevOps."), "{psrule}");
        }
    }
}

/// `[[rule_scope]]`: a scoped rule judges only the resources its patterns name (approvals on
/// production only, say); the other rules are unaffected.
#[test]
fn a_rule_scope_limits_a_rule_to_the_resources_it_names() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let output = run(&["demo", "--out", out.to_str().unwrap()], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let dataset = out.join("dataset");
    let date = Dataset::new(&dataset).snapshot_dates("findings").unwrap()[0];
    let count = |prefix: &str| {
        statuses(&dataset, date)
            .keys()
            .filter(|id| id.starts_with(prefix))
            .count()
    };
    let (env_before, sc_before) = (count("ADO-ENV-002:"), count("ADO-SC-004:"));
    assert!(env_before > 1 && sc_before > 0, "{env_before} {sc_before}");
    let env = [("RULES_TEST_PAT", "unused")];
    for (patterns, expected) in [("[\"*\"]", env_before), ("[\"*/*/no-such-*\"]", 0)] {
        let config = config_with(
            tmp.path(),
            "scope.toml",
            &format!("[[rule_scope]]\nrule = \"ADO-ENV-*\"\nresources = {patterns}\n"),
        );
        let output = run(
            &[
                "evaluate",
                "--data",
                out.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ],
            &env,
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert_eq!(count("ADO-ENV-002:"), expected, "{patterns}");
        assert_eq!(count("ADO-SC-004:"), sc_before, "{patterns}");
    }
    let config = config_with(
        tmp.path(),
        "bad.toml",
        "[[rule_scope]]\nrule = \"ADO-ENV-002\"\nresources = []\n",
    );
    let output = run(
        &[
            "run",
            "--check",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("[[rule_scope]] #1"),
        "{}",
        text(&output.stderr)
    );
}
