//! Property tests: hostile or arbitrary input never panics, and the checks never leave a
//! DNS-validated record without a verdict, whatever the answers.

use acm_dns_doctor::dns::wire;
use acm_dns_doctor::evidence::{CertificateStatus, Evidence};
use acm_dns_doctor::{checks, names, trigger};
use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON, a few levels deep, biased towards the keys the event parser looks at.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("source".to_owned()),
        Just("detail-type".to_owned()),
        Just("detail".to_owned()),
        Just("resources".to_owned()),
        Just("Records".to_owned()),
        Just("body".to_owned()),
        Just("eventSource".to_owned()),
        Just("sweep".to_owned()),
        Just("certificate_arns".to_owned()),
        Just("region".to_owned()),
        "[a-zA-Z_-]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("aws.acm".to_owned()),
            Just("aws:sqs".to_owned()),
            Just("arn:aws:acm:us-east-1:123456789012:certificate/x".to_owned()),
            Just("{\"continue\":{\"certificate_arns\":[]}}".to_owned()),
            ".{0,40}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Every recorded case's evidence (tests/evidence), as JSON.
fn corpus() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/evidence");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let v: Value = serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
        match &v["evidence"] {
            Value::Array(list) => out.extend(list.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    assert!(out.len() >= 20, "the recorded cases are the seeds");
    out
}

/// Every DNS answer in the corpus (objects with a `kind`), the pool mutations draw from.
fn answers(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            if m.get("kind").and_then(Value::as_str).is_some_and(|k| {
                ["records", "no_data", "nx_domain", "referral", "failed"].contains(&k)
            }) {
                out.push(v.clone());
            }
            for x in m.values() {
                answers(x, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                answers(x, out);
            }
        }
        _ => {}
    }
}

/// Replaces the `n`-th answer found (depth first) with `with`; returns how many there were.
fn replace_answer(v: &mut Value, n: usize, with: &Value, seen: &mut usize) {
    let is_answer = v
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| ["records", "no_data", "nx_domain", "referral", "failed"].contains(&k));
    if is_answer {
        if *seen == n {
            *v = with.clone();
        }
        *seen += 1;
        return;
    }
    match v {
        Value::Object(m) => m
            .values_mut()
            .for_each(|x| replace_answer(x, n, with, seen)),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_answer(x, n, with, seen)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_event_parses_or_is_refused_never_panics(event in json()) {
        let _ = trigger::parse(&event);
    }

    #[test]
    fn any_queue_body_is_read_or_rejected(body in ".{0,200}") {
        let event = serde_json::json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": body}]});
        match trigger::parse(&event) {
            Ok(trigger::Trigger::Queue { messages, rejected }) => {
                prop_assert_eq!(messages.len() + rejected.len(), 1);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn names_are_total_and_normal_forms_are_stable(a in "[a-zA-Z0-9_.*-]{0,60}", b in "[a-zA-Z0-9_.*-]{0,60}") {
        let n = names::normalize_name(&a);
        prop_assert_eq!(names::normalize_name(&n), n.clone());
        let _ = names::parent(&a);
        let _ = names::is_within(&a, &b);
        let _ = names::doubled_name(&a, &b);
        let _ = names::bare_name(&a);
        let _ = names::caa_base(&a);
        let _ = names::value_matches(&a, &b);
        let _ = names::is_near_miss(&a, &b);
        let _ = names::is_near_record(&a, std::slice::from_ref(&b), &a, &b);
        let _ = names::diff(&a, &b);
    }

    #[test]
    fn any_bytes_off_the_wire_classify_or_fail_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(msg) = hickory_proto::op::Message::from_vec(&bytes) {
            let _ = wire::classify(&msg);
        }
    }
}

/// The checks over arbitrary evidence: every recorded case, with up to four of its DNS answers
/// swapped for other answers of the corpus (a server that fails, lies, refers elsewhere, ...).
#[test]
fn every_dns_validated_record_gets_a_verdict_whatever_the_answers() {
    let corpus = corpus();
    let mut pool = Vec::new();
    for c in &corpus {
        answers(c, &mut pool);
    }
    pool.push(serde_json::json!({"kind": "failed", "reason": "timed out"}));
    assert!(pool.len() > 50, "{}", pool.len());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 2048,
        ..ProptestConfig::default()
    });
    let case = (
        0..corpus.len(),
        prop::collection::vec((any::<prop::sample::Index>(), 0..pool.len()), 0..5),
    );
    runner
        .run(&case, |(which, swaps)| {
            let mut v = corpus[which].clone();
            let mut total = 0;
            replace_answer(&mut v, usize::MAX, &Value::Null, &mut total);
            for (at, with) in &swaps {
                if total > 0 {
                    replace_answer(&mut v, at.index(total), &pool[*with], &mut 0);
                }
            }
            let ev: Evidence = serde_json::from_value(v).expect("mutated evidence still reads");
            let findings = checks::run(&ev, ev.gathered_at);
            let c = &ev.certificate;
            prop_assert!(!findings.is_empty(), "no finding at all for {}", c.arn);
            let judged = c.is_dns_validated()
                && matches!(
                    c.status,
                    CertificateStatus::PendingValidation | CertificateStatus::Issued
                );
            if judged {
                for r in &ev.records {
                    let name = &r.target.record.name;
                    prop_assert!(
                        findings
                            .iter()
                            .any(|f| f.record_name.as_deref() == Some(name.as_str())),
                        "no verdict for {} after swaps {:?}: {:?}",
                        name,
                        swaps,
                        findings.iter().map(|f| f.code).collect::<Vec<_>>()
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}
