//! CAA as a CA reads it (RFC 8659): the first non-empty set climbing from the domain, validating.

use super::Session;
use super::wire::Flags;
use crate::evidence::{Answer, Caa, RrData};
use crate::names::{caa_base, parent};
use hickory_proto::rr::RecordType;

/// CAA governing `domain` (RFC 8659): the first non-empty CAA set climbing from the domain to its TLD.
pub async fn lookup(dns: &Session, domain: &str) -> Caa {
    let base = caa_base(domain);
    let mut result = Caa {
        domain: domain.to_owned(),
        found_at: None,
        via_cname: None,
        answers_unchecked: false,
        records: Vec::new(),
        error: None,
    };
    let mut candidate = Some(base);
    while let Some(name) = candidate {
        if name == "." {
            break;
        }
        // Validating, as a CA does: a DNSSEC-bogus CAA answer makes issuance fail.
        let answer = dns
            .resolve_with(&name, RecordType::CAA, Flags::Recursive)
            .await;
        match &answer {
            Answer::Records { .. } => {
                // A CNAME at the name is followed by the resolver: the set is its target's.
                let owner = answer
                    .all_of(RecordType::CAA)
                    .next()
                    .map(|r| r.name.clone());
                let set: Vec<_> = answer
                    .all_of(RecordType::CAA)
                    .filter(|r| Some(&r.name) == owner.as_ref())
                    .filter_map(|r| match &r.data {
                        RrData::Caa(c) => Some(c.clone()),
                        _ => None,
                    })
                    .collect();
                if let Some(owner) = owner.filter(|_| !set.is_empty()) {
                    result.via_cname = (owner != name).then(|| name.clone());
                    result.found_at = Some(owner);
                    result.records = set;
                    return result;
                }
            }
            Answer::Failed { reason, ede } => {
                result.error = Some(match ede {
                    Some(e) => format!("CAA lookup of {name} failed: {reason}; {e}"),
                    None => format!("CAA lookup of {name} failed: {reason}"),
                });
                result.answers_unchecked = answer.is_validation_failure()
                    && dns
                        .resolve_with(&name, RecordType::CAA, Flags::RecursiveUnchecked)
                        .await
                        .is_definite();
                return result;
            }
            _ => {}
        }
        candidate = parent(&name);
    }
    result
}
