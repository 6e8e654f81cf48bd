//! Alert messages (pure): subject, e-mail text and JSON document for one certificate, and the
//! all-clear after it was issued. `aws::sns` only sends what is built here.

pub mod chat;
pub mod fixed;

use crate::checks::VALIDATION_WINDOW_SECS;
use crate::evidence::CertificateStatus;
use crate::finding::Severity;
use crate::report::{self, CertificateReport, Report};
use crate::time::{days, rfc3339, words};
use std::fmt::Write;

/// SNS's limit for a whole message.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// What we allow ourselves for the whole envelope, as sent (after JSON escaping).
const BUDGET: usize = 240_000;
/// SNS subjects must be shorter than 100 characters.
const MAX_SUBJECT: usize = 99;
/// Appended to an e-mail text that had to be shortened.
const SHORTENED: &str =
    "\n\n[Shortened to fit SNS's 256 KB limit; the JSON message has every finding.]\n";

/// One SNS message attribute, for subscription filter policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name (`event`, `severity`, `codes`, ...).
    pub name: &'static str,
    /// SNS data type: `String` or `String.Array`.
    pub data_type: &'static str,
    /// The value (for `String.Array`, a JSON array).
    pub value: String,
}

/// One message, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// `Subject` (< 100 characters, no control characters).
    pub subject: String,
    /// The `MessageStructure=json` envelope: `{"default": JSON document, "email": text}`.
    pub message: String,
    /// `event`, `severity`, `codes`, `certificate_arn`, `domain`.
    pub attributes: Vec<Attribute>,
}

impl Alert {
    /// The attributes as `(name, data type, value)`, as the SNS adapter takes them.
    pub fn attribute_triples(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.attributes
            .iter()
            .map(|a| (a.name, a.data_type, a.value.as_str()))
    }
}

fn attr(name: &'static str, value: impl Into<String>) -> Attribute {
    Attribute {
        name,
        data_type: "String",
        value: value.into(),
    }
}

/// The name an alert uses for the certificate: its primary domain, else its first.
fn domain_of(cert: &CertificateReport) -> String {
    cert.domain_name
        .clone()
        .or_else(|| cert.domains.first().cloned())
        .unwrap_or_else(|| "certificate".into())
}

/// Builds the alert for one certificate. `region` makes the console link; `now` (seconds since
/// the epoch) the time left before ACM's validation timeout.
pub fn alert(
    cert: &CertificateReport,
    min: Severity,
    region: &str,
    now: i64,
    prompted_by: Option<&str>,
) -> Alert {
    let problems: Vec<_> = cert.at_least(min).collect();
    // Findings come most severe first; each code once, in that order.
    let mut codes: Vec<&str> = Vec::new();
    for f in &problems {
        if !codes.contains(&f.code.as_str()) {
            codes.push(f.code.as_str());
        }
    }
    let domain = domain_of(cert);
    let subject = subject(problems.len(), &domain, &codes);
    let worst = cert.worst().unwrap_or(Severity::Info);
    let mut doc = Report {
        certificates: vec![cert.clone()],
        ..Report::default()
    };
    let mut text = email(cert, min, region, now);
    if let Some(event) = prompted_by {
        text = format!("Prompted by: {event}\n\n{text}");
    }
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
        message = fit(&doc, text);
    }
    let mut attributes = vec![
        attr("event", "alert"),
        attr("severity", worst.as_str()),
        Attribute {
            name: "codes",
            data_type: "String.Array",
            value: serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into()),
        },
        attr("certificate_arn", cert.certificate_arn.clone()),
        attr("domain", domain),
    ];
    if let Some(account) = &cert.account {
        attributes.push(attr("account", account.clone()));
    }
    attributes.push(attr("region", cert.region.as_deref().unwrap_or(region)));
    if let Some(event) = prompted_by {
        attributes.push(attr("prompted_by", event));
    }
    Alert {
        subject,
        message,
        attributes,
    }
}

/// The envelope with `text` shortened (and marked) until the whole, as sent, fits the budget.
fn fit(doc: &Report, mut text: String) -> String {
    let mut message = envelope(doc, &text);
    while message.len() > BUDGET && !text.is_empty() {
        // Escaping only grows text, so cutting `over` raw bytes cuts at least `over` sent bytes.
        let over = message.len() - BUDGET + SHORTENED.len();
        let mut cut = text.len().saturating_sub(over);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        message = envelope(doc, &format!("{text}{SHORTENED}"));
    }
    message
}

fn envelope(doc: &Report, text: &str) -> String {
    serde_json::json!({
        "default": serde_json::to_string(doc).unwrap_or_default(),
        "email": text,
    })
    .to_string()
}

/// The all-clear after an alert: the certificate was issued or renewed (`action`, the `Action` of
/// `ACM Certificate Available`), or a check found nothing wrong any more (`None`). `alerted_at`
/// is when the last alert was sent.
pub fn resolved(cert: &CertificateReport, action: Option<&str>, alerted_at: i64) -> Alert {
    let domain = domain_of(cert);
    let (verb, headline) = match action {
        Some("RENEWAL") => ("renewed", "ACM renewed the certificate"),
        Some(_) => ("issued", "ACM issued the certificate"),
        None => ("fixed", "Nothing is wrong any more with the certificate"),
    };
    let subject = printable_subject(format!("[ACM] {verb}: {domain} (after an alert)"));
    let alerted_at = rfc3339(alerted_at);
    let text = format!(
        "{headline} for {}.\n\nCertificate: {}\nLast alert:  {alerted_at}\n\nNothing more to do. Keep the validation records: ACM needs them for every renewal.\n\n— acm-dns-doctor\n",
        cert.domains.join(", "),
        cert.certificate_arn
    );
    let doc = serde_json::json!({
        "event": "resolved",
        "action": action.unwrap_or("CHECK"),
        "certificate_arn": cert.certificate_arn,
        "last_alert_at": alerted_at,
        "certificates": [cert],
    });
    let message = serde_json::json!({"default": doc.to_string(), "email": text}).to_string();
    Alert {
        subject,
        message,
        attributes: vec![
            attr("event", "resolved"),
            attr("severity", "info"),
            attr("certificate_arn", cert.certificate_arn.clone()),
            attr("domain", domain),
        ],
    }
}

/// `[ACM] 2 problems: example.com (DOUBLED_DOMAIN, ...)`, under 100 characters, printable only.
pub fn subject(n: usize, domain: &str, codes: &[&str]) -> String {
    printable_subject(format!(
        "[ACM] {n} problem{}: {domain} ({})",
        if n == 1 { "" } else { "s" },
        codes.join(", ")
    ))
}

/// A subject SNS accepts: no control characters, under 100 characters.
fn printable_subject(mut s: String) -> String {
    s.retain(|c| !c.is_control());
    if s.chars().count() > MAX_SUBJECT {
        s = s.chars().take(MAX_SUBJECT - 3).collect::<String>() + "...";
    }
    s
}

/// The e-mail body: what is wrong, the exact fix, the time left, a console link.
pub fn email(cert: &CertificateReport, min: Severity, region: &str, now: i64) -> String {
    let region = cert.region.as_deref().unwrap_or(region);
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
    if let Some(account) = &cert.account {
        let _ = writeln!(out, "Account:     {account}, Region {region}");
    }
    let _ = writeln!(
        out,
        "Status:      {}",
        cert.status
            .as_ref()
            .map_or("NOT CHECKED", CertificateStatus::as_str)
    );
    if let Some(created) = cert.created_at {
        let _ = writeln!(out, "Requested:   {}", rfc3339(created));
        if cert.status == Some(CertificateStatus::PendingValidation) {
            let left = VALIDATION_WINDOW_SECS - (now - created);
            let _ = writeln!(
                out,
                "Time left:   {} before ACM's 72-hour validation timeout",
                words(left)
            );
        }
    }
    if cert.status == Some(CertificateStatus::Issued)
        && let Some(expires) = cert.expires_at
    {
        let _ = writeln!(
            out,
            "Expires:     {} ({})",
            rfc3339(expires),
            if expires >= now {
                format!("in {}", days(expires - now))
            } else {
                format!("{} ago", days(now - expires))
            }
        );
    }
    if !cert.in_use_by.is_empty() {
        let _ = writeln!(
            out,
            "In use by:   {} resource{} (what breaks if it expires):",
            cert.in_use_by.len(),
            if cert.in_use_by.len() == 1 { "" } else { "s" }
        );
        for arn in &cert.in_use_by {
            let _ = writeln!(out, "               {} {arn}", resource_kind(arn));
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
    if let Some(plan) = &cert.fix {
        out.push_str(&fixed::plan_section(plan));
    }
    out.push_str("\n— acm-dns-doctor\n");
    out
}

/// A short kind for a resource ARN: `CloudFront distribution`, `Application Load Balancer`, ...
pub fn resource_kind(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = parts[..] else {
        return "resource".into();
    };
    let kind = match (service, resource.split(['/', ':']).next().unwrap_or("")) {
        ("cloudfront", _) => "CloudFront distribution",
        ("elasticloadbalancing", "loadbalancer") if resource.starts_with("loadbalancer/app/") => {
            "Application Load Balancer"
        }
        ("elasticloadbalancing", "loadbalancer") if resource.starts_with("loadbalancer/net/") => {
            "Network Load Balancer"
        }
        ("elasticloadbalancing", _) => "Classic Load Balancer",
        ("apigateway", _) => "API Gateway domain",
        ("appsync", _) => "AppSync domain",
        ("amplify", _) => "Amplify app",
        ("apprunner", _) => "App Runner service",
        ("cognito-idp", _) => "Cognito domain",
        ("elasticbeanstalk", _) => "Elastic Beanstalk environment",
        ("es" | "opensearch", _) => "OpenSearch domain",
        ("vpc-lattice", _) => "VPC Lattice service",
        (other, _) => return format!("{other} resource"),
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests;
