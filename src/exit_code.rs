//! The process's exit codes, declared once: `--help`, the summary line and the README's table
//! come from here (a test keeps the README current).

/// Why the process ended. When several apply, the one first in [`PRECEDENCE`] wins: what stops
/// data from landing outranks what only affects delivery or gating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success,
    Usage,
    Partial,
    Failure,
    Findings,
    EmailFailed,
    Locked,
    Interrupted,
}

/// Every code, in precedence order.
pub const PRECEDENCE: [ExitCode; 8] = [
    ExitCode::Failure,
    ExitCode::Usage,
    ExitCode::Locked,
    ExitCode::Interrupted,
    ExitCode::Partial,
    ExitCode::EmailFailed,
    ExitCode::Findings,
    ExitCode::Success,
];

impl ExitCode {
    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Usage => 2,
            ExitCode::Partial => 3,
            ExitCode::Failure => 4,
            ExitCode::Findings => 5,
            ExitCode::EmailFailed => 6,
            ExitCode::Locked => 7,
            ExitCode::Interrupted => 130,
        }
    }

    /// A few words for the summary line.
    pub const fn reason(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::Usage => "usage or configuration error",
            ExitCode::Partial => "partial crawl",
            ExitCode::Failure => "failure, nothing committed",
            ExitCode::Findings => "findings at or above --fail-on",
            ExitCode::EmailFailed => "e-mail failed",
            ExitCode::Locked => "another run holds the lock",
            ExitCode::Interrupted => "interrupted",
        }
    }

    /// What it means, for `--help` and the README.
    pub const fn meaning(self) -> &'static str {
        match self {
            ExitCode::Failure => {
                "failure: nothing was committed (e.g. every organization rejected the credential)"
            }
            ExitCode::Usage => "usage or configuration error (nothing was crawled)",
            ExitCode::Locked => {
                "another run (or evaluate, report, email) holds the lock of the output folder"
            }
            ExitCode::Interrupted => {
                "interrupted by SIGINT or SIGTERM, at any stage; the message says whether the snapshot was committed (then only reports or e-mail are unfinished) or not (the previous one is intact)"
            }
            ExitCode::Partial => {
                "partial: some organizations or rules failed (or a later stage did, after the commit); the rest was committed"
            }
            ExitCode::EmailFailed => {
                "the summary e-mail could not be sent; the dataset and reports are kept"
            }
            ExitCode::Findings => "open findings at or above `--fail-on`",
            ExitCode::Success => "success",
        }
    }

    /// The code for a number, if it is one of ours.
    pub fn from_code(code: u8) -> Option<Self> {
        PRECEDENCE.into_iter().find(|c| c.code() == code)
    }
}

/// The exit codes as `--help` lists them.
pub fn help_text() -> String {
    let mut out = String::from("Exit codes (when several apply, the first in this list wins):\n");
    for c in PRECEDENCE {
        out.push_str(&format!(
            "  {:<4} {}\n",
            c.code(),
            c.meaning().replace('`', "")
        ));
    }
    out
}

/// The README's table.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | meaning |\n|---|---|\n");
    for c in PRECEDENCE {
        out.push_str(&format!("| {} | {} |\n", c.code(), c.meaning()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// README.md's exit-code table is this module's (regenerate with
    /// `ADO_POSTURE_UPDATE_DOCS=1 cargo test --lib exit_code`).
    #[test]
    fn the_readme_table_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let start = readme
            .find("| code | meaning |")
            .expect("README has the exit-code table");
        let end = readme[start..]
            .find("\n\n")
            .map_or(readme.len(), |i| start + i + 1);
        let expected = markdown_table();
        if std::env::var_os("ADO_POSTURE_UPDATE_DOCS").is_some() {
            let updated = format!("{}{}{}", &readme[..start], expected, &readme[end..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        assert_eq!(
            &readme[start..end],
            expected,
            "README.md's exit codes are stale"
        );
    }

    #[test]
    fn every_code_is_distinct_and_found_again() {
        for c in PRECEDENCE {
            assert_eq!(ExitCode::from_code(c.code()), Some(c));
        }
        assert_eq!(ExitCode::from_code(1), None);
    }
}
