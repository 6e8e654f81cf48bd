//! Alert building: subjects, both bodies, attributes, the size limit.

use super::*;
use crate::finding::{Code, Finding};

fn cert(findings: Vec<Finding>) -> CertificateReport {
    CertificateReport {
        certificate_arn: "arn:aws:acm:us-east-1:1:certificate/abc-123".into(),
        account: None,
        region: None,
        domain_name: Some("example.com".into()),
        status: Some(CertificateStatus::PendingValidation),
        domains: vec!["example.com".into(), "*.example.com".into()],
        created_at: Some(1_000_000),
        expires_at: None,
        in_use_by: vec![],
        in_use_count: 0,
        findings,
        error: None,
        not_found: false,
        error_detail: None,
        fix: None,
    }
}

#[test]
fn subject_is_short_and_printable() {
    let s = subject(
        2,
        "example.com\nBcc: x",
        &["DOUBLED_DOMAIN", "RECORD_MISSING"],
    );
    assert!(!s.chars().any(char::is_control), "{s}");
    let long = "a".repeat(300);
    assert!(subject(1, &long, &["X"]).chars().count() < 100);
    assert_eq!(
        subject(1, "example.com", &["DOUBLED_DOMAIN"]),
        "[ACM] 1 problem: example.com (DOUBLED_DOMAIN)"
    );
}

#[test]
fn alert_has_both_bodies_and_attributes() {
    let f = Finding::new(Code::DoubledDomain, "doubled", "delete it")
        .about(&["example.com".into()], Some("_a.example.com."));
    let ok = Finding::new(Code::RecordOk, "fine", "nothing");
    let a = alert(
        &cert(vec![f, ok]),
        Severity::Warning,
        "us-east-1",
        1_000_000 + 3600,
        Some("ACM Certificate Renewal Action Required"),
    );
    let env: serde_json::Value = serde_json::from_str(&a.message).unwrap();
    let email = env["email"].as_str().unwrap();
    assert!(
        email.contains("Fix: delete it")
            && email.contains("71 h 00 min")
            && email.starts_with("Prompted by: ACM Certificate Renewal Action Required\n"),
        "{email}"
    );
    assert!(email.contains("#/certificates/abc-123"));
    assert!(
        !email.contains("RECORD_OK"),
        "info findings stay out of an alert at warning"
    );
    let doc: serde_json::Value = serde_json::from_str(env["default"].as_str().unwrap()).unwrap();
    assert_eq!(
        doc["certificates"][0]["findings"][0]["code"],
        "DOUBLED_DOMAIN"
    );
    let attr = |n: &str| {
        a.attributes
            .iter()
            .find(|x| x.name == n)
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(attr("severity"), "error");
    assert_eq!(attr("codes"), "[\"DOUBLED_DOMAIN\"]");
    assert_eq!(attr("domain"), "example.com");
}

#[test]
fn huge_alerts_are_shortened_and_stay_valid_json() {
    let mut f = Finding::new(Code::RecordMissing, "missing", "add it");
    f.evidence = (0..20_000)
        .map(|i| format!("evidence line number {i} with some padding"))
        .collect();
    let a = alert(&cert(vec![f]), Severity::Warning, "us-east-1", 0, None);
    assert!(a.message.len() <= MAX_MESSAGE_BYTES, "{}", a.message.len());
    let env: serde_json::Value = serde_json::from_str(&a.message).unwrap();
    assert!(env["email"].as_str().unwrap().contains("Shortened to fit"));
    let doc: serde_json::Value = serde_json::from_str(env["default"].as_str().unwrap()).unwrap();
    assert!(
        doc["certificates"][0]["findings"][0]["evidence"][0]
            .as_str()
            .unwrap()
            .contains("left out")
    );
}

#[test]
fn each_code_appears_once_in_the_subject_and_attribute() {
    // Two records with the same problem, and another problem between them in severity order.
    let f = |c| Finding::new(c, "s", "r");
    let findings = vec![
        f(Code::RecordMissing),
        f(Code::DoubledDomain),
        f(Code::RecordMissing),
        f(Code::RecordNotPropagated),
    ];
    let mut c = cert(findings);
    report::sort_findings(&mut c.findings);
    let a = alert(&c, Severity::Warning, "us-east-1", 0, None);
    let codes = &a
        .attributes
        .iter()
        .find(|x| x.name == "codes")
        .unwrap()
        .value;
    assert_eq!(
        codes,
        r#"["RECORD_MISSING","DOUBLED_DOMAIN","RECORD_NOT_PROPAGATED"]"#
    );
    assert_eq!(
        a.subject,
        "[ACM] 4 problems: example.com (RECORD_MISSING, DOUBLED_DOMAIN, RECORD_NOT_PROPAGATED)"
    );
}

#[test]
fn the_size_limit_holds_after_escaping() {
    // Quotes and control characters grow when escaped (2 and 6 bytes): the budget is what is sent.
    let mut f = Finding::new(Code::RecordMissing, "missing", "add it");
    f.evidence = (0..4_000)
        .map(|i| format!("{i} \"quoted\" \u{1}\u{2}\u{3} {}", "\"".repeat(40)))
        .collect();
    let a = alert(&cert(vec![f]), Severity::Warning, "us-east-1", 0, None);
    assert!(a.message.len() <= MAX_MESSAGE_BYTES, "{}", a.message.len());
    let env: serde_json::Value = serde_json::from_str(&a.message).unwrap();
    assert!(env["email"].as_str().unwrap().ends_with(SHORTENED));
}

#[test]
fn resolved_says_issued_or_renewed() {
    let a = resolved(&cert(vec![]), Some("RENEWAL"), 0);
    assert_eq!(a.subject, "[ACM] renewed: example.com (after an alert)");
    assert!(
        a.attributes
            .iter()
            .any(|x| x.name == "event" && x.value == "resolved")
    );
}

#[test]
fn an_issued_certificate_s_alert_names_what_breaks_and_when() {
    let mut c = cert(vec![Finding::new(Code::RenewalAtRisk, "renewal", "fix")]);
    c.status = Some(CertificateStatus::Issued);
    c.expires_at = Some(10 * 86_400);
    c.in_use_by = vec![
        "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE".into(),
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
            .into(),
    ];
    c.in_use_count = 2;
    let text = email(&c, Severity::Warning, "us-east-1", 0);
    assert!(
        text.contains("Expires:     1970-01-11T00:00:00Z (in 10 days)"),
        "{text}"
    );
    assert!(text.contains("In use by:   2 resources"), "{text}");
    assert!(
        text.contains(
            "CloudFront distribution arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
        ),
        "{text}"
    );
    assert!(
        text.contains("Application Load Balancer arn:aws:elasticloadbalancing"),
        "{text}"
    );
    assert!(!text.contains("validation timeout"), "{text}");
    let a = alert(&c, Severity::Warning, "us-east-1", 0, None);
    let env: serde_json::Value = serde_json::from_str(&a.message).unwrap();
    let doc: serde_json::Value = serde_json::from_str(env["default"].as_str().unwrap()).unwrap();
    assert_eq!(doc["certificates"][0]["in_use_count"], 2);
    assert_eq!(
        resource_kind("arn:aws:apigateway:us-east-1::/domainnames/api.example.com"),
        "API Gateway domain"
    );
    assert_eq!(resource_kind("nonsense"), "resource");
}
