//! CAA: whether the records that govern each domain let Amazon's CA issue, and whether they could be read.

use crate::evidence::Evidence;
use crate::finding::{Code, Finding};

/// CA domains that must appear in a restricting CAA set for ACM to issue (ACM user guide).
pub const AMAZON_CAA: &[&str] = &[
    "amazon.com",
    "amazontrust.com",
    "awstrust.com",
    "amazonaws.com",
];

/// CAA records at or above a domain forbid Amazon's CA.
pub fn caa_forbids_amazon(ev: &Evidence, _now: i64) -> Vec<Finding> {
    ev.caa
        .iter()
        .filter_map(|caa| {
            let at = caa.found_at.as_ref()?;
            let wildcard = caa.domain.starts_with("*.");
            let has = |tag: &str| caa.records.iter().any(|r| r.tag == tag);
            let tag = if wildcard && has("issuewild") { "issuewild" } else { "issue" };
            let values: Vec<&str> = caa.records.iter().filter(|r| r.tag == tag).map(|r| r.value.as_str()).collect();
            if values.is_empty() {
                return None; // Only iodef or unknown tags: no restriction.
            }
            let allows = values.iter().any(|v| {
                let issuer = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                AMAZON_CAA.contains(&issuer.trim_end_matches('.'))
            });
            if allows {
                return None;
            }
            Some(
                Finding::new(
                    Code::CaaForbidsAmazon,
                    format!("CAA records at {at} do not allow Amazon to issue for {}.", caa.domain),
                    format!(
                        "Add a CAA record at {at}: `0 {tag} \"amazon.com\"` (keep the other CAs you use), or remove the CAA records there."
                    ),
                )
                .about(std::slice::from_ref(&caa.domain), None)
                .with_evidence(caa.records.iter().map(|r| format!("{at} CAA {} {} \"{}\"", if r.critical { 128 } else { 0 }, r.tag, r.value))),
            )
        })
        .collect()
}

/// A CAA lookup failed: ACM's CA treats that as a refusal (CAA_ERROR).
pub fn caa_lookup_failed(ev: &Evidence, _now: i64) -> Vec<Finding> {
    ev.caa
        .iter()
        .filter_map(|caa| {
            let e = caa.error.as_ref()?;
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
