//! The layers point one way: a module of `src/` may import (`crate::...`) only the modules its
//! row allows. Adapters → evidence ← checks → finding → rendering; engine and handler on top.

use std::collections::BTreeSet;

/// Each top-level module of the library, and what it may import. Leaves import nothing.
const ALLOWED: &[(&str, &[&str])] = &[
    // Leaves.
    ("names", &[]),
    ("time", &[]),
    ("arn", &[]),
    ("exit", &[]),
    ("progress", &[]),
    ("finding", &[]),
    // Plain data.
    ("evidence", &["names", "time"]),
    // Adapters: all I/O, returning plain data.
    ("trigger", &["arn"]),
    ("dns", &["evidence", "names"]),
    ("aws", &["arn", "evidence", "names", "time"]),
    // Pure judgement.
    ("checks", &["evidence", "finding", "names", "time"]),
    // The fix's plan: pure, over evidence and findings.
    ("fix", &["evidence", "finding", "names"]),
    // Rendering.
    (
        "report",
        &["arn", "evidence", "finding", "fix", "time", "exit"],
    ),
    (
        "alert",
        &["report", "checks", "evidence", "finding", "fix", "time"],
    ),
    // Applying a fix (above the engine).
    (
        "remedy",
        &["arn", "aws", "engine", "finding", "fix", "report"],
    ),
    // Settings, then the top.
    ("config", &["arn", "aws", "dns", "finding"]),
    (
        "engine",
        &[
            "arn", "aws", "dns", "checks", "evidence", "report", "config", "names", "time",
        ],
    ),
    (
        "handler",
        &[
            "arn", "aws", "alert", "config", "engine", "evidence", "finding", "fix", "remedy",
            "report", "time", "trigger",
        ],
    ),
];

/// The top-level module a source file belongs to: `src/checks/facts.rs` -> `checks`.
fn module_of(rel: &str) -> Option<String> {
    let first = rel.split('/').next()?;
    let m = first.trim_end_matches(".rs");
    (m != "lib" && m != "bin").then(|| m.to_owned())
}

/// Every `crate::X` named in `src` (comments stripped).
fn imports(src: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in src.lines() {
        let code = line.find("//").map_or(line, |i| &line[..i]);
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `use crate::{a, b}` names several.
            if name.is_empty() && after.starts_with('{') {
                let end = after.find('}').unwrap_or(after.len());
                for part in after[1..end].split(',') {
                    let n: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !n.is_empty() {
                        out.insert(n);
                    }
                }
            } else if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut all = Vec::new();
    files(src, &mut all);
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for path in &all {
        let rel = path
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Some(module) = module_of(&rel) else {
            continue;
        };
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == module) else {
            wrong.push(format!("{rel}: module {module} has no row in ALLOWED"));
            continue;
        };
        seen.insert(module.clone());
        let text = std::fs::read_to_string(path).unwrap();
        for import in imports(&text) {
            if import != module && !allowed.contains(&import.as_str()) {
                wrong.push(format!("{rel}: {module} imports crate::{import}"));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    assert!(
        seen.len() >= 14,
        "only {} modules seen: {seen:?}",
        seen.len()
    );
}

#[test]
fn the_scanner_sees_grouped_and_inline_imports() {
    let got = imports(
        "use crate::{evidence::X, names};\nlet t = crate::time::now(); // crate::handler\n",
    );
    let want: BTreeSet<String> = ["evidence", "names", "time"].map(String::from).into();
    assert_eq!(got, want);
}
