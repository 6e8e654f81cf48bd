//! The same alert for chat: the custom-notification format of Amazon Q Developer in chat
//! applications (formerly AWS Chatbot), so that it renders in Slack, Teams or Chime: a title, a
//! description with the fix, next steps and keywords.

use crate::finding::Severity;
use crate::report::CertificateReport;
use std::fmt::Write;

/// Slack and Teams cut long descriptions: keep each part readable.
const MAX_DESCRIPTION: usize = 3_000;

fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max.saturating_sub(3);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

fn notification(
    title: &str,
    description: String,
    next_steps: &[String],
    keywords: &[String],
) -> String {
    serde_json::json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": cut(description, MAX_DESCRIPTION),
            "nextSteps": next_steps,
            "keywords": keywords,
        },
    })
    .to_string()
}

/// The alert for one certificate, for chat.
pub fn alert(
    cert: &CertificateReport,
    min: Severity,
    region: &str,
    prompted_by: Option<&str>,
) -> String {
    let region = cert.region.as_deref().unwrap_or(region);
    let problems: Vec<_> = cert.at_least(min).collect();
    let domain = cert
        .domain_name
        .clone()
        .unwrap_or_else(|| cert.domains.join(", "));
    let worst = cert.worst().unwrap_or(Severity::Info);
    let icon = if worst == Severity::Error {
        ":rotating_light:"
    } else {
        ":warning:"
    };
    let title = format!(
        "{icon} ACM certificate for {domain}: {} problem{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    let mut description = String::new();
    if let Some(event) = prompted_by {
        let _ = writeln!(description, "Prompted by {event}.");
    }
    for f in &problems {
        let _ = writeln!(
            description,
            "*{}* ({}): {}",
            f.code,
            f.severity(),
            f.summary
        );
    }
    if !cert.in_use_by.is_empty() {
        let _ = writeln!(
            description,
            "In use by {} resource{}: {}",
            cert.in_use_by.len(),
            if cert.in_use_by.len() == 1 { "" } else { "s" },
            cert.in_use_by.join(", ")
        );
    }
    let mut next_steps: Vec<String> = problems
        .iter()
        .map(|f| cut(f.remedy.clone(), 500))
        .collect();
    next_steps.dedup();
    if let Some(id) = cert.certificate_arn.rsplit('/').next() {
        next_steps.push(format!(
            "Open it in the ACM console: https://{region}.console.aws.amazon.com/acm/home?region={region}#/certificates/{id}"
        ));
    }
    let mut keywords: Vec<String> = problems.iter().map(|f| f.code.to_string()).collect();
    keywords.dedup();
    keywords.push(domain);
    notification(&title, description, &next_steps, &keywords)
}

/// The all-clear, for chat.
pub fn resolved(cert: &CertificateReport, verb: &str) -> String {
    let domain = cert
        .domain_name
        .clone()
        .unwrap_or_else(|| cert.domains.join(", "));
    notification(
        &format!(":white_check_mark: ACM certificate for {domain}: {verb} after an alert"),
        format!(
            "{} is fine now. Keep its validation records: ACM needs them for every renewal.",
            cert.certificate_arn
        ),
        &[],
        &["resolved".into(), domain],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Finding};

    #[test]
    fn a_chat_alert_has_title_description_next_steps_and_keywords() {
        let finding = Finding::new(
            Code::RecordMissing,
            "There is no CNAME",
            "Create `_a CNAME _b`",
        );
        let cert = CertificateReport {
            certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc".into(),
            account: None,
            region: None,
            domain_name: Some("example.com".into()),
            status: None,
            domains: vec!["example.com".into()],
            created_at: None,
            expires_at: None,
            in_use_by: vec!["arn:aws:cloudfront::123456789012:distribution/E1".into()],
            in_use_count: 1,
            findings: vec![finding],
            error: None,
            not_found: false,
            error_detail: None,
            fix: None,
        };
        let v: serde_json::Value = serde_json::from_str(&alert(
            &cert,
            Severity::Warning,
            "us-east-1",
            Some("a sweep"),
        ))
        .unwrap();
        assert_eq!(v["version"], "1.0");
        assert_eq!(v["source"], "custom");
        let c = &v["content"];
        assert!(
            c["title"]
                .as_str()
                .unwrap()
                .contains("example.com: 1 problem")
        );
        let d = c["description"].as_str().unwrap();
        assert!(
            d.starts_with("Prompted by a sweep.") && d.contains("*RECORD_MISSING* (error)"),
            "{d}"
        );
        assert!(d.contains("distribution/E1"), "{d}");
        assert_eq!(c["nextSteps"][0], "Create `_a CNAME _b`");
        assert_eq!(c["keywords"][0], "RECORD_MISSING");
        let r: serde_json::Value = serde_json::from_str(&resolved(&cert, "fixed")).unwrap();
        assert!(
            r["content"]["title"]
                .as_str()
                .unwrap()
                .contains("fixed after an alert")
        );
    }
}
