//! Words shared by the record checks: where a record must go, how a zone or record set is named,
//! what happens if nothing is done. Pure, like the checks.

use super::RecordContext;
use super::facts::Placed;
use crate::evidence::{Authoritative, CertificateStatus, RecordEvidence, Route53Evidence, Zone};
use crate::finding::{Code, Finding};
use crate::names::normalize_name;

/// A finding about this record, with its domains and name filled in.
pub fn finding(ctx: &RecordContext, code: Code, summary: String, remedy: String) -> Finding {
    Finding::new(code, summary, remedy).about(&ctx.ev.target.domains, Some(ctx.facts.name))
}

/// What happens if this is not fixed, given the certificate's status.
pub fn consequence(ctx: &RecordContext) -> &'static str {
    match ctx.cert.status {
        CertificateStatus::Issued => "managed renewal will fail",
        CertificateStatus::ValidationTimedOut => "this is why validation timed out",
        _ => "ACM cannot validate",
    }
}

/// The exact record to publish.
pub fn record_line(ctx: &RecordContext) -> String {
    format!("{} CNAME {}", ctx.facts.name, ctx.facts.value)
}

/// True when `zone` is the Route 53 public zone the live DNS actually delegates to.
pub fn zone_is_live(zone: &Zone, auth: &Authoritative) -> bool {
    if zone.private || auth.apex.as_deref() != Some(zone.name.as_str()) {
        return false;
    }
    zone.name_servers
        .iter()
        .any(|ns| auth.name_servers.contains(&normalize_name(ns)))
}

/// Where the record must go, in words: the live Route 53 zone, or the DNS provider serving the live NS.
pub fn live_place(ev: &RecordEvidence) -> String {
    let auth = &ev.live.authoritative;
    if let Route53Evidence::Listed { zones } = &ev.route53
        && let Some(z) = zones.iter().find(|z| zone_is_live(&z.zone, auth))
    {
        return format!(
            "in Route 53 public hosted zone {} ({})",
            z.zone.id, z.zone.name
        );
    }
    match &auth.apex {
        Some(apex) if !auth.name_servers.is_empty() => format!(
            "in zone {apex} at the DNS provider that serves it (name servers {})",
            short_list(&auth.name_servers)
        ),
        _ => format!(
            "in the public DNS zone that holds {}",
            ev.target.record.name
        ),
    }
}

/// Names without their trailing dots, comma-separated.
pub fn short_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| n.trim_end_matches('.'))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Route 53 public hosted zone Z123 (example.com.)`.
pub fn zone_label(z: &Zone) -> String {
    format!(
        "Route 53 {} hosted zone {} ({})",
        if z.private { "private" } else { "public" },
        z.id,
        z.name
    )
}

/// A Route 53 record set and its zone, as an evidence line.
pub fn placed_line(p: &Placed) -> String {
    format!(
        "{}: {} {} {}",
        zone_label(p.zone),
        p.set.name,
        p.set.rtype,
        p.set.values.join(" ")
    )
}
