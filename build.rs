//! Embeds every built-in rule (`sql/rules/*.sql`) and view (`sql/views/*.sql`), so that adding
//! a rule is adding one file.

use std::fmt::Write as _;
use std::path::Path;

/// `(file name, SQL text)` entries of every `.sql` file in `sql/<folder>`, sorted by name.
fn embed(folder: &str, constant: &str, code: &mut String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sql")
        .join(folder);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let _ = writeln!(
        code,
        "/// (file name, SQL text) of each file in sql/{folder}/."
    );
    let _ = writeln!(code, "pub const {constant}: &[(&str, &str)] = &[");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            file.display().to_string()
        );
    }
    code.push_str("];\n");
}

fn main() {
    let mut code = String::new();
    embed("rules", "BUILTIN_RULES", &mut code);
    embed("views", "BUILTIN_VIEWS", &mut code);
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("builtin_rules.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
