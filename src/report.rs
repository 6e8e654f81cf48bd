//! Reports: the JSON contract for machines, plain text for people.

use crate::evidence::CertificateStatus;
use crate::exit;
use crate::finding::{Finding, Severity};
use serde::Serialize;
use std::fmt::Write;

/// The result of checking one certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateReport {
    /// The ARN asked about.
    pub certificate_arn: String,
    /// The account it lives in (from the ARN).
    pub account: Option<String>,
    /// The Region it lives in (from the ARN).
    pub region: Option<String>,
    /// The certificate's primary domain name (ACM `DomainName`), when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// ACM status, when the certificate could be read.
    pub status: Option<CertificateStatus>,
    /// Every domain on the certificate.
    pub domains: Vec<String>,
    /// When it was requested, seconds since the epoch (RFC 3339 in JSON).
    #[serde(with = "crate::time::serde_rfc3339")]
    pub created_at: Option<i64>,
    /// When it expires (issued certificates), seconds since the epoch (RFC 3339 in JSON).
    #[serde(
        with = "crate::time::serde_rfc3339",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub expires_at: Option<i64>,
    /// The AWS resources that use it (ARNs): what breaks if it expires.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub in_use_by: Vec<String>,
    /// How many resources use it.
    pub in_use_count: usize,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Why the certificate could not be checked (the run failed for it); findings are then empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error is that ACM has no such certificate (deleted, or a wrong ARN).
    #[serde(skip)]
    pub not_found: bool,
    /// The whole cause of `error` (the SDK's error chain), for `--verbose` and debug logs.
    #[serde(skip)]
    pub error_detail: Option<String>,
    /// The Route 53 change that would fix it (the Lambda's `AUTO_FIX=plan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::fix::CertificatePlan>,
}

impl CertificateReport {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(Finding::severity).max()
    }

    /// Findings at or above `min`.
    pub fn at_least(&self, min: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity() >= min)
    }

    /// An entry for a certificate that could not be checked: why in one line, and the whole cause.
    pub fn failed(arn: &str, error: String, detail: String, not_found: bool) -> Self {
        let (account, region) = account_and_region(arn);
        CertificateReport {
            certificate_arn: arn.to_owned(),
            account,
            region,
            domain_name: None,
            status: None,
            domains: Vec::new(),
            created_at: None,
            expires_at: None,
            in_use_by: Vec::new(),
            in_use_count: 0,
            findings: Vec::new(),
            error: Some(error),
            not_found,
            error_detail: Some(detail),
            fix: None,
        }
    }
}

/// The account and Region an ARN names (none for a malformed ARN).
pub fn account_and_region(arn: &str) -> (Option<String>, Option<String>) {
    crate::arn::parse(arn).map_or((None, None), |a| (Some(a.account), Some(a.region)))
}

/// An account and Region a sweep could not list: its certificates are unknown, so it is
/// reported as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeFailure {
    /// The account, when reached through a member role (else the caller's own).
    pub account: Option<String>,
    /// The Region.
    pub region: String,
    /// Why, in one line.
    pub error: String,
}

/// A run over several certificates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// One entry per certificate, in the order asked.
    pub certificates: Vec<CertificateReport>,
    /// Certificates a sweep did not reach before its deadline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_reached: Vec<String>,
    /// Accounts and Regions a sweep could not list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_failed: Vec<ScopeFailure>,
}

impl Report {
    /// Exit status of the CLI (see `exit`).
    pub fn exit_code(&self) -> u8 {
        if self.certificates.iter().any(|c| c.error.is_some())
            || !self.not_reached.is_empty()
            || !self.scopes_failed.is_empty()
        {
            exit::NOT_CHECKED
        } else if self
            .certificates
            .iter()
            .any(|c| c.worst() == Some(Severity::Error))
        {
            exit::ERROR_FINDINGS
        } else {
            exit::OK
        }
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
    }

    /// Text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // A certificate that could not be checked is counted here; its one-line reason is the
        // caller's to show (the CLI prints it once, on stderr).
        for c in self.certificates.iter().filter(|c| c.error.is_none()) {
            out.push_str(&certificate_text(c));
            out.push('\n');
        }
        for arn in &self.not_reached {
            let _ = writeln!(out, "NOT CHECKED (out of time): {arn}");
        }
        for f in &self.scopes_failed {
            let account = f.account.as_deref().unwrap_or("own account");
            let _ = writeln!(
                out,
                "NOT CHECKED (could not list {account}, {}): {}",
                f.region, f.error
            );
        }
        let errors: usize = self
            .certificates
            .iter()
            .map(|c| c.at_least(Severity::Error).count())
            .sum();
        let warnings: usize = self
            .certificates
            .iter()
            .map(|c| {
                c.findings
                    .iter()
                    .filter(|f| f.severity() == Severity::Warning)
                    .count()
            })
            .sum();
        let failed = self
            .certificates
            .iter()
            .filter(|c| c.error.is_some())
            .count();
        let _ = writeln!(
            out,
            "{} certificate(s) checked: {errors} error(s), {warnings} warning(s){}",
            self.certificates.len() - failed,
            if failed > 0 {
                format!(", {failed} could not be checked")
            } else {
                String::new()
            }
        );
        out
    }
}

/// One certificate as text: a header, then each finding with its fix first.
pub fn certificate_text(c: &CertificateReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n  {} — {}",
        c.certificate_arn,
        c.status.as_ref().map_or("-", CertificateStatus::as_str),
        if c.domains.is_empty() {
            "-".to_owned()
        } else {
            c.domains.join(", ")
        }
    );
    for f in &c.findings {
        out.push_str(&finding_text(f, "  "));
    }
    out
}

/// One finding for people: a headline (`marker` then severity, code, domains), the fix, why, the
/// record, the evidence. Shared by the CLI's text and the alert e-mail.
pub fn finding_text(f: &Finding, marker: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{marker}[{}] {} — {}",
        f.severity().as_str().to_uppercase(),
        f.code,
        f.domains.join(", ")
    );
    let pad = " ".repeat(marker.chars().count() + 2);
    let _ = writeln!(out, "{pad}Fix: {}", f.remedy);
    let _ = writeln!(out, "{pad}Why: {}", f.summary);
    if let Some(n) = &f.record_name {
        let _ = writeln!(out, "{pad}Record: {n}");
    }
    for e in &f.evidence {
        let _ = writeln!(out, "{pad}  · {e}");
    }
    out
}

/// Sorts findings most severe first, stable otherwise.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Finding};

    fn cert(findings: Vec<Finding>, error: Option<&str>) -> CertificateReport {
        CertificateReport {
            certificate_arn: "arn:x".into(),
            account: None,
            region: None,
            domain_name: None,
            status: Some(CertificateStatus::PendingValidation),
            domains: vec!["example.com".into()],
            created_at: None,
            expires_at: None,
            in_use_by: vec![],
            in_use_count: 0,
            findings,
            error: error.map(Into::into),
            not_found: false,
            error_detail: None,
            fix: None,
        }
    }

    #[test]
    fn exit_codes() {
        let ok = Finding::new(Code::RecordOk, "s", "r");
        let bad = Finding::new(Code::RecordMissing, "s", "r");
        let warn = Finding::new(Code::RecordNotPropagated, "s", "r");
        let r = |c| Report {
            certificates: c,
            ..Report::default()
        };
        assert_eq!(r(vec![cert(vec![ok.clone()], None)]).exit_code(), 0);
        assert_eq!(r(vec![cert(vec![warn], None)]).exit_code(), 0);
        assert_eq!(r(vec![cert(vec![ok, bad.clone()], None)]).exit_code(), 1);
        assert_eq!(
            r(vec![cert(vec![bad], None), cert(vec![], Some("not found"))]).exit_code(),
            2
        );
    }

    #[test]
    fn text_puts_the_fix_first_and_json_has_the_contract_fields() {
        let f = Finding::new(
            Code::DoubledDomain,
            "published at the doubled name",
            "delete it",
        )
        .about(&["example.com".into()], Some("_a.example.com."));
        let r = Report {
            certificates: vec![cert(vec![f], None)],
            ..Report::default()
        };
        let text = r.to_text();
        let fix = text.find("Fix: delete it").unwrap();
        let why = text.find("Why: published").unwrap();
        assert!(fix < why, "{text}");
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let f = &v["certificates"][0]["findings"][0];
        assert_eq!(f["code"], "DOUBLED_DOMAIN");
        assert_eq!(f["severity"], "error");
        assert_eq!(f["record_name"], "_a.example.com.");
        assert_eq!(f["domains"][0], "example.com");
        assert_eq!(v["certificates"][0]["certificate_arn"], "arn:x");
    }
}
