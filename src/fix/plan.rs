//! The planner: which change in which Route 53 zone answers which finding (pure).

use super::{Action, CertificatePlan, Change, Refusal, TTL, ZoneBatch};
use crate::evidence::{Evidence, RecordEvidence, RecordSet, Route53Evidence, ZoneRecords};
use crate::finding::{Code, Finding};
use crate::names::{normalize_name, value_matches};
use hickory_proto::rr::RecordType;

/// The findings a Route 53 change answers: the record is missing, in the wrong place, at the
/// wrong name, of the wrong type, or has the wrong value. (`RENEWAL_AT_RISK` from a removed
/// record comes with `RECORD_MISSING`, which the change answers.)
pub const FIXABLE: &[Code] = &[
    Code::RecordMissing,
    Code::RecordInPrivateZoneOnly,
    Code::RecordInUndelegatedZone,
    Code::ValueMismatch,
    Code::NameMismatch,
    Code::DoubledDomain,
    Code::WrongRecordType,
    Code::CnameAndTxtConflict,
];

/// Findings no record change can answer: the fix refuses the certificate.
const NOT_BY_A_RECORD: &[Code] = &[Code::CaaForbidsAmazon, Code::DnssecBroken];

/// The plan for one certificate: per zone, the change batch that answers its fixable findings.
/// With `delete_wrong`, records that carry this certificate's own validation token at a wrong
/// name or of a wrong type are deleted too; nothing else is ever deleted.
pub fn plan(ev: &Evidence, findings: &[Finding], delete_wrong: bool) -> CertificatePlan {
    let mut out = CertificatePlan {
        certificate_arn: ev.certificate.arn.clone(),
        batches: Vec::new(),
        refused: Vec::new(),
    };
    let blocking: Vec<Code> = findings
        .iter()
        .map(|f| f.code)
        .filter(|c| NOT_BY_A_RECORD.contains(c))
        .collect();
    for r in &ev.records {
        let name = &r.target.record.name;
        let all: Vec<Code> = findings
            .iter()
            .filter(|f| f.record_name.as_deref() == Some(name.as_str()))
            .map(|f| f.code)
            .collect();
        let mut codes: Vec<Code> = all
            .iter()
            .copied()
            .filter(|c| FIXABLE.contains(c))
            .collect();
        codes.sort();
        codes.dedup();
        // A record whose lookups failed is never changed, whatever else was found.
        if codes.is_empty() || all.contains(&Code::DnsLookupFailed) {
            if all.contains(&Code::DnsLookupFailed) {
                out.refused.push(Refusal {
                    record_name: Some(name.clone()),
                    codes: vec![Code::DnsLookupFailed],
                    why: "the record could not be diagnosed (DNS lookups failed): nothing is changed without a diagnosis; run again".into(),
                    instead: None,
                });
            }
            continue;
        }
        let refuse = |why: String, instead: Option<String>| Refusal {
            record_name: Some(name.clone()),
            codes: codes.clone(),
            why,
            instead,
        };
        if let Some(code) = blocking.first() {
            out.refused.push(refuse(
                format!("{code} is not answered by a DNS record: fix it first (see its finding)"),
                None,
            ));
            continue;
        }
        match record_changes(r, &codes, delete_wrong) {
            Ok((zone, changes)) => add(&mut out.batches, zone, changes, name, codes),
            Err((why, instead)) => out.refused.push(refuse(why, instead)),
        }
    }
    for b in &mut out.batches {
        b.changes.sort();
        b.changes.dedup();
    }
    out.batches.sort_by(|a, b| a.zone_name.cmp(&b.zone_name));
    out
}

fn add(
    batches: &mut Vec<ZoneBatch>,
    zone: &ZoneRecords,
    changes: Vec<Change>,
    name: &str,
    codes: Vec<Code>,
) {
    if changes.is_empty() {
        return;
    }
    let i = if let Some(i) = batches.iter().position(|b| b.zone_id == zone.zone.id) {
        i
    } else {
        batches.push(ZoneBatch {
            zone_id: zone.zone.id.clone(),
            zone_name: zone.zone.name.clone(),
            changes: Vec::new(),
            answers: Vec::new(),
        });
        batches.len() - 1
    };
    batches[i].changes.extend(changes);
    batches[i].answers.push((name.to_owned(), codes));
}

type Refused = (String, Option<String>);

/// The live zone's changes for one record, or why there are none.
fn record_changes<'e>(
    r: &'e RecordEvidence,
    codes: &[Code],
    delete_wrong: bool,
) -> Result<(&'e ZoneRecords, Vec<Change>), Refused> {
    let name = &r.target.record.name;
    let value = &r.target.record.value;
    let create = format!("{name} {TTL} IN CNAME {value}");
    let zones = match &r.route53 {
        Route53Evidence::Listed { zones } => zones,
        Route53Evidence::Unavailable { reason } => {
            return Err((format!("Route 53 could not be read: {reason}"), None));
        }
    };
    let auth = &r.live.authoritative;
    let Some(apex) = &auth.apex else {
        return Err((
            "the live zone could not be found (lookup failed): nothing is changed without a diagnosis; run again".into(),
            None,
        ));
    };
    let mut live_ns = auth.name_servers.clone();
    live_ns.sort();
    let live = zones.iter().find(|z| {
        let mut ns = z.zone.name_servers.clone();
        ns.sort();
        !z.zone.private && z.zone.name == *apex && !ns.is_empty() && ns == live_ns
    });
    let mut parent_ns = auth.parent_name_servers.clone();
    parent_ns.sort();
    if live.is_some() && !parent_ns.is_empty() && parent_ns != live_ns {
        return Err((
            format!(
                "the delegation of {apex} is changing (the parent says {}, resolvers still see {}): fix it once the change has settled",
                parent_ns.join(", "),
                live_ns.join(", ")
            ),
            None,
        ));
    }
    let Some(live) = live else {
        return Err((
            format!(
                "the live zone {apex} (name servers {}) is not a Route 53 zone of this account: it is at another DNS provider or in another account",
                auth.name_servers.join(", ")
            ),
            Some(if codes == [Code::CnameAndTxtConflict] {
                format!("delete the TXT at {name} there, and keep its CNAME")
            } else {
                format!("create this record there: {create}")
            }),
        ));
    };
    let at_name: Vec<&RecordSet> = live
        .records
        .iter()
        .filter(|s| normalize_name(&s.name) == *name)
        .collect();
    let conflicts: Vec<&RecordSet> = at_name
        .iter()
        .copied()
        .filter(|s| s.rtype != RecordType::CNAME)
        .collect();
    if let Some(r) = at_name.iter().find(|s| s.routed) {
        return Err((
            format!(
                "{name} has a {} record set with a routing policy or an alias in zone {}: the fix does not write beside it; change it by hand",
                r.rtype, live.zone.name
            ),
            None,
        ));
    }
    if !conflicts.is_empty() && !delete_wrong {
        let types: Vec<String> = conflicts.iter().map(|s| s.rtype.to_string()).collect();
        return Err((
            format!(
                "{name} also has {} in zone {}; Route 53 refuses a CNAME beside other data: delete it, or fix with --delete-wrong",
                types.join(", "),
                live.zone.name
            ),
            None,
        ));
    }
    let mut changes = Vec::new();
    if delete_wrong {
        let wrong = live.records.iter().filter(|s| {
            let exact_cname = normalize_name(&s.name) == *name && s.rtype == RecordType::CNAME;
            !exact_cname && carries_token(s, name, value)
        });
        for s in wrong {
            // Only what the delete permission allows (fix-delete-wrong-policy.json): a CNAME or TXT
            // under an underscore name. Anything else is the owner's to delete.
            let deletable = matches!(s.rtype, RecordType::CNAME | RecordType::TXT)
                && normalize_name(&s.name).starts_with('_');
            match delete(s).filter(|_| deletable && !s.routed) {
                Some(c) => changes.push(c),
                None => {
                    return Err((
                        format!(
                            "{} ({}) carries this certificate's token but is not a CNAME or TXT under an underscore name, or is an alias: delete it by hand",
                            s.name, s.rtype
                        ),
                        None,
                    ));
                }
            }
        }
    }
    let already = at_name.iter().any(|s| {
        s.rtype == RecordType::CNAME && s.values.len() == 1 && value_matches(&s.values[0], value)
    });
    if !already {
        changes.push(Change {
            action: Action::Upsert,
            name: name.clone(),
            rtype: "CNAME".into(),
            ttl: TTL,
            values: vec![value.clone()],
        });
    }
    if changes.is_empty() && codes.contains(&Code::CnameAndTxtConflict) {
        return Err((
            format!(
                "{name} has a TXT beside its CNAME: delete the TXT, or fix with --delete-wrong"
            ),
            None,
        ));
    }
    Ok((live, changes))
}

/// The token labels of a validation record: `_<token>` of its name, `<token>` of its value.
fn tokens(name: &str, value: &str) -> (String, String) {
    let first = |s: &str| s.split('.').next().unwrap_or_default().to_ascii_lowercase();
    (first(name), first(value).trim_start_matches('_').to_owned())
}

/// True when a record set carries this certificate's own validation token in its name or a
/// value: the only records `--delete-wrong` may delete.
pub fn carries_token(s: &RecordSet, name: &str, value: &str) -> bool {
    let (name_token, value_token) = tokens(name, value);
    // A token is long and random; a short one would match too much.
    let long = |t: &str| t.trim_start_matches('_').len() >= 16;
    let set_name = s.name.to_ascii_lowercase();
    (long(&name_token) && set_name.split('.').any(|l| l == name_token))
        || (long(&value_token)
            && s.values.iter().any(|v| {
                v.to_ascii_lowercase()
                    .trim_matches('"')
                    .split('.')
                    .any(|l| l.trim_start_matches('_') == value_token)
            }))
}

fn delete(s: &RecordSet) -> Option<Change> {
    Some(Change {
        action: Action::Delete,
        name: normalize_name(&s.name),
        rtype: s.rtype.to_string(),
        ttl: s.ttl?,
        values: s.values.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "_3f1c2b0e8a7d4c3e9b216d0f4e8a7c11.shop.example.";
    const VALUE: &str = "_9c2d41e07b5a48f3a6e1d2c3b4a59687.abcdefghij.acm-validations.aws.";

    fn set(name: &str, rtype: RecordType, value: &str) -> RecordSet {
        RecordSet {
            name: name.into(),
            rtype,
            values: vec![value.into()],
            ttl: Some(300),
            routed: false,
        }
    }

    #[test]
    fn only_records_with_this_certificate_s_token_may_be_deleted() {
        let doubled = format!("{NAME}shop.example.");
        assert!(carries_token(
            &set(&doubled, RecordType::CNAME, VALUE),
            NAME,
            VALUE
        ));
        // The value's token, without its underscore as some providers keep it, or in a TXT.
        let bare = VALUE.trim_start_matches('_');
        assert!(carries_token(
            &set("_x.shop.example.", RecordType::CNAME, bare),
            NAME,
            VALUE
        ));
        assert!(carries_token(
            &set(NAME, RecordType::TXT, &format!("\"{VALUE}\"")),
            NAME,
            VALUE
        ));
        // Anything else is never touched: another token, a prefix of ours, an ordinary record.
        for other in [
            set(
                "_0000000000000000aaaaaaaaaaaaaaaa.shop.example.",
                RecordType::CNAME,
                "_1111111111111111bbbbbbbbbbbbbbbb.x.acm-validations.aws.",
            ),
            set("_3f1c2b0e8a7d4c3e.shop.example.", RecordType::TXT, "\"x\""),
            set("www.shop.example.", RecordType::CNAME, "shop.example."),
        ] {
            assert!(!carries_token(&other, NAME, VALUE), "{other:?}");
        }
        // A short token would match too much: none is ever taken for one.
        assert!(!carries_token(
            &set("_a.x.", RecordType::TXT, "\"_a\""),
            "_a.x.",
            "_a.y."
        ));
    }
}
