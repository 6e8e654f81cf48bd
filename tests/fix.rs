//! `acm-dns-doctor fix`, end to end: moto's Route 53 and a loopback internet whose Route 53
//! name servers serve what moto holds, also after the change (mirrored while the CLI runs).

mod common;

use acm_dns_doctor_testkit::dns::{Behaviour, Internet, World};
use acm_dns_doctor_testkit::proxy::{Fault, FaultKind, Proxy};
use common::{Lab, OTHER_HOSTS, R53_HOSTS};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Output;
use std::time::Duration;

/// Runs the CLI against `endpoint` while `world`'s copies of `zones` (id, apex) follow moto.
async fn fix_cli(
    lab: &Lab,
    endpoint: &str,
    world: &World,
    zones: &[(String, String)],
    args: &[&str],
) -> Output {
    let mut fix = vec!["fix"];
    fix.extend_from_slice(args);
    fix.extend(["--dns-timeout-ms", "700", "--wait-secs", "20"]);
    let mut cmd = common::cli(
        env!("CARGO_BIN_EXE_acm-dns-doctor"),
        endpoint,
        world,
        &fix,
        true,
    );
    let child = tokio::task::spawn_blocking(move || cmd.output().expect("run acm-dns-doctor"));
    let mut served: BTreeMap<String, String> = BTreeMap::new();
    for (id, _) in zones {
        served.insert(id.clone(), lab.served(id).await);
    }
    // What Route 53's servers would do: serve each change once it is made.
    while !child.is_finished() {
        lab.mirror(world, zones, &mut served).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.await.unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn codes(cert: &Value) -> Vec<String> {
    let mut c: Vec<String> = cert["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    c.sort();
    c
}

/// A public zone delegated to Route 53's servers with `records`; returns its id.
async fn r53_zone(
    lab: &Lab,
    net: &mut Internet,
    apex: &str,
    records: &[(&str, &str, &str)],
) -> String {
    let id = lab.zone(apex, false).await;
    for (n, t, v) in records {
        lab.put(&id, n, t, v).await;
    }
    net.zone(apex, &R53_HOSTS, &lab.served(&id).await);
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn each_fixable_finding_is_record_ok_after_fix_apply() {
    let lab = Lab::new().await;
    let mut net = Internet::new();
    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut zones = Vec::new();
    // Each case in a zone of its own (moto gives every certificate the same token).
    let (arn, rec) = lab.request("fix-missing.com", &[]).await;
    zones.push((
        r53_zone(&lab, &mut net, "fix-missing.com", &[]).await,
        "fix-missing.com".to_owned(),
    ));
    cases.push(("RECORD_MISSING", arn));

    let (arn, rec_d) = lab.request("fix-doubled.com", &[]).await;
    let doubled = format!("{}fix-doubled.com.", rec_d.name);
    zones.push((
        r53_zone(
            &lab,
            &mut net,
            "fix-doubled.com",
            &[(&doubled, "CNAME", &rec_d.value)],
        )
        .await,
        "fix-doubled.com".to_owned(),
    ));
    cases.push(("DOUBLED_DOMAIN", arn));

    let (arn, rec_v) = lab.request("fix-value.com", &[]).await;
    let wrong = "_0000000000000000ffffffffffffffff.zzzzzzzzzz.acm-validations.aws.";
    zones.push((
        r53_zone(
            &lab,
            &mut net,
            "fix-value.com",
            &[(&rec_v.name, "CNAME", wrong)],
        )
        .await,
        "fix-value.com".to_owned(),
    ));
    cases.push(("VALUE_MISMATCH", arn));

    let (arn, rec_p) = lab.request("fix-private.com", &[]).await;
    let private = lab.zone("fix-private.com", true).await;
    lab.put(&private, &rec_p.name, "CNAME", &rec_p.value).await;
    zones.push((
        r53_zone(&lab, &mut net, "fix-private.com", &[]).await,
        "fix-private.com".to_owned(),
    ));
    cases.push(("RECORD_IN_PRIVATE_ZONE_ONLY", arn));

    let (arn, rec_t) = lab.request("fix-typo.com", &[]).await;
    let typo = rec_t.name.replacen(&rec_t.name[2..3], "", 1);
    zones.push((
        r53_zone(
            &lab,
            &mut net,
            "fix-typo.com",
            &[(&typo, "CNAME", &rec_t.value)],
        )
        .await,
        "fix-typo.com".to_owned(),
    ));
    cases.push(("NAME_MISMATCH", arn));

    let (arn, rec_w) = lab.request("fix-type.com", &[]).await;
    let quoted = format!("\"{}\"", rec_w.value);
    zones.push((
        r53_zone(
            &lab,
            &mut net,
            "fix-type.com",
            &[(&rec_w.name, "TXT", &quoted)],
        )
        .await,
        "fix-type.com".to_owned(),
    ));
    cases.push(("WRONG_RECORD_TYPE", arn));

    let (arn, rec_c) = lab.request("fix-both.com", &[]).await;
    zones.push((
        r53_zone(
            &lab,
            &mut net,
            "fix-both.com",
            &[
                (&rec_c.name, "CNAME", &rec_c.value),
                (&rec_c.name, "TXT", "\"verification=1\""),
            ],
        )
        .await,
        "fix-both.com".to_owned(),
    ));
    cases.push(("CNAME_AND_TXT_CONFLICT", arn));
    // The record in a Route 53 zone nobody delegated to; the live zone is the parent, also in
    // Route 53 (the subzone is in moto only: no server answers for it).
    let (arn, rec_u) = lab.request("app.fix-sub.com", &[]).await;
    let sub = lab.zone("app.fix-sub.com", false).await;
    lab.put(&sub, &rec_u.name, "CNAME", &rec_u.value).await;
    zones.push((
        r53_zone(&lab, &mut net, "fix-sub.com", &[]).await,
        "fix-sub.com".to_owned(),
    ));
    cases.push(("RECORD_IN_UNDELEGATED_ZONE", arn));
    let _ = rec;
    let world = net.start().await.unwrap();

    let arns: Vec<&str> = cases.iter().map(|(_, a)| a.as_str()).collect();
    // Before: each case has its finding.
    let mut planning = arns.clone();
    planning.extend(["--format", "json"]);
    let out = fix_cli(&lab, &lab.moto.endpoint(), &world, &zones, &planning).await;
    let plan = json(&out);
    assert_eq!(out.status.code(), Some(0), "{plan}");
    for (i, (code, _)) in cases.iter().enumerate() {
        let p = &plan["plans"][i];
        let answered: Vec<&str> = p["batches"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|b| b["answers"].as_array().unwrap())
            .flat_map(|a| a[1].as_array().unwrap())
            .map(|c| c.as_str().unwrap())
            .collect();
        let refused = !p["refused"].as_array().unwrap().is_empty();
        // Without --delete-wrong the wrong type and the TXT beside the CNAME are refused.
        if matches!(*code, "WRONG_RECORD_TYPE" | "CNAME_AND_TXT_CONFLICT") {
            assert!(refused, "{code}: {p}");
            assert!(
                p["refused"][0]["why"]
                    .as_str()
                    .unwrap()
                    .contains("--delete-wrong"),
                "{p}"
            );
        } else {
            assert!(answered.contains(code), "{code}: {p}");
        }
    }
    // Nothing was changed by the plan.
    for (id, apex) in &zones {
        let _ = apex;
        assert!(!lab.served(id).await.contains("acm-validations.aws. \n"));
    }

    let mut applying = arns.clone();
    applying.extend(["--apply", "--delete-wrong", "--format", "json"]);
    let out = fix_cli(&lab, &lab.moto.endpoint(), &world, &zones, &applying).await;
    let done = json(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{done}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for a in done["applied"].as_array().unwrap() {
        assert_eq!(a["status"], "INSYNC", "{a}");
    }
    for (i, (code, arn)) in cases.iter().enumerate() {
        let cert = &done["after"]["certificates"][i];
        assert_eq!(cert["certificate_arn"], arn.as_str());
        assert_eq!(codes(cert), ["RECORD_OK"], "{code} after the fix: {cert}");
    }
    // The wrong records carrying the token are gone; the private copy stays.
    let doubled_zone = &zones[1].0;
    assert!(
        !lab.served(doubled_zone)
            .await
            .contains("fix-doubled.com.fix-doubled.com.")
    );
    assert!(!lab.served(&zones[4].0).await.contains(&typo));
    assert!(!lab.served(&zones[6].0).await.contains("verification=1"));
    let _ = private;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_say_why_and_the_plan_is_byte_stable() {
    let lab = Lab::new().await;
    let mut net = Internet::new();
    // At another provider: the record to create there.
    let (elsewhere, rec_e) = lab.request("fix-elsewhere.com", &[]).await;
    net.zone("fix-elsewhere.com", &OTHER_HOSTS, "");
    // Servers that never answer: no diagnosis, no change.
    let (silent, _) = lab.request("fix-silent.com", &[]).await;
    let quiet = ["ns1.quietdns.net", "ns2.quietdns.net"];
    net.zone("fix-silent.com", &quiet, "");
    // CAA forbids Amazon: a CNAME does not help.
    let (caa, _) = lab.request("fix-caa.com", &[]).await;
    let caa_zone = r53_zone(
        &lab,
        &mut net,
        "fix-caa.com",
        &[("fix-caa.com.", "CAA", "0 issue \"letsencrypt.org\"")],
    )
    .await;
    let world = net.start().await.unwrap();
    for h in quiet {
        world.set_behaviour(h, Behaviour::Silent);
    }
    let zones = [(caa_zone.clone(), "fix-caa.com".to_owned())];
    let args = [elsewhere.as_str(), silent.as_str(), caa.as_str()];
    let first = fix_cli(&lab, &lab.moto.endpoint(), &world, &zones, &args).await;
    let second = fix_cli(&lab, &lab.moto.endpoint(), &world, &zones, &args).await;
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(first.status.code(), Some(0), "{text}");
    assert_eq!(first.stdout, second.stdout, "the plan is byte-stable");
    assert!(
        text.contains("nothing is changed without --apply"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "instead: create this record there: {} 300 IN CNAME {}",
            rec_e.name, rec_e.value
        )),
        "{text}"
    );
    assert!(
        text.contains("is not a Route 53 zone of this account"),
        "{text}"
    );
    assert!(
        text.contains("could not be diagnosed (DNS lookups failed)"),
        "{text}"
    );
    assert!(
        text.contains("CAA_FORBIDS_AMAZON is not answered by a DNS record"),
        "{text}"
    );
    assert!(!text.contains("UPSERT"), "{text}");
    // --apply with only refusals changes nothing.
    let before = lab.served(&caa_zone).await;
    let out = fix_cli(
        &lab,
        &lab.moto.endpoint(),
        &world,
        &zones,
        &[caa.as_str(), "--apply"],
    )
    .await;
    assert_eq!(lab.served(&caa_zone).await, before);
    assert_eq!(out.status.code(), Some(1), "the CAA error stays");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_wrong_never_touches_a_record_without_the_certificate_s_token() {
    let lab = Lab::new().await;
    let mut net = Internet::new();
    let (arn, rec) = lab.request("fix-keep.com", &[]).await;
    let doubled = format!("{}fix-keep.com.", rec.name);
    // A near-miss name with a value that is not this certificate's: no token anywhere.
    let typo = rec.name.replacen(&rec.name[2..3], "", 1);
    let keep = [
        ("_other.fix-keep.com.", "TXT", "\"hello\""),
        (
            typo.as_str(),
            "CNAME",
            "_feedfacefeedfacefeedfacefeedface.abc.acm-validations.aws.",
        ),
        ("www.fix-keep.com.", "CNAME", "elsewhere.example."),
    ];
    let mut records = keep.to_vec();
    records.push((doubled.as_str(), "CNAME", rec.value.as_str()));
    let id = r53_zone(&lab, &mut net, "fix-keep.com", &records).await;
    let world = net.start().await.unwrap();
    let zones = [(id.clone(), "fix-keep.com".to_owned())];
    let out = fix_cli(
        &lab,
        &lab.moto.endpoint(),
        &world,
        &zones,
        &[&arn, "--apply", "--delete-wrong", "--format", "json"],
    )
    .await;
    let done = json(&out);
    let deleted: Vec<&str> = done["applied"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "DELETE")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, [doubled.as_str()], "{done}");
    let served = lab.served(&id).await;
    for (name, _, value) in keep {
        assert!(
            served.contains(name) && served.contains(value),
            "{name} was touched:\n{served}"
        );
    }
    assert!(!served.contains(&doubled), "{served}");
    assert_eq!(
        codes(&done["after"]["certificates"][0]),
        ["RECORD_OK"],
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_or_throttled_change_leaves_the_zone_as_it_was_and_says_so() {
    let lab = Lab::new().await;
    let mut net = Internet::new();
    let (arn, _) = lab.request("fix-refused.com", &[]).await;
    let id = r53_zone(&lab, &mut net, "fix-refused.com", &[]).await;
    let world = net.start().await.unwrap();
    let zones = [(id.clone(), "fix-refused.com".to_owned())];
    let proxy = Proxy::start(&lab.moto.endpoint()).await.unwrap();
    let before = lab.served(&id).await;
    for (fault, says) in [
        (
            FaultKind::Throttle,
            "throttled by route53:ChangeResourceRecordSets",
        ),
        (
            FaultKind::Error(400, "InvalidChangeBatch".into()),
            "InvalidChangeBatch",
        ),
    ] {
        proxy.clear_faults();
        proxy.add_fault(Fault::on("route53:ChangeResourceRecordSets", fault));
        let out = fix_cli(
            &lab,
            &proxy.endpoint(),
            &world,
            &zones,
            &[&arn, "--apply", "--format", "json"],
        )
        .await;
        let done = json(&out);
        assert_eq!(out.status.code(), Some(2), "{done}");
        let a = &done["applied"][0];
        assert_eq!(a["status"], "FAILED", "{a}");
        assert!(a["error"].as_str().unwrap().contains(says), "{a}");
        assert_eq!(lab.served(&id).await, before, "the zone is as it was");
        assert_eq!(codes(&done["after"]["certificates"][0]), ["RECORD_MISSING"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_at_risk_from_a_removed_record_is_fixed() {
    let lab = Lab::issuing().await;
    let mut net = Internet::new();
    let (arn, _) = lab.request("fix-renewal.com", &[]).await;
    let id = r53_zone(&lab, &mut net, "fix-renewal.com", &[]).await;
    let world = net.start().await.unwrap();
    let zones = [(id, "fix-renewal.com".to_owned())];
    let out = fix_cli(
        &lab,
        &lab.moto.endpoint(),
        &world,
        &zones,
        &[&arn, "--apply", "--format", "json"],
    )
    .await;
    let done = json(&out);
    let answered = &done["plans"][0]["batches"][0]["answers"][0][1];
    assert!(
        answered
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "RECORD_MISSING"),
        "{done}"
    );
    let after = codes(&done["after"]["certificates"][0]);
    assert!(after.contains(&"RECORD_OK".to_owned()), "{after:?}");
    assert!(!after.contains(&"RENEWAL_AT_RISK".to_owned()), "{after:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_fix_plan_puts_the_change_in_the_alert_and_apply_makes_it() {
    use acm_dns_doctor::config::AutoFix;
    use acm_dns_doctor::handler::{State, handle};
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let mut net = Internet::new();
    let (arn, rec) = lab.request("auto-fix.com", &[]).await;
    let id = r53_zone(&lab, &mut net, "auto-fix.com", &[]).await;
    let world = net.start().await.unwrap();
    let invoke = serde_json::json!({ "certificate_arns": [arn] });
    let run = |mode: AutoFix| {
        let mut config = common::lambda_config(&alerts, &world);
        config.grace = Duration::ZERO;
        config.auto_fix = mode;
        State::new(&lab.sdk, config)
    };

    // plan: the alert carries the exact change batch; nothing changes.
    let state = run(AutoFix::Plan);
    let s = handle(
        &state,
        &invoke,
        std::time::SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    assert_eq!((s.alerts_published, s.fixed), (1, 0));
    let got = alerts.received().await;
    let change = &got[0].document["certificates"][0]["fix"]["batches"][0]["changes"][0];
    assert_eq!(change["action"], "UPSERT", "{}", got[0].document);
    assert_eq!(change["name"], rec.name.as_str());
    assert_eq!(change["values"][0], rec.value.as_str());
    assert!(!lab.served(&id).await.contains(&rec.name));

    // apply: Route 53 gets the record at once, and one notice says so.
    let state = run(AutoFix::Apply);
    let s = handle(
        &state,
        &invoke,
        std::time::SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    assert_eq!((s.alerts_published, s.fixed), (0, 1), "{s:?}");
    let served = lab.served(&id).await;
    assert!(
        served.contains(&format!("{} 300 CNAME {}", rec.name, rec.value)),
        "{served}"
    );
    let got = alerts.received().await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].attributes["event"]["Value"], "fixed");
    assert!(
        got[0].subject.contains("fixed in Route 53"),
        "{}",
        got[0].subject
    );

    // The next check confirms it, and the alert of the plan run gets its all-clear.
    let mut before = BTreeMap::from([(id.clone(), String::new())]);
    lab.mirror(
        &world,
        &[(id.clone(), "auto-fix.com".to_owned())],
        &mut before,
    )
    .await;
    let s = handle(
        &state,
        &invoke,
        std::time::SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    assert_eq!(s.findings.get("RECORD_OK"), Some(&1), "{s:?}");
    assert_eq!(
        (s.alerts_published, s.fixed, s.resolved_published),
        (0, 0, 1)
    );
}
