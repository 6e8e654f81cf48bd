//! CAA: whether the records that govern each domain let Amazon's CA issue, and whether they could be read.

use super::facts::dnssec_broken;
use super::records_matter;
use crate::evidence::{Caa, CaaRecord, Evidence};
use crate::finding::{Code, Finding};
use crate::names::{caa_base, is_within};

/// CA domains that must appear in a restricting CAA set for ACM to issue (ACM user guide).
pub const AMAZON_CAA: &[&str] = &[
    "amazon.com",
    "amazontrust.com",
    "awstrust.com",
    "amazonaws.com",
];

/// Properties a CA must understand (RFC 8659 §4, RFC 8657, RFC 9495): any other marked critical
/// forbids issuance.
const KNOWN_TAGS: &[&str] = &[
    "issue",
    "issuewild",
    "iodef",
    "contactemail",
    "contactphone",
    "issuemail",
    "issuevmc",
];

/// Where a CAA set came from, in words: `at X` or `at X (the target of the CNAME at Y)`.
fn place(caa: &Caa, at: &str) -> String {
    match &caa.via_cname {
        Some(alias) => {
            format!("at {at} (the target of the CNAME at {alias}, whose CAA it inherits)")
        }
        None => format!("at {at}"),
    }
}

/// What to change: the set itself, or, through a CNAME, the provider that owns it.
fn where_to_fix(caa: &Caa, at: &str, record: &str) -> String {
    match &caa.via_cname {
        Some(alias) => format!(
            "Ask the owner of {at} (the CNAME target of {alias}) to add `{record}`, or point {alias} elsewhere (a CAA record cannot sit beside its CNAME)."
        ),
        None => format!(
            "Add a CAA record at {at}: `{record}` (keep the other CAs you use), or remove the CAA records there."
        ),
    }
}

fn evidence(caa: &Caa, at: &str) -> Vec<String> {
    caa.records
        .iter()
        .map(|r| {
            format!(
                "{at} CAA {} {} \"{}\"",
                if r.critical { 128 } else { 0 },
                r.tag,
                r.value
            )
        })
        .chain(
            caa.via_cname
                .iter()
                .map(|a| format!("{a} is a CNAME: its CAA is {at}'s")),
        )
        .collect()
}

/// A CAA property Amazon's CA does not know is marked critical: it must refuse to issue.
pub fn caa_unknown_critical(ev: &Evidence, _now: i64) -> Vec<Finding> {
    ev.caa
        .iter()
        .filter_map(|caa| {
            let at = caa.found_at.as_ref()?;
            let unknown: Vec<&CaaRecord> = caa
                .records
                .iter()
                .filter(|r| r.critical && !KNOWN_TAGS.contains(&r.tag.as_str()))
                .collect();
            let first = unknown.first()?;
            Some(
                Finding::new(
                    Code::CaaForbidsAmazon,
                    format!(
                        "The CAA records {} mark the property `{}` critical, which Amazon's CA does not understand, so it must refuse to issue for {} (RFC 8659 §4.1).",
                        place(caa, at), first.tag, caa.domain
                    ),
                    where_to_fix(caa, at, &format!("128 {} ...` cleared of its critical flag (0), or the record removed", first.tag)),
                )
                .about(std::slice::from_ref(&caa.domain), None)
                .with_evidence(evidence(caa, at)),
            )
        })
        .collect()
}

/// CAA records at or above a domain forbid Amazon's CA.
pub fn caa_forbids_amazon(ev: &Evidence, _now: i64) -> Vec<Finding> {
    ev.caa
        .iter()
        .filter_map(|caa| {
            let at = caa.found_at.as_ref()?;
            let wildcard = caa.domain.starts_with("*.");
            let has = |tag: &str| caa.records.iter().any(|r| r.tag == tag);
            let tag = if wildcard && has("issuewild") {
                "issuewild"
            } else {
                "issue"
            };
            let values: Vec<&str> = caa
                .records
                .iter()
                .filter(|r| r.tag == tag)
                .map(|r| r.value.as_str())
                .collect();
            if values.is_empty() {
                return None; // Only iodef or unknown tags: no restriction.
            }
            let allows = values.iter().any(|v| {
                let issuer = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                AMAZON_CAA.contains(&issuer.trim_end_matches('.'))
            });
            if allows {
                return None;
            }
            Some(
                Finding::new(
                    Code::CaaForbidsAmazon,
                    format!(
                        "CAA records {} do not allow Amazon to issue for {}.",
                        place(caa, at),
                        caa.domain
                    ),
                    where_to_fix(caa, at, &format!("0 {tag} \"amazon.com\"")),
                )
                .about(std::slice::from_ref(&caa.domain), None)
                .with_evidence(evidence(caa, at)),
            )
        })
        .collect()
}

/// A CAA lookup failed: ACM's CA treats that as a refusal (CAA_ERROR). When it answers with
/// checking disabled, DNSSEC is what fails (said once per zone: a record finding may say it).
pub fn caa_lookup_failed(ev: &Evidence, _now: i64) -> Vec<Finding> {
    ev.caa
        .iter()
        .filter_map(|caa| {
            let e = caa.error.as_ref()?;
            if caa.answers_unchecked {
                let base = caa_base(&caa.domain);
                let said = records_matter(&ev.certificate.status) && ev.records.iter().any(|r| {
                    dnssec_broken(&r.live)
                        && r.live.dnssec.as_ref().is_some_and(|d| is_within(&base, &d.apex))
                });
                if said {
                    return None;
                }
                return Some(
                    Finding::new(
                        Code::DnssecBroken,
                        format!("The CAA lookup for {} fails DNSSEC validation while it answers with checking disabled; CAs must validate CAA with DNSSEC (since 15 March 2026), so the request would fail with CAA_ERROR.", caa.domain),
                        format!("Fix the DNSSEC chain of the zone that holds {base} (the DS at the registrar, the zone's keys and signatures; `delv` or DNSViz show where it breaks)."),
                    )
                    .about(std::slice::from_ref(&caa.domain), None)
                    .with_evidence([e.clone()]),
                );
            }
            Some(
                Finding::new(
                    Code::DnsLookupFailed,
                    format!("The CAA lookup for {} failed; a CA that cannot read CAA records must refuse to issue (the request would fail with CAA_ERROR).", caa.domain),
                    "Make every name server answer CAA queries (NOERROR with no records is fine): some DNS providers and CNAME targets answer CAA with SERVFAIL or not at all; if the zone is signed, check its DNSSEC.",
                )
                .about(std::slice::from_ref(&caa.domain), None)
                .with_evidence([e.clone()]),
            )
        })
        .collect()
}
