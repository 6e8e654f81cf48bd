//! The fix's planner over recorded evidence (`tests/evidence`), no world: what it writes, what it
//! deletes, and what it refuses.

use acm_dns_doctor::engine;
use acm_dns_doctor::evidence::{Evidence, RecordSet, Route53Evidence};
use acm_dns_doctor::fix::{Action, CertificatePlan, plan};
use hickory_proto::rr::RecordType;

fn case(name: &str) -> Evidence {
    let path = format!("{}/tests/evidence/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let ev = match &v["evidence"] {
        serde_json::Value::Array(a) => a[0].clone(),
        other => other.clone(),
    };
    let mut ev: Evidence = serde_json::from_value(ev).unwrap();
    // Recorded before record sets kept their TTL, which a DELETE must name.
    for r in &mut ev.records {
        if let Route53Evidence::Listed { zones } = &mut r.route53 {
            for s in zones.iter_mut().flat_map(|z| z.records.iter_mut()) {
                s.ttl.get_or_insert(300);
            }
        }
    }
    ev
}

/// The plan over the engine's own judgement of the evidence.
fn planned(ev: &Evidence, delete_wrong: bool) -> CertificatePlan {
    plan(ev, &engine::judge(ev).findings, delete_wrong)
}

fn why(p: &CertificatePlan) -> String {
    p.refused
        .iter()
        .map(|r| r.why.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn a_missing_record_is_one_upsert_in_the_live_zone() {
    let ev = case("missing_record_says_which_zone_to_add_it_to");
    let p = planned(&ev, false);
    assert!(p.refused.is_empty(), "{}", why(&p));
    let c = &p.batches[0].changes;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].action, Action::Upsert);
    assert_eq!(c[0].rtype, "CNAME");
    assert_eq!(c[0].name, ev.records[0].target.record.name);
    assert_eq!(c[0].values, [ev.records[0].target.record.value.clone()]);
    assert_eq!(p.batches[0].zone_name, "missing-shop.com.");
}

#[test]
fn a_delegation_still_changing_is_refused() {
    let mut ev = case("missing_record_says_which_zone_to_add_it_to");
    ev.records[0].live.authoritative.parent_name_servers =
        vec!["ns1.otherdns.net.".into(), "ns2.otherdns.net.".into()];
    let p = planned(&ev, false);
    assert!(p.batches.is_empty());
    assert!(
        why(&p).contains("delegation of missing-shop.com. is changing"),
        "{}",
        why(&p)
    );
}

#[test]
fn a_routed_or_alias_record_set_at_the_name_is_never_written_beside() {
    let mut ev = case("missing_record_says_which_zone_to_add_it_to");
    let name = ev.records[0].target.record.name.clone();
    let Route53Evidence::Listed { zones } = &mut ev.records[0].route53 else {
        panic!("listed")
    };
    let live = zones.iter_mut().find(|z| !z.zone.private).unwrap();
    live.records.push(RecordSet {
        name: name.clone(),
        rtype: RecordType::CNAME,
        values: vec!["_weighted.example.".into()],
        ttl: Some(60),
        routed: true,
    });
    let p = planned(&ev, true);
    assert!(p.batches.is_empty(), "{p:?}");
    assert!(
        why(&p).contains("routing policy or an alias"),
        "{}",
        why(&p)
    );
}

#[test]
fn delete_wrong_deletes_only_what_its_permission_allows() {
    // The value as a TXT under the underscore name: deleted, then the CNAME written.
    let p = planned(&case("value_published_as_txt"), true);
    let actions: Vec<(Action, &str)> = p.batches[0]
        .changes
        .iter()
        .map(|c| (c.action, c.rtype.as_str()))
        .collect();
    assert_eq!(
        actions,
        [(Action::Delete, "TXT"), (Action::Upsert, "CNAME")]
    );
    // The same without --delete-wrong: refused, and why.
    let p = planned(&case("value_published_as_txt"), false);
    assert!(why(&p).contains("--delete-wrong"), "{}", why(&p));
    // A record typed without its underscore carries the token, but its name is not `_*`: the
    // permission would refuse the whole batch, so the plan says to delete it by hand.
    let p = planned(&case("name_typed_without_the_underscore_in_route53"), true);
    assert!(p.batches.is_empty(), "{p:?}");
    assert!(why(&p).contains("delete it by hand"), "{}", why(&p));
    // Without --delete-wrong it only writes the right record.
    let p = planned(&case("name_typed_without_the_underscore_in_route53"), false);
    let c = &p.batches[0].changes;
    assert_eq!((c.len(), c[0].action), (1, Action::Upsert));
}

#[test]
fn a_private_copy_is_kept_and_the_public_zone_written() {
    let p = planned(&case("record_only_in_a_private_zone"), true);
    assert_eq!(p.batches.len(), 1);
    assert!(
        p.batches[0]
            .changes
            .iter()
            .all(|c| c.action == Action::Upsert)
    );
}
