//! Renewal readiness of an issued certificate: ACM renews a DNS-validated certificate only while it
//! is in use (or exported) and every validation CNAME is still in public DNS. Public certificates
//! last 198 days since 15 March 2026, and renewal starts 45 days before expiry (60 for the older
//! 395-day ones): a record removed months after issuance is found the day it goes, not then.

use super::certificate::explain_failure;
use crate::evidence::{CertificateStatus, Evidence, RenewalEligibility, RenewalStatus};
use crate::finding::{Code, Finding, Severity};
use crate::time::{days, rfc3339};

const DAY: i64 = 86_400;

/// When ACM starts renewing: 45 days before expiry for certificates of at most 200 days
/// (CA/B Forum SC-081v3), 60 days for longer ones.
pub fn renewal_starts(not_before: Option<i64>, not_after: i64) -> i64 {
    let lifetime = not_before.map_or(198 * DAY, |b| not_after - b);
    let lead = if lifetime <= 200 * DAY { 45 } else { 60 };
    not_after - lead * DAY
}

/// `2026-12-01T00:00:00Z (in 12 days)`, or `(12 days ago)`.
fn when(at: i64, now: i64) -> String {
    if at >= now {
        format!("{} (in {})", rfc3339(at), days(at - now))
    } else {
        format!("{} ({} ago)", rfc3339(at), days(now - at))
    }
}

/// The dates a person needs: when renewal starts, when the certificate expires.
fn dates(ev: &Evidence, now: i64) -> String {
    let c = &ev.certificate;
    match c.not_after {
        Some(after) => format!(
            "ACM starts renewing it on {}; it expires on {}",
            when(renewal_starts(c.not_before, after), now),
            when(after, now)
        ),
        None => "its expiry date is unknown".into(),
    }
}

/// Issued, not in use and not exported: ACM will not renew it.
pub fn renewal_not_eligible(ev: &Evidence, now: i64) -> Vec<Finding> {
    let c = &ev.certificate;
    if c.status != CertificateStatus::Issued
        || c.in_use
        || c.renewal_eligibility != Some(RenewalEligibility::Ineligible)
    {
        return Vec::new();
    }
    let expires = c.not_after.map_or_else(
        || "on its expiry date".to_owned(),
        |t| format!("on {}", when(t, now)),
    );
    vec![
        Finding::new(
            Code::RenewalNotEligible,
            format!("No AWS resource uses this certificate and it was not exported, so ACM will not renew it: it expires {expires}."),
            "Associate it with the service it is for (a load balancer listener, a CloudFront distribution, an API Gateway domain, ...): that makes it eligible for managed renewal. Delete it if nothing needs it.",
        )
        .about(&c.domains(), None)
        .with_evidence(["RenewalEligibility INELIGIBLE, InUseBy empty".to_owned()]),
    ]
}

/// Issued, and its managed renewal will fail: a validation record is not as ACM needs it, or ACM's
/// own renewal is pending validation or failed.
pub fn renewal_at_risk(ev: &Evidence, now: i64, found: &[Finding]) -> Vec<Finding> {
    let c = &ev.certificate;
    if c.status != CertificateStatus::Issued {
        return Vec::new();
    }
    let mut problems: Vec<Code> = Vec::new();
    for f in found {
        let counts = f.record_name.is_some()
            && f.severity() >= Severity::Warning
            && !matches!(f.code, Code::LameNameServer | Code::Route53Unavailable);
        if counts && !problems.contains(&f.code) {
            problems.push(f.code);
        }
    }
    let renewal = match &c.renewal_status {
        Some(s @ (RenewalStatus::PendingValidation | RenewalStatus::Failed)) => Some(s),
        _ => None,
    };
    if problems.is_empty() && renewal.is_none() {
        return Vec::new();
    }
    let mut why: Vec<String> = Vec::new();
    if !problems.is_empty() {
        let codes: Vec<&str> = problems.iter().map(|c| c.as_str()).collect();
        why.push(format!(
            "its validation records are not all in public DNS as ACM needs them ({})",
            codes.join(", ")
        ));
    }
    let mut evidence = Vec::new();
    if let Some(status) = renewal {
        let reason = c
            .renewal_reason
            .as_deref()
            .map(|r| format!(" ({r}: {})", explain_failure(r)))
            .unwrap_or_default();
        why.push(format!("ACM's renewal is {status}{reason}"));
        evidence.push(format!("RenewalSummary.RenewalStatus {status}"));
        if !c.renewal_pending.is_empty() {
            evidence.push(format!(
                "Still waiting for validation: {}",
                c.renewal_pending.join(", ")
            ));
        }
    }
    let mut domains = c.domains();
    domains.dedup();
    vec![
        Finding::new(
            Code::RenewalAtRisk,
            format!(
                "Managed renewal of this certificate will fail: {}. {}.",
                why.join("; "),
                dates(ev, now)
            ),
            "Fix the record findings listed for this certificate (each says what to create or change, and where) before renewal starts; ACM then renews by itself. The records must stay in place for every renewal.",
        )
        .about(&domains, None)
        .with_evidence(evidence),
    ]
}
