//! Checks over the certificate as a whole.

use crate::evidence::{CertificateStatus, CertificateType, Evidence};
use crate::finding::{Code, Finding};
use crate::time::{rfc3339, words};

/// ACM gives up on a DNS validation after this long.
pub const VALIDATION_WINDOW_SECS: i64 = 72 * 3600;
/// We warn once a request has been pending this long.
pub const DEADLINE_WARNING_SECS: i64 = 48 * 3600;

/// Not DNS-validated (e-mail/HTTP validation, imported, private CA): nothing to check.
pub fn not_dns_validated(ev: &Evidence) -> Option<Finding> {
    let c = &ev.certificate;
    if c.is_dns_validated() {
        return None;
    }
    let how = if c.cert_type == CertificateType::AmazonIssued {
        let methods: Vec<String> = c
            .validations
            .iter()
            .filter_map(|v| v.method.as_ref().map(std::string::ToString::to_string))
            .collect();
        format!(
            "validated by {}",
            if methods.is_empty() {
                "no DNS record".into()
            } else {
                methods.join("/")
            }
        )
    } else {
        format!(
            "a {} certificate",
            c.cert_type.as_str().to_lowercase().replace('_', " ")
        )
    };
    Some(
        Finding::new(
            Code::NotDnsValidated,
            format!("This certificate is {how}: there is no DNS validation record to check."),
            "Nothing to do here.",
        )
        .about(&c.domains(), None),
    )
}

/// The request FAILED (CAA, domain not allowed, ...): explain the reason.
pub fn certificate_failed(ev: &Evidence, _now: i64) -> Vec<Finding> {
    let c = &ev.certificate;
    if c.status != CertificateStatus::Failed {
        return Vec::new();
    }
    let reason = c.failure_reason.as_deref().unwrap_or("OTHER");
    let why = explain_failure(reason);
    vec![
        Finding::new(
            Code::CertificateFailed,
            format!("ACM marked this request FAILED ({reason}): {why}."),
            format!("Fix the cause, then request a new certificate: a failed request cannot be retried. ({why})"),
        )
        .about(&c.domains(), None)
        .with_evidence([format!("Status FAILED, FailureReason {reason}")]),
    ]
}

/// What an ACM `FailureReason` means, and what to do.
pub fn explain_failure(reason: &str) -> &'static str {
    match reason {
        "CAA_ERROR" => {
            "CAA records for a domain forbid Amazon's CA. Add `0 issue \"amazon.com\"` to the CAA set that governs each domain (and `issuewild` for wildcards), or remove the restricting CAA records"
        }
        "DOMAIN_NOT_ALLOWED" => {
            "a domain is on a public suffix list or blocked; request the certificate for a domain you control"
        }
        "INVALID_PUBLIC_DOMAIN" => {
            "a domain is not a valid public domain name (no public TLD); fix the name"
        }
        "ADDITIONAL_VERIFICATION_REQUIRED" => {
            "Amazon needs more information before issuing; contact AWS Support"
        }
        "DOMAIN_VALIDATION_DENIED" => "Amazon denied validation for a domain; contact AWS Support",
        "NO_AVAILABLE_CONTACTS" => {
            "no contact could be found to validate a domain; use DNS validation and publish its CNAME"
        }
        _ => "see the ACM console for details",
    }
}

/// ACM gave up after 72 hours: say so; the record findings below say why.
pub fn validation_timed_out(ev: &Evidence, _now: i64) -> Vec<Finding> {
    let c = &ev.certificate;
    if c.status != CertificateStatus::ValidationTimedOut {
        return Vec::new();
    }
    vec![
        Finding::new(
            Code::ValidationTimedOut,
            "ACM stopped checking after 72 hours without seeing every validation record.",
            "Fix the record problems listed for this certificate, then request a new certificate (a timed-out request cannot be retried) and delete this one. ACM usually gives the same CNAME for the same domain in the same account: check the new request's record against what you published.",
        )
        .about(&c.domains(), None)
        .with_evidence(c.created_at.map(|t| format!("Requested at {}", rfc3339(t)))),
    ]
}

/// Pending for more than 48 of ACM's 72 hours: say how long is left.
pub fn deadline_near(ev: &Evidence, now: i64) -> Vec<Finding> {
    let c = &ev.certificate;
    let Some(created) = c.created_at else {
        return Vec::new();
    };
    let age = now - created;
    if c.status != CertificateStatus::PendingValidation || age < DEADLINE_WARNING_SECS {
        return Vec::new();
    }
    let left = (VALIDATION_WINDOW_SECS - age).max(0);
    vec![
        Finding::new(
            Code::ValidationDeadlineNear,
            format!(
                "Pending for {}; ACM times the request out in {}.",
                words(age),
                words(left)
            ),
            "Fix the record problems listed for this certificate now; after the timeout a new request is needed.",
        )
        .about(&c.domains(), None)
        .with_evidence([format!("Requested at {}", rfc3339(created))]),
    ]
}

/// ACM has not produced the validation record yet (seconds after a request).
pub fn resource_record_not_ready(ev: &Evidence, _now: i64) -> Vec<Finding> {
    let domains = ev.certificate.domains_without_record();
    if domains.is_empty() || ev.certificate.status != CertificateStatus::PendingValidation {
        return Vec::new();
    }
    vec![
        Finding::new(
            Code::ResourceRecordNotReady,
            format!(
                "ACM has not produced the validation record for {} yet.",
                domains.join(", ")
            ),
            "Wait a minute and check again: ACM adds the record a few seconds after the request.",
        )
        .about(&domains, None),
    ]
}
