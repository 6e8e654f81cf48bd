//! The notice after `AUTO_FIX=apply` changed Route 53 (`event` `fixed`), and the fix's plan in
//! an alert (`AUTO_FIX=plan`).

use super::{Alert, attr, domain_of, printable_subject};
use crate::fix::{self, CertificatePlan};
use crate::report::CertificateReport;
use std::fmt::Write as _;

/// What `AUTO_FIX=apply` changed: one line per change batch sent (zone, change id, status) and
/// the changes themselves.
pub fn notice(cert: &CertificateReport, plan: &CertificatePlan, batches: &[String]) -> Alert {
    let domain = domain_of(cert);
    let subject = printable_subject(format!(
        "[ACM] fixed in Route 53: {domain} (validation record written)"
    ));
    let mut text = format!(
        "acm-dns-doctor changed Route 53 so that ACM can validate the certificate for {}.\n\nCertificate: {}\n",
        cert.domains.join(", "),
        cert.certificate_arn
    );
    for b in batches {
        let _ = writeln!(text, "Sent:        {b}");
    }
    text.push('\n');
    text.push_str(&fix::plan_text(plan));
    text.push_str(
        "\nThe next check confirms it; ACM validates within about 30 minutes of the record appearing.\n\n— acm-dns-doctor\n",
    );
    let doc = serde_json::json!({
        "event": "fixed",
        "certificate_arn": cert.certificate_arn,
        "plan": plan,
        "sent": batches,
        "certificates": [cert],
    });
    let message = serde_json::json!({"default": doc.to_string(), "email": text}).to_string();
    let mut attributes = vec![
        attr("event", "fixed"),
        attr("severity", "info"),
        attr("certificate_arn", cert.certificate_arn.clone()),
        attr("domain", domain),
    ];
    if let Some(region) = &cert.region {
        attributes.push(attr("region", region.clone()));
    }
    Alert {
        subject,
        message,
        attributes,
    }
}

/// The plan's section of an alert's e-mail (`AUTO_FIX` plan, or an apply that could not be made).
pub fn plan_section(plan: &CertificatePlan) -> String {
    let mut out = String::from(
        "\nFix: the Route 53 change batch that answers these findings (send it with\n`acm-dns-doctor fix ARN --apply`), and what no change can answer:\n",
    );
    out.push_str(&fix::plan_text(plan));
    out
}
