//! DNSSEC end to end: real signed zones (NSD), a real validating resolver (unbound, with the
//! world's root key as its trust anchor), moto for ACM. Since 15 March 2026 CAs validate DNSSEC:
//! a bogus zone is DNSSEC_BROKEN, with why (the parent's DS, the zone's keys, the signatures).

mod common;

use acm_dns_doctor::dns::DnsConfig;
use acm_dns_doctor::engine::Doctor;
use acm_dns_doctor::finding::{Code, Finding};
use acm_dns_doctor_testkit::dnssec::{DS_ONLY, EXPIRED, GOOD, SignedWorld};
use common::Lab;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn a_bogus_zone_is_dnssec_broken_with_why_and_a_signed_one_is_fine() {
    let lab = Lab::new().await;
    let mut arns = Vec::new();
    let mut cnames = Vec::new();
    for domain in [GOOD, DS_ONLY, EXPIRED] {
        let (arn, rec) = lab.request(domain, &[]).await;
        cnames.push((rec.name, rec.value));
        arns.push(arn);
    }
    let world = tokio::task::block_in_place(|| SignedWorld::start(&cnames)).expect("signed world");
    let doctor = Doctor::new(
        &lab.sdk,
        DnsConfig {
            resolvers: vec![world.resolver()],
            auth_port: 53,
            timeout: Duration::from_millis(1500),
            attempts: 2,
            ipv6: false,
        },
    );
    let report = doctor.check(&arns).await;
    let codes = |i: usize| -> Vec<Code> {
        let c = &report.certificates[i];
        assert!(c.error.is_none(), "{:?}", c.error);
        c.findings.iter().map(|f| f.code).collect()
    };
    let broken = |i: usize| -> &Finding {
        report.certificates[i]
            .findings
            .iter()
            .find(|f| f.code == Code::DnssecBroken)
            .unwrap_or_else(|| panic!("{:#?}", report.certificates[i].findings))
    };
    assert_eq!(codes(0), [Code::RecordOk], "{GOOD}");

    // The parent still publishes a DS for a zone that is not signed.
    assert_eq!(codes(1), [Code::DnssecBroken], "{DS_ONLY}");
    let f = broken(1);
    assert!(
        f.summary
            .contains("still publishes a DS record for ds-only.test."),
        "{}",
        f.summary
    );
    assert!(
        f.remedy
            .starts_with("Remove the DS record for ds-only.test. at the registrar"),
        "{}",
        f.remedy
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("EDE 9 DNSKEY Missing")),
        "{:?}",
        f.evidence
    );

    // Every signature expired.
    assert_eq!(codes(2), [Code::DnssecBroken], "{EXPIRED}");
    let f = broken(2);
    assert!(
        f.summary.contains("expired on 2020-02-01T00:00:00Z"),
        "{}",
        f.summary
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("EDE 7 Signature Expired")),
        "{:?}",
        f.evidence
    );
}
