//! SNS alerts: one message per certificate, readable e-mail text plus the JSON document.

use super::{AwsError, api_error};
use crate::finding::Severity;
use crate::report::{self, CertificateReport, Report};
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use std::fmt::Write;

/// SNS's limit for a whole message.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// What we allow ourselves (room for the JSON envelope's escaping).
const BUDGET: usize = 240_000;
/// SNS subjects must be shorter than 100 characters.
const MAX_SUBJECT: usize = 99;

/// One alert, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// `Subject` (< 100 characters, no control characters).
    pub subject: String,
    /// The `MessageStructure=json` envelope: `{"default": JSON document, "email": text}`.
    pub message: String,
    /// `severity`, `codes`, `certificate_arn`, `domain`.
    pub attributes: Vec<(String, String, String)>,
}

/// Builds the alert for one certificate (pure). `region` makes the console link; `time_left` the deadline line.
pub fn alert(cert: &CertificateReport, min: Severity, region: &str, now: i64) -> Alert {
    let problems: Vec<_> = cert.at_least(min).collect();
    let mut codes: Vec<&str> = problems.iter().map(|f| f.code.as_str()).collect();
    codes.dedup();
    let domain = cert
        .domain_name
        .clone()
        .or_else(|| cert.domains.first().cloned())
        .unwrap_or_else(|| "certificate".into());
    let subject = subject(problems.len(), &domain, &codes);
    let worst = cert.worst().unwrap_or(Severity::Info);

    let mut doc = Report {
        certificates: vec![cert.clone()],
        not_reached: Vec::new(),
    };
    let mut text = email(cert, min, region, now);
    let mut message = envelope(&doc, &text);
    if message.len() > BUDGET {
        // Too big: drop the evidence from the JSON (marked), then shorten the text (marked).
        for f in &mut doc.certificates[0].findings {
            if !f.evidence.is_empty() {
                f.evidence = vec![format!(
                    "({} evidence lines left out: message size limit)",
                    f.evidence.len()
                )];
            }
        }
        let json_len = envelope(&doc, "").len();
        let room = BUDGET.saturating_sub(json_len + 200);
        if text.len() > room {
            let mut cut = room;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str(
                "\n\n[Shortened to fit SNS's 256 KB limit; the JSON message has every finding.]\n",
            );
        }
        message = envelope(&doc, &text);
    }
    let attributes = vec![
        ("event".into(), "String".into(), "alert".into()),
        ("severity".into(), "String".into(), worst.as_str().into()),
        (
            "codes".into(),
            "String.Array".into(),
            serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into()),
        ),
        (
            "certificate_arn".into(),
            "String".into(),
            cert.certificate_arn.clone(),
        ),
        ("domain".into(), "String".into(), domain),
    ];
    Alert {
        subject,
        message,
        attributes,
    }
}

fn envelope(doc: &Report, text: &str) -> String {
    serde_json::json!({
        "default": serde_json::to_string(doc).unwrap_or_default(),
        "email": text,
    })
    .to_string()
}

/// The all-clear after an alert: the certificate was issued (or renewed). `action` is the event's
/// `Action`; `alerted_at` when the last alert was sent.
pub fn resolved(cert: &CertificateReport, action: &str, alerted_at: &str) -> Alert {
    let domain = cert
        .domain_name
        .clone()
        .or_else(|| cert.domains.first().cloned())
        .unwrap_or_else(|| "certificate".into());
    let verb = if action == "RENEWAL" {
        "renewed"
    } else {
        "issued"
    };
    let mut subject = format!("[ACM] {verb}: {domain} (after an alert)");
    subject.retain(|c| !c.is_control());
    if subject.chars().count() > MAX_SUBJECT {
        subject = subject.chars().take(MAX_SUBJECT - 3).collect::<String>() + "...";
    }
    let text = format!(
        "ACM {verb} the certificate for {}.\n\nCertificate: {}\nLast alert:  {alerted_at}\n\nNothing more to do. Keep the validation records: ACM needs them for every renewal.\n\n— acm-dns-doctor\n",
        cert.domains.join(", "),
        cert.certificate_arn
    );
    let doc = serde_json::json!({
        "event": "resolved",
        "action": action,
        "certificate_arn": cert.certificate_arn,
        "last_alert_at": alerted_at,
        "certificates": [cert],
    });
    let message = serde_json::json!({"default": doc.to_string(), "email": text}).to_string();
    Alert {
        subject,
        message,
        attributes: vec![
            ("event".into(), "String".into(), "resolved".into()),
            ("severity".into(), "String".into(), "info".into()),
            (
                "certificate_arn".into(),
                "String".into(),
                cert.certificate_arn.clone(),
            ),
            ("domain".into(), "String".into(), domain),
        ],
    }
}

/// `[ACM] 2 problems: example.com (DOUBLED_DOMAIN, ...)`, under 100 characters, printable only.
pub fn subject(n: usize, domain: &str, codes: &[&str]) -> String {
    let mut s = format!(
        "[ACM] {n} problem{}: {domain} ({})",
        if n == 1 { "" } else { "s" },
        codes.join(", ")
    );
    s.retain(|c| !c.is_control());
    if s.chars().count() > MAX_SUBJECT {
        s = s.chars().take(MAX_SUBJECT - 3).collect::<String>() + "...";
    }
    s
}

/// The e-mail body: what is wrong, the exact fix, the time left, a console link.
pub fn email(cert: &CertificateReport, min: Severity, region: &str, now: i64) -> String {
    let mut out = String::new();
    let problems: Vec<_> = cert.at_least(min).collect();
    let _ = writeln!(
        out,
        "ACM certificate for {} needs attention: {} problem{}.\n",
        cert.domains.join(", "),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(out, "Certificate: {}", cert.certificate_arn);
    let _ = writeln!(
        out,
        "Status:      {}",
        cert.status.as_deref().unwrap_or("UNKNOWN")
    );
    if let Some(created) = &cert.created_at {
        let _ = writeln!(out, "Requested:   {created}");
        if cert.status.as_deref() == Some("PENDING_VALIDATION")
            && let Ok(t) = aws_smithy_types::DateTime::from_str(
                created,
                aws_smithy_types::date_time::Format::DateTime,
            )
        {
            let left = crate::checks::VALIDATION_WINDOW_SECS - (now - t.secs());
            let _ = writeln!(
                out,
                "Time left:   {} before ACM's 72-hour validation timeout",
                report::duration(left)
            );
        }
    }
    if let Some(id) = cert.certificate_arn.rsplit('/').next() {
        let _ = writeln!(
            out,
            "Console:     https://{region}.console.aws.amazon.com/acm/home?region={region}#/certificates/{id}"
        );
    }
    for (i, f) in problems.iter().enumerate() {
        out.push_str(&report::finding_text(f, &format!("{}. ", i + 1)));
    }
    out.push_str("\n— acm-dns-doctor\n");
    out
}

/// Publishes one alert.
pub async fn publish(client: &Client, topic_arn: &str, alert: &Alert) -> Result<String, AwsError> {
    let mut req = client
        .publish()
        .topic_arn(topic_arn)
        .subject(&alert.subject)
        .message(&alert.message)
        .message_structure("json");
    for (name, kind, value) in &alert.attributes {
        let v = MessageAttributeValue::builder()
            .data_type(kind)
            .string_value(value)
            .build()
            .map_err(|e| AwsError::Api {
                action: "sns:Publish",
                message: e.to_string(),
            })?;
        req = req.message_attributes(name, v);
    }
    let out = req.send().await.map_err(|e| api_error("sns:Publish", e))?;
    Ok(out.message_id.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Finding};

    fn cert(findings: Vec<Finding>) -> CertificateReport {
        CertificateReport {
            certificate_arn: "arn:aws:acm:us-east-1:1:certificate/abc-123".into(),
            domain_name: Some("example.com".into()),
            status: Some("PENDING_VALIDATION".into()),
            domains: vec!["example.com".into(), "*.example.com".into()],
            created_at: Some(report::time(1_000_000)),
            findings,
            error: None,
            not_found: false,
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
        );
        let env: serde_json::Value = serde_json::from_str(&a.message).unwrap();
        let email = env["email"].as_str().unwrap();
        assert!(
            email.contains("Fix: delete it") && email.contains("71 h 00 min"),
            "{email}"
        );
        assert!(email.contains("#/certificates/abc-123"));
        assert!(
            !email.contains("RECORD_OK"),
            "info findings stay out of an alert at warning"
        );
        let doc: serde_json::Value =
            serde_json::from_str(env["default"].as_str().unwrap()).unwrap();
        assert_eq!(
            doc["certificates"][0]["findings"][0]["code"],
            "DOUBLED_DOMAIN"
        );
        let attr = |n: &str| {
            a.attributes
                .iter()
                .find(|(k, _, _)| k == n)
                .unwrap()
                .2
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
        let a = alert(&cert(vec![f]), Severity::Warning, "us-east-1", 0);
        assert!(a.message.len() <= MAX_MESSAGE_BYTES, "{}", a.message.len());
        let env: serde_json::Value = serde_json::from_str(&a.message).unwrap();
        assert!(env["email"].as_str().unwrap().contains("Shortened to fit"));
        let doc: serde_json::Value =
            serde_json::from_str(env["default"].as_str().unwrap()).unwrap();
        assert!(
            doc["certificates"][0]["findings"][0]["evidence"][0]
                .as_str()
                .unwrap()
                .contains("left out")
        );
    }
}
