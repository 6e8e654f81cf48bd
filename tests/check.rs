//! End to end: moto (ACM, Route 53) + a loopback DNS internet + the engine. One scenario per cause.

mod common;

use acm_dns_doctor::finding::Code;
use acm_dns_doctor::report::CertificateReport;
use acm_dns_doctor_testkit::dns::{Behaviour, Internet, World};
use common::{Lab, OTHER_HOSTS, R53_HOSTS, provider_world, relative};
use std::fmt::Write as _;

fn codes(r: &CertificateReport) -> Vec<Code> {
    assert!(r.error.is_none(), "certificate not checked: {:?}", r.error);
    let mut c: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    c.sort();
    c
}

fn finding(r: &CertificateReport, code: Code) -> &acm_dns_doctor::finding::Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", r.findings))
}

/// Checks one certificate. With `RECORD_EVIDENCE=DIR`, also writes what was gathered and the
/// codes found to `DIR/<test name>.json`, a case that `tests/replay.rs` judges again without a world.
async fn check(lab: &Lab, world: &World, arn: &str) -> CertificateReport {
    let (mut report, evidence) = lab
        .doctor(world)
        .examine(&[arn.to_owned()], |_, _| ())
        .await;
    let report = report.certificates.remove(0);
    if let (Ok(dir), Some(ev)) = (std::env::var("RECORD_EVIDENCE"), evidence.first()) {
        let name = std::thread::current()
            .name()
            .unwrap_or("case")
            .replace("::", "-");
        let mut expect: Vec<String> = report.findings.iter().map(|f| f.code.to_string()).collect();
        expect.sort();
        let case = serde_json::json!({"expect": expect, "evidence": ev});
        let path = format!("{dir}/{name}.json");
        std::fs::write(&path, serde_json::to_string_pretty(&case).unwrap() + "\n").unwrap();
    }
    report
}

/// A Route 53 public zone, delegated to Route 53's name servers, serving what Route 53 holds.
async fn delegated_r53_zone(
    lab: &Lab,
    apex: &str,
    records: &[(&str, &str, &str)],
) -> (String, Internet) {
    let id = lab.zone(apex, false).await;
    for (n, t, v) in records {
        lab.put(&id, n, t, v).await;
    }
    let mut net = Internet::new();
    net.zone(apex, &R53_HOSTS, &lab.served(&id).await);
    (id, net)
}

#[tokio::test]
async fn healthy_certificate_yields_only_record_ok() {
    let lab = Lab::new().await;
    let (arn, rec) = lab
        .request(
            "healthy-shop.com",
            &["*.healthy-shop.com", "www.healthy-shop.com"],
        )
        .await;
    let www = acm_dns_doctor::aws::acm::describe(
        &acm_dns_doctor::aws::Paced::with_default_quotas(lab.acm.clone()),
        &arn,
    )
    .await
    .unwrap();
    let mut records = vec![(rec.name.as_str(), "CNAME", rec.value.as_str())];
    let www_rec = www
        .validations
        .iter()
        .find(|v| v.domain == "www.healthy-shop.com")
        .unwrap()
        .record
        .clone()
        .unwrap();
    records.push((www_rec.name.as_str(), "CNAME", www_rec.value.as_str()));
    let (_, net) = delegated_r53_zone(&lab, "healthy-shop.com", &records).await;
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(
        codes(&r),
        vec![Code::RecordOk, Code::RecordOk],
        "{:#?}",
        r.findings
    );
    // Apex and wildcard share one record: one finding names both.
    let apex = r
        .findings
        .iter()
        .find(|f| f.record_name.as_deref() == Some(rec.name.as_str()))
        .unwrap();
    assert_eq!(apex.domains.len(), 2, "{:?}", apex.domains);
}

#[tokio::test]
async fn missing_record_says_which_zone_to_add_it_to() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("missing-shop.com", &[]).await;
    let (id, net) = delegated_r53_zone(&lab, "missing-shop.com", &[]).await;
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordMissing], "{:#?}", r.findings);
    let f = finding(&r, Code::RecordMissing);
    assert!(f.remedy.contains(&id), "{}", f.remedy);
    assert!(f.remedy.contains(&rec.value), "{}", f.remedy);
}

#[tokio::test]
async fn record_only_in_a_private_zone() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("private-shop.com", &[]).await;
    let private = lab.zone("private-shop.com", true).await;
    lab.put(&private, &rec.name, "CNAME", &rec.value).await;
    let (public, net) = delegated_r53_zone(&lab, "private-shop.com", &[]).await;
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordInPrivateZoneOnly]);
    let f = finding(&r, Code::RecordInPrivateZoneOnly);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains(&private) && e.contains("private")),
        "{:?}",
        f.evidence
    );
    assert!(f.remedy.contains(&public), "{}", f.remedy);
}

#[tokio::test]
async fn record_in_a_route53_zone_the_domain_is_not_delegated_to() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("elsewhere-shop.com", &[]).await;
    let id = lab.zone("elsewhere-shop.com", false).await;
    lab.put(&id, &rec.name, "CNAME", &rec.value).await;
    let world = provider_world("elsewhere-shop.com", "www 300 A 192.0.2.10").await;
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordInUndelegatedZone]);
    let f = finding(&r, Code::RecordInUndelegatedZone);
    assert!(
        f.summary.contains(&id) && f.summary.contains("ns1.otherdns.net"),
        "{}",
        f.summary
    );
    assert!(
        f.remedy.contains("ns1.otherdns.net") && f.remedy.contains("ns-2048.awsdns-64.com"),
        "{}",
        f.remedy
    );
}

#[tokio::test]
async fn subdomain_zone_without_delegation_in_its_parent() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("app.sub-shop.com", &[]).await;
    let id = lab.zone("app.sub-shop.com", false).await;
    lab.put(&id, &rec.name, "CNAME", &rec.value).await;
    let mut net = Internet::new();
    net.zone("sub-shop.com", &OTHER_HOSTS, "");
    net.undelegated_zone("app.sub-shop.com", &R53_HOSTS, &lab.served(&id).await);
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordInUndelegatedZone]);
    let f = finding(&r, Code::RecordInUndelegatedZone);
    assert!(
        f.remedy
            .contains("adding NS records for it in sub-shop.com."),
        "{}",
        f.remedy
    );
}

#[tokio::test]
async fn provider_appended_the_apex() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("doubled-shop.com", &[]).await;
    let mut net = Internet::new();
    // Typed as the full name without a trailing dot: the provider appends the apex.
    net.zone(
        "doubled-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", rec.name.trim_end_matches('.'), rec.value),
    );
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::DoubledDomain]);
    let f = finding(&r, Code::DoubledDomain);
    assert!(
        f.summary
            .contains(&format!("{}doubled-shop.com.", rec.name)),
        "{}",
        f.summary
    );
    assert!(
        f.remedy
            .contains(&format!("`{}`", relative(&rec.name, "doubled-shop.com"))),
        "{}",
        f.remedy
    );
}

#[tokio::test]
async fn txt_beside_the_cname() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("txt-shop.com", &[]).await;
    let world = provider_world(
        "txt-shop.com",
        &format!(
            "{n} 300 CNAME {v}\n{n} 300 TXT \"site-verification=abc\"",
            n = rec.name,
            v = rec.value
        ),
    )
    .await;
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::CnameAndTxtConflict]);
    assert!(
        finding(&r, Code::CnameAndTxtConflict)
            .remedy
            .contains("Delete the TXT")
    );
}

#[tokio::test]
async fn value_typed_wrong() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("typo-shop.com", &[]).await;
    let wrong = rec
        .value
        .replacen(".acm-validations.aws.", "x.acm-validations.aws.", 1);
    let world = provider_world("typo-shop.com", &format!("{} 300 CNAME {wrong}", rec.name)).await;
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::ValueMismatch]);
    let f = finding(&r, Code::ValueMismatch);
    assert!(
        f.evidence.iter().any(|e| e.contains("[+x]")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn name_typed_without_the_underscore_in_route53() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("bare-shop.com", &[]).await;
    let bare = rec.name.trim_start_matches('_').to_owned();
    let (_, net) = delegated_r53_zone(&lab, "bare-shop.com", &[(&bare, "CNAME", &rec.value)]).await;
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::NameMismatch]);
    let f = finding(&r, Code::NameMismatch);
    assert!(f.summary.contains(&bare), "{}", f.summary);
}

#[tokio::test]
async fn value_published_as_txt() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("txtonly-shop.com", &[]).await;
    let (_, net) = delegated_r53_zone(
        &lab,
        "txtonly-shop.com",
        &[(&rec.name, "TXT", &format!("\"{}\"", rec.value))],
    )
    .await;
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::WrongRecordType]);
}

#[tokio::test]
async fn lagging_secondary() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("lag-shop.com", &[]).await;
    let mut net = Internet::new();
    net.zone(
        "lag-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", rec.name, rec.value),
    );
    net.zone_variant("lag-shop.com", OTHER_HOSTS[1], "");
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert!(
        codes(&r).contains(&Code::AuthoritativeInconsistent),
        "{:#?}",
        r.findings
    );
    assert!(!codes(&r).contains(&Code::RecordMissing));
    let f = finding(&r, Code::AuthoritativeInconsistent);
    assert!(f.remedy.contains("ns2.otherdns.net"), "{}", f.remedy);
}

#[tokio::test]
async fn negative_answer_still_cached_by_the_resolver() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("cache-shop.com", &[]).await;
    let mut net = Internet::new();
    net.zone("cache-shop.com", &OTHER_HOSTS, "")
        .negative_ttl("cache-shop.com", 900);
    let world = net.start().await.unwrap();
    // Someone looked before the record existed: the resolver caches "no such name".
    let first = check(&lab, &world, &arn).await;
    assert_eq!(codes(&first), vec![Code::RecordMissing]);
    world.add_record(
        "cache-shop.com",
        &format!("{} 300 CNAME {}", rec.name, rec.value),
    );
    let r = check(&lab, &world, &arn).await;
    assert_eq!(
        codes(&r),
        vec![Code::RecordNotPropagated],
        "{:#?}",
        r.findings
    );
    assert!(
        finding(&r, Code::RecordNotPropagated)
            .remedy
            .contains("15 min")
    );
    world.flush_resolver_cache();
    assert_eq!(
        codes(&check(&lab, &world, &arn).await),
        vec![Code::RecordOk]
    );
}

#[tokio::test]
async fn a_silent_server_is_a_failed_lookup_not_a_missing_record() {
    let lab = Lab::new().await;
    let (arn, _) = lab.request("silent-shop.com", &[]).await;
    let world = provider_world("silent-shop.com", "").await;
    world.set_behaviour(OTHER_HOSTS[1], Behaviour::Silent);
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::DnsLookupFailed]);
    assert!(
        finding(&r, Code::DnsLookupFailed)
            .evidence
            .iter()
            .any(|e| e.contains("ns2.otherdns.net") && e.contains("timed out"))
    );
}

#[tokio::test]
async fn caa_forbids_amazon() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("caa-shop.com", &["*.caa-shop.com"]).await;
    let world = provider_world(
        "caa-shop.com",
        &format!(
            "{} 300 CNAME {}\n@ 300 CAA 0 issue \"letsencrypt.org\"",
            rec.name, rec.value
        ),
    )
    .await;
    let r = check(&lab, &world, &arn).await;
    // One CAA set governs both names (looked up once); with no `issuewild`, `issue` governs the wildcard.
    assert_eq!(
        codes(&r),
        vec![
            Code::RecordOk,
            Code::CaaForbidsAmazon,
            Code::CaaForbidsAmazon
        ]
    );
    let mut domains: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::CaaForbidsAmazon)
        .map(|f| f.domains[0].as_str())
        .collect();
    domains.sort_unstable();
    assert_eq!(domains, vec!["*.caa-shop.com", "caa-shop.com"]);
}

#[tokio::test]
async fn unknown_arn_is_reported_not_dropped() {
    let lab = Lab::new().await;
    let world = Internet::new().start().await.unwrap();
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";
    let report = lab.doctor(&world).check(&[arn.to_owned()]).await;
    assert_eq!(report.certificates.len(), 1);
    let e = report.certificates[0].error.as_deref().unwrap();
    assert!(e.contains("not found"), "{e}");
    assert_eq!(report.exit_code(), 2);
}

#[tokio::test]
async fn moving_to_route53_while_resolvers_still_cache_the_old_name_servers() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("moving-shop.com", &[]).await;
    let id = lab.zone("moving-shop.com", false).await;
    lab.put(&id, &rec.name, "CNAME", &rec.value).await;
    let mut net = Internet::new();
    net.zone("moving-shop.com", &OTHER_HOSTS, "");
    let served = lab.served(&id).await;
    for h in R53_HOSTS {
        net.zone_variant("moving-shop.com", h, &served);
    }
    let world = net.start().await.unwrap();
    // Before the move: the record is in a zone the domain is not delegated to.
    assert_eq!(
        codes(&check(&lab, &world, &arn).await),
        vec![Code::RecordInUndelegatedZone]
    );
    // The registrar now delegates to Route 53; resolvers keep the old NS set from cache.
    world.remove_records("com", "moving-shop.com.");
    for h in R53_HOSTS {
        world.add_record("com", &format!("moving-shop.com. 172800 NS {h}."));
    }
    let r = check(&lab, &world, &arn).await;
    assert_eq!(
        codes(&r),
        vec![Code::RecordNotPropagated],
        "{:#?}",
        r.findings
    );
    let f = finding(&r, Code::RecordNotPropagated);
    assert!(
        f.summary.contains("already delegates") && f.summary.contains(&id),
        "{}",
        f.summary
    );
}

#[tokio::test]
async fn validation_delegated_through_a_cname_chain() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("chain-shop.com", &[]).await;
    let (long_arn, long_rec) = lab.request("longchain-shop.com", &[]).await;
    let mut net = Internet::new();
    // A central account holds the real validation records; the domains point at them.
    let hop = format!(
        "{}.validations.central-dns.net.",
        relative(&rec.name, "chain-shop.com")
    );
    net.zone(
        "chain-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {hop}", rec.name),
    );
    let mut central = format!("{hop} 300 CNAME {}\n", rec.value);
    // Six CNAMEs in all: one more than ACM follows.
    let hops: Vec<String> = (0..5)
        .map(|i| format!("_hop{i}.central-dns.net."))
        .collect();
    net.zone(
        "longchain-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", long_rec.name, hops[0]),
    );
    for w in hops.windows(2) {
        let _ = writeln!(central, "{} 300 CNAME {}", w[0], w[1]);
    }
    let _ = writeln!(central, "{} 300 CNAME {}", hops[4], long_rec.value);
    net.zone(
        "central-dns.net",
        &["ns1.central-dns.net", "ns2.central-dns.net"],
        &central,
    );
    let world = net.start().await.unwrap();

    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordOk], "{:#?}", r.findings);
    assert!(
        finding(&r, Code::RecordOk)
            .evidence
            .iter()
            .any(|e| e.contains("CNAME chain"))
    );

    let r = check(&lab, &world, &long_arn).await;
    assert_eq!(codes(&r), vec![Code::ValueMismatch], "{:#?}", r.findings);
    let f = finding(&r, Code::ValueMismatch);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("ACM follows at most 5")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn a_lame_secondary_beside_a_serving_one_is_a_warning_and_the_record_is_fine() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("lame-shop.com", &[]).await;
    let world = provider_world(
        "lame-shop.com",
        &format!("{} 300 CNAME {}", rec.name, rec.value),
    )
    .await;
    world.set_behaviour(OTHER_HOSTS[1], Behaviour::Refused);
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordOk, Code::LameNameServer]);
    let f = finding(&r, Code::LameNameServer);
    assert!(f.summary.contains("ns2.otherdns.net"), "{}", f.summary);
}

#[tokio::test]
async fn a_proxied_record_answers_an_address_not_the_cname() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("proxy-shop.com", &[]).await;
    // What a CDN's proxy toggle does: the name answers the CDN's address instead of the CNAME.
    let world = provider_world("proxy-shop.com", &format!("{} 300 A 192.0.2.80", rec.name)).await;
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::WrongRecordType]);
    let f = finding(&r, Code::WrongRecordType);
    assert!(f.remedy.contains("DNS-only"), "{}", f.remedy);
}

#[tokio::test]
async fn an_ipv6_only_name_server_is_shown_not_asked_and_the_verdict_stands() {
    let lab = Lab::new().await;
    let (arn, _) = lab.request("v6-shop.com", &[]).await;
    let mut net = Internet::new();
    // A third name server with only an AAAA record; the tests' DNS settings say: no IPv6 here.
    net.zone(
        "v6-shop.com",
        &OTHER_HOSTS,
        "@ 3600 NS ns1.otherdns.net.\n@ 3600 NS ns2.otherdns.net.\n@ 3600 NS ns3.v6only.net.",
    );
    net.zone("v6only.net", &OTHER_HOSTS, "ns3 3600 AAAA 2001:db8::53");
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordMissing], "{:#?}", r.findings);
    let f = finding(&r, Code::RecordMissing);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.starts_with("ns3.v6only.net was not asked") && e.contains("IPv6")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn caa_inherited_through_a_cname_at_the_domain() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request("www.alias-shop.com", &[]).await;
    let mut net = Internet::new();
    net.zone(
        "alias-shop.com",
        &OTHER_HOSTS,
        &format!(
            "{} 300 CNAME {}\nwww 300 CNAME host.hosting-co.net.",
            rec.name, rec.value
        ),
    );
    net.zone(
        "hosting-co.net",
        &OTHER_HOSTS,
        "host 300 A 192.0.2.7\nhost 300 CAA 0 issue \"letsencrypt.org\"",
    );
    let world = net.start().await.unwrap();
    let r = check(&lab, &world, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordOk, Code::CaaForbidsAmazon]);
    let f = finding(&r, Code::CaaForbidsAmazon);
    assert!(
        f.summary.contains("host.hosting-co.net.")
            && f.summary.contains("CNAME at www.alias-shop.com."),
        "{}",
        f.summary
    );
    assert!(
        f.remedy.contains("Ask the owner of host.hosting-co.net."),
        "{}",
        f.remedy
    );
}
