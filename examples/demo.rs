//! The main job on a local world, no AWS account: moto (ACM, Route 53, SNS) and a loopback DNS internet
//! (fake root, TLDs, Route 53's and another provider's name servers). Creates one certificate stuck for
//! each documented reason plus a healthy one, and an issued fleet (a second moto that issues at once)
//! with one certificate whose record was removed and one healthy; runs the Lambda handler for a
//! scheduled sweep over each, prints the e-mail each alert sends and a summary line per sweep, then
//! sweeps again: nothing changed, so nothing is published. Then `fix --apply` writes the records that
//! belong in a Route 53 zone of the account, refuses the others saying why, and checks again.
//! Everything stops when it ends.
//!
//! Run it with `scripts/demo` (which installs moto first).

#[path = "../tests/common/mod.rs"]
mod common;

use acm_dns_doctor::finding::Code;
use acm_dns_doctor::handler::{State, handle};
use acm_dns_doctor::remedy;
use acm_dns_doctor_testkit::dns::{Internet, World};
use common::{Lab, OTHER_HOSTS, R53_HOSTS, lambda_config};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let mut net = Internet::new();
    let mut expected = Vec::new();
    // Route 53 public zones (id, apex), which Route 53's servers serve as moto holds them.
    let mut r53 = Vec::new();

    // Healthy: the record is in the Route 53 zone the domain is delegated to.
    let (_, rec) = lab
        .request("shop-healthy.com", &["*.shop-healthy.com"])
        .await;
    let z = lab.zone("shop-healthy.com", false).await;
    lab.put(&z, &rec.name, "CNAME", &rec.value).await;
    net.zone("shop-healthy.com", &R53_HOSTS, &lab.served(&z).await);
    r53.push((z.clone(), "shop-healthy.com".to_owned()));
    expected.push("shop-healthy.com: RECORD_OK");

    // Forgotten: the delegated Route 53 zone has no record.
    lab.request("shop-missing.com", &[]).await;
    let z = lab.zone("shop-missing.com", false).await;
    net.zone("shop-missing.com", &R53_HOSTS, &lab.served(&z).await);
    r53.push((z.clone(), "shop-missing.com".to_owned()));
    expected.push("shop-missing.com: RECORD_MISSING");

    // Only in a private hosted zone.
    let (_, rec) = lab.request("shop-private.com", &[]).await;
    let private = lab.zone("shop-private.com", true).await;
    lab.put(&private, &rec.name, "CNAME", &rec.value).await;
    let z = lab.zone("shop-private.com", false).await;
    net.zone("shop-private.com", &R53_HOSTS, &lab.served(&z).await);
    r53.push((z.clone(), "shop-private.com".to_owned()));
    expected.push("shop-private.com: RECORD_IN_PRIVATE_ZONE_ONLY");

    // In a Route 53 zone, but the registrar delegates the domain to another provider.
    let (_, rec) = lab.request("shop-elsewhere.com", &[]).await;
    let z = lab.zone("shop-elsewhere.com", false).await;
    lab.put(&z, &rec.name, "CNAME", &rec.value).await;
    net.zone("shop-elsewhere.com", &OTHER_HOSTS, "www 300 A 192.0.2.10");
    expected.push("shop-elsewhere.com: RECORD_IN_UNDELEGATED_ZONE");

    // A provider that appends the apex to every name.
    let (_, rec) = lab.request("shop-doubled.com", &[]).await;
    net.zone(
        "shop-doubled.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", rec.name.trim_end_matches('.'), rec.value),
    );
    expected.push("shop-doubled.com: DOUBLED_DOMAIN");

    // A provider that serves a TXT beside the CNAME.
    let (_, rec) = lab.request("shop-txt.com", &[]).await;
    net.zone(
        "shop-txt.com",
        &OTHER_HOSTS,
        &format!(
            "{n} 300 CNAME {v}\n{n} 300 TXT \"google-site-verification=abc\"",
            n = rec.name,
            v = rec.value
        ),
    );
    expected.push("shop-txt.com: CNAME_AND_TXT_CONFLICT");

    // A typo in the value.
    let (_, rec) = lab.request("shop-typo.com", &[]).await;
    let typo = rec
        .value
        .replacen(".acm-validations.aws.", "x.acm-validations.aws.", 1);
    net.zone(
        "shop-typo.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {typo}", rec.name),
    );
    expected.push("shop-typo.com: VALUE_MISMATCH");

    // A secondary that never got the change.
    let (_, rec) = lab.request("shop-lag.com", &[]).await;
    net.zone(
        "shop-lag.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", rec.name, rec.value),
    );
    net.zone_variant("shop-lag.com", OTHER_HOSTS[1], "");
    expected.push("shop-lag.com: AUTHORITATIVE_INCONSISTENT");

    // CAA records that allow only another CA.
    let (_, rec) = lab.request("shop-caa.com", &[]).await;
    net.zone(
        "shop-caa.com",
        &OTHER_HOSTS,
        &format!(
            "{} 300 CNAME {}\n@ 300 CAA 0 issue \"letsencrypt.org\"",
            rec.name, rec.value
        ),
    );
    expected.push("shop-caa.com: CAA_FORBIDS_AMAZON");

    // The issued fleet (a second ACM, whose certificates are issued at once): one whose validation
    // record was removed after issuance, one that keeps it.
    let fleet = Lab::issuing().await;
    let fleet_alerts = fleet.alerts().await;
    fleet.request("renew-removed.com", &[]).await;
    net.zone("renew-removed.com", &OTHER_HOSTS, "");
    let (_, rec) = fleet.request("renew-kept.com", &[]).await;
    net.zone(
        "renew-kept.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", rec.name, rec.value),
    );
    expected.push("renew-removed.com (issued, not in use): RENEWAL_AT_RISK, RECORD_MISSING, RENEWAL_NOT_ELIGIBLE");
    expected.push("renew-kept.com (issued, not in use): RECORD_OK, RENEWAL_NOT_ELIGIBLE");

    let world = net.start().await.expect("loopback DNS world");
    let mut config = lambda_config(&alerts, &world);
    config.grace = Duration::ZERO; // The demo's requests are seconds old: alert now, as after the grace.
    let state = State::new(&lab.sdk, config);
    let fleet_state = State::new(&fleet.sdk, lambda_config(&fleet_alerts, &world));
    let sweep = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/scheduled-event.json"
    ))
    .unwrap();
    let sweep: serde_json::Value = serde_json::from_str(&sweep).unwrap();

    println!(
        "Local world: moto at {}, DNS resolver at {}, authoritative servers on port {}.",
        lab.moto.endpoint(),
        world.resolver(),
        world.port()
    );
    println!(
        "Certificates and what is wrong with them:\n  {}\n",
        expected.join("\n  ")
    );
    let (summary, fleet_summary) =
        match (run(&state, &sweep).await, run(&fleet_state, &sweep).await) {
            (Ok(s), Ok(f)) => (s, f),
            (Err(e), _) | (_, Err(e)) => {
                // Returning (not exiting) lets moto and the DNS servers stop as the labs and world drop.
                eprintln!("demo: a sweep failed: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
    let mut envelopes = lab.published_envelopes(&alerts.topic_arn);
    envelopes.extend(fleet.published_envelopes(&fleet_alerts.topic_arn));
    for (i, env) in envelopes.iter().enumerate() {
        println!(
            "==================== alert {} (e-mail) ====================",
            i + 1
        );
        println!("{}", env["email"].as_str().unwrap_or_default());
    }
    println!(
        "demo: {} certificates checked, {} alerts published, findings {}",
        summary.certificates_checked,
        summary.alerts_published,
        serde_json::to_string(&summary.findings).unwrap_or_default()
    );
    println!(
        "demo: issued fleet: {} certificates checked, {} alerts published, findings {}",
        fleet_summary.certificates_checked,
        fleet_summary.alerts_published,
        serde_json::to_string(&fleet_summary.findings).unwrap_or_default()
    );
    // The same world again: nothing has changed, so nothing is published.
    let (again, fleet_again) = match (run(&state, &sweep).await, run(&fleet_state, &sweep).await) {
        (Ok(s), Ok(f)) => (s, f),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("demo: the second sweep failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "demo: second sweep: {} alerts published, {} unchanged",
        again.alerts_published + fleet_again.alerts_published,
        again.unchanged + fleet_again.unchanged
    );
    Box::pin(fix_what_route53_holds(&lab, &world, &r53)).await;
    std::process::ExitCode::SUCCESS
}

/// `fix --apply` over every certificate of the first lab, while Route 53's servers follow moto.
async fn fix_what_route53_holds(lab: &Lab, world: &World, zones: &[(String, String)]) {
    let doctor = lab.doctor(world);
    let (arns, _) = doctor
        .swept_all(&doctor.fleet.scopes(&["us-east-1".into()]))
        .await;
    let mut served = BTreeMap::new();
    for (id, _) in zones {
        served.insert(id.clone(), lab.served(id).await);
    }
    let done = AtomicBool::new(false);
    let (out, ()) = tokio::join!(
        async {
            let out = remedy::fix(&doctor, &arns, true, false, Duration::from_secs(20)).await;
            done.store(true, Ordering::SeqCst);
            out
        },
        async {
            while !done.load(Ordering::SeqCst) {
                lab.mirror(world, zones, &mut served).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    );
    println!("==================== fix --apply ====================");
    for p in out.plans.iter().filter(|p| !p.is_empty()) {
        print!("{}", acm_dns_doctor::fix::plan_text(p));
    }
    let after = out.after.unwrap_or_default();
    let mut fixed: Vec<String> = out
        .plans
        .iter()
        .filter(|p| !p.batches.is_empty())
        .filter_map(|p| {
            let c = after
                .certificates
                .iter()
                .find(|c| c.certificate_arn == p.certificate_arn)?;
            let ok = c.findings.iter().all(|f| f.code == Code::RecordOk);
            ok.then(|| c.domain_name.clone().unwrap_or_default())
        })
        .collect();
    fixed.sort();
    let refused: usize = out.plans.iter().map(|p| p.refused.len()).sum();
    let in_sync = out.applied.iter().filter(|a| a.in_sync()).count();
    println!(
        "demo: fix --apply: {in_sync} change batches INSYNC, {refused} refused with why, now RECORD_OK: {}",
        fixed.join(", ")
    );
}

/// One sweep through the real handler.
async fn run(
    state: &State,
    sweep: &serde_json::Value,
) -> Result<acm_dns_doctor::handler::Summary, acm_dns_doctor::handler::HandlerError> {
    handle(
        state,
        sweep,
        SystemTime::now() + Duration::from_mins(2),
        acm_dns_doctor::time::now(),
    )
    .await
}
