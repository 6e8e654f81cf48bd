//! End to end: a zone with a wildcard CNAME at another DNS provider. The wildcard answers for the
//! validation name when the record is missing, and must not be taken for the record.

mod common;

use acm_dns_doctor::finding::{Code, Finding};
use acm_dns_doctor::report::CertificateReport;
use common::{Lab, provider_world};

const APEX: &str = "wild-shop.com";
const WILDCARD: &str = "* 300 CNAME lb.wild-hosting.net.";

fn codes(r: &CertificateReport) -> Vec<Code> {
    assert!(r.error.is_none(), "certificate not checked: {:?}", r.error);
    let mut c: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    c.sort();
    c
}

fn finding(r: &CertificateReport, code: Code) -> &Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", r.findings))
}

async fn check(lab: &Lab, zone_text: &str, arn: &str) -> CertificateReport {
    let world = provider_world(APEX, zone_text).await;
    lab.doctor(&world)
        .check(&[arn.to_owned()])
        .await
        .certificates
        .remove(0)
}

#[tokio::test]
async fn wildcard_cname_is_not_the_validation_record() {
    let lab = Lab::new().await;
    let (arn, _) = lab.request(APEX, &[]).await;
    let r = check(&lab, WILDCARD, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordMissing], "{:#?}", r.findings);
    let f = finding(&r, Code::RecordMissing);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("wildcard") && e.contains("lb.wild-hosting.net")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn wildcard_does_not_hide_the_real_record() {
    let lab = Lab::new().await;
    let (arn, rec) = lab.request(APEX, &[]).await;
    let zone_text = format!("{WILDCARD}\n{} 300 CNAME {}", rec.name, rec.value);
    let r = check(&lab, &zone_text, &arn).await;
    assert_eq!(codes(&r), vec![Code::RecordOk], "{:#?}", r.findings);
}
