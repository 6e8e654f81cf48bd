//! Recorded evidence judged again, without a world (as Zonemaster replays recorded DNS).
//!
//! Each file in `tests/evidence/` is a case: what a run gathered (`evidence`, as
//! `check --dump-evidence` writes it) and the codes it must yield (`expect`). The end-to-end
//! scenarios of `tests/check.rs` write them with `RECORD_EVIDENCE=tests/evidence`; a user's
//! puzzling case becomes one by adding its dump and the codes it should give.

use acm_dns_doctor::engine::judge;
use acm_dns_doctor::evidence::Evidence;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    expect: Vec<String>,
    evidence: Evidence,
}

#[test]
fn recorded_cases_judge_as_recorded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/evidence");
    let mut seen = 0;
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let case: Case =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut got: Vec<String> = judge(&case.evidence)
            .findings
            .iter()
            .map(|f| f.code.to_string())
            .collect();
        got.sort();
        if got != case.expect {
            wrong.push(format!(
                "{}: expected {:?}, got {got:?}",
                path.display(),
                case.expect
            ));
        }
        seen += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(seen >= 10, "only {seen} recorded cases");
}
