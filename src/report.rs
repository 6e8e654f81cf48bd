//! Reports: the JSON contract for machines, plain text for people.

use crate::finding::{Finding, Severity};
use serde::Serialize;
use std::fmt::Write;

/// The result of checking one certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateReport {
    /// The ARN asked about.
    pub certificate_arn: String,
    /// The certificate's primary domain name (ACM `DomainName`), when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// ACM status, when the certificate could be read.
    pub status: Option<String>,
    /// Every domain on the certificate.
    pub domains: Vec<String>,
    /// When it was requested (RFC 3339).
    pub created_at: Option<String>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Why the certificate could not be checked (the run failed for it); findings are then empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error is that ACM has no such certificate (deleted, or a wrong ARN).
    #[serde(skip)]
    pub not_found: bool,
}

impl CertificateReport {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Findings at or above `min`.
    pub fn at_least(&self, min: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity >= min)
    }
}

/// A run over several certificates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// One entry per certificate, in the order asked.
    pub certificates: Vec<CertificateReport>,
    /// Certificates a sweep did not reach before its deadline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_reached: Vec<String>,
}

impl Report {
    /// Exit status of the CLI: 2 if a certificate could not be checked, 1 on any error finding, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.certificates.iter().any(|c| c.error.is_some()) || !self.not_reached.is_empty() {
            2
        } else if self
            .certificates
            .iter()
            .any(|c| c.worst() == Some(Severity::Error))
        {
            1
        } else {
            0
        }
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.certificates {
            out.push_str(&certificate_text(c));
            out.push('\n');
        }
        for arn in &self.not_reached {
            let _ = writeln!(out, "NOT CHECKED (out of time): {arn}");
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
                    .filter(|f| f.severity == Severity::Warning)
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
            self.certificates.len(),
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
        c.status.as_deref().unwrap_or("UNKNOWN"),
        if c.domains.is_empty() {
            "-".to_owned()
        } else {
            c.domains.join(", ")
        }
    );
    if let Some(e) = &c.error {
        let _ = writeln!(out, "  [FAILED] could not check this certificate: {e}");
    }
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
        f.severity.as_str().to_uppercase(),
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
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
}

/// Seconds since the epoch as RFC 3339 (UTC).
pub fn time(secs: i64) -> String {
    aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

/// A duration in words: `2 h 05 min`, `45 s`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Finding};

    fn cert(findings: Vec<Finding>, error: Option<&str>) -> CertificateReport {
        CertificateReport {
            certificate_arn: "arn:x".into(),
            domain_name: None,
            status: Some("PENDING_VALIDATION".into()),
            domains: vec!["example.com".into()],
            created_at: None,
            findings,
            error: error.map(Into::into),
            not_found: false,
        }
    }

    #[test]
    fn exit_codes() {
        let ok = Finding::new(Code::RecordOk, "s", "r");
        let bad = Finding::new(Code::RecordMissing, "s", "r");
        let warn = Finding::new(Code::RecordNotPropagated, "s", "r");
        let r = |c| Report {
            certificates: c,
            not_reached: vec![],
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
            not_reached: vec![],
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

    #[test]
    fn durations_and_times() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(3 * 3600 + 5 * 60), "3 h 05 min");
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
    }
}
