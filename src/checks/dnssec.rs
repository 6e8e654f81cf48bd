//! DNSSEC: a validating resolver fails on the record that is there with checking disabled. Since
//! 15 March 2026 CAs must validate DNSSEC for domain validation and CAA (CA/B Forum SC-085v2), so
//! a bogus zone stops ACM for certain. The zone's DS, DNSKEY and signatures say why.

use super::RecordContext;
use super::text::{consequence, finding};
use crate::evidence::{Answer, Dnskey, Dnssec, Ds, RrData, Rrsig, ServerAnswer};
use crate::finding::{Code, Finding};
use crate::time::rfc3339;
use hickory_proto::rr::RecordType;

fn ds_of(answer: &Answer) -> Vec<&Ds> {
    answer
        .all_of(RecordType::DS)
        .filter_map(|r| match &r.data {
            RrData::Ds(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn keys_of(answers: &[ServerAnswer]) -> Vec<&Dnskey> {
    let mut keys: Vec<&Dnskey> = answers
        .iter()
        .flat_map(|a| a.answer.all_of(RecordType::DNSKEY))
        .filter_map(|r| match &r.data {
            RrData::Dnskey(k) => Some(k),
            _ => None,
        })
        .collect();
    keys.sort_by_key(|k| k.key_tag);
    keys.dedup();
    keys
}

fn signatures_of(answers: &[ServerAnswer], covering: RecordType) -> Vec<&Rrsig> {
    answers
        .iter()
        .flat_map(|a| a.answer.all_of(RecordType::RRSIG))
        .filter_map(|r| match &r.data {
            RrData::Rrsig(s) if s.type_covered == covering => Some(s),
            _ => None,
        })
        .collect()
}

fn tags<'t>(tags: impl Iterator<Item = &'t u16>) -> String {
    let mut v: Vec<String> = tags.map(u16::to_string).collect();
    v.sort();
    v.dedup();
    v.join(", ")
}

/// Why the chain breaks, and what to do: (why, remedy).
fn diagnose(d: &Dnssec, name: &str, now: i64) -> (String, String) {
    let apex = &d.apex;
    let ds = ds_of(&d.ds);
    let keys = keys_of(&d.dnskey);
    let sigs = signatures_of(&d.signed, RecordType::CNAME);
    // Said only when a server answered that there is no DNSKEY: failed lookups prove nothing.
    let no_keys = keys.is_empty() && d.dnskey.iter().any(|a| a.answer.is_negative());
    if !ds.is_empty() && no_keys {
        return (
            format!(
                "the parent zone still publishes a DS record for {apex}, but {apex} serves no DNSKEY: it is no longer signed"
            ),
            format!(
                "Remove the DS record for {apex} at the registrar (or the parent zone's operator), or sign {apex} again with the key that DS names (key tag {}).",
                tags(ds.iter().map(|d| &d.key_tag))
            ),
        );
    }
    if let Some(latest) = sigs.iter().map(|s| s.expiration).max()
        && latest < now
    {
        return (
            format!("the signatures on {name} expired on {}", rfc3339(latest)),
            format!(
                "Sign {apex} again, and check why its signer stopped re-signing it (signatures must be renewed before they expire)."
            ),
        );
    }
    if let Some(earliest) = sigs.iter().map(|s| s.inception).min()
        && earliest > now
    {
        return (
            format!(
                "the signatures on {name} are not valid before {}",
                rfc3339(earliest)
            ),
            format!("Check the clock of the system that signs {apex}, then sign it again."),
        );
    }
    if !ds.is_empty()
        && !ds
            .iter()
            .any(|d| keys.iter().any(|k| k.key_tag == d.key_tag))
    {
        return (
            format!(
                "the DS at the parent names key tag {}, but {apex} serves DNSKEY key tag {}: a key was changed without updating the registrar",
                tags(ds.iter().map(|d| &d.key_tag)),
                tags(keys.iter().map(|k| &k.key_tag))
            ),
            format!(
                "Publish the DS of {apex}'s current key-signing key at the registrar (and remove the old one), or restore the key the DS names."
            ),
        );
    }
    let record_served = d
        .signed
        .iter()
        .any(|a| !a.answer.values(name, RecordType::CNAME).is_empty());
    if !keys.is_empty() && sigs.is_empty() && record_served {
        return (
            format!("{apex} publishes DNSKEY records but {name} carries no signature"),
            format!(
                "Sign {apex} completely (every record, including {name}), or remove the DS at the registrar to make the zone unsigned."
            ),
        );
    }
    (
        format!("the DNSSEC chain of {apex} does not validate"),
        format!(
            "Check {apex}'s chain of trust (for example with `delv` or DNSViz) and fix what it reports: the DS at the registrar, the zone's keys, its signatures."
        ),
    )
}

/// A validating resolver fails on the record that answers with checking disabled: DNSSEC is broken.
pub fn dnssec_broken(ctx: &RecordContext) -> Option<Finding> {
    if !ctx.facts.dnssec_broken {
        return None;
    }
    let d = ctx.ev.live.dnssec.as_ref()?;
    let name = ctx.facts.name;
    let (why, remedy) = diagnose(d, name, ctx.now);
    let mut evidence: Vec<String> = ctx
        .ev
        .live
        .recursive
        .iter()
        .filter(|a| matches!(a.answer, Answer::Failed { .. }))
        .map(|a| format!("{} (validating): {}", a.server, a.answer.describe()))
        .collect();
    evidence.extend(
        d.unchecked
            .iter()
            .filter(|a| a.answer.is_definite())
            .map(|a| {
                format!(
                    "{} with checking disabled: {}",
                    a.server,
                    a.answer.describe()
                )
            }),
    );
    let ds = ds_of(&d.ds);
    evidence.push(if !d.ds.is_definite() {
        format!(
            "The parent's DS for {} could not be read: {}",
            d.apex,
            d.ds.describe()
        )
    } else if ds.is_empty() {
        format!("The parent publishes no DS for {}", d.apex)
    } else {
        format!(
            "The parent publishes DS for {}: key tag {}",
            d.apex,
            tags(ds.iter().map(|d| &d.key_tag))
        )
    });
    let keys = keys_of(&d.dnskey);
    evidence.push(
        if keys.is_empty() && !d.dnskey.iter().any(|a| a.answer.is_negative()) {
            format!("{}'s DNSKEY could not be read from its servers", d.apex)
        } else if keys.is_empty() {
            format!("{} serves no DNSKEY", d.apex)
        } else {
            format!(
                "{} serves DNSKEY key tag {}",
                d.apex,
                tags(keys.iter().map(|k| &k.key_tag))
            )
        },
    );
    evidence.extend(signatures_of(&d.signed, RecordType::CNAME).iter().map(|s| {
        format!(
            "RRSIG on {name} by key tag {}: valid {} to {}",
            s.key_tag,
            rfc3339(s.inception),
            rfc3339(s.expiration)
        )
    }));
    evidence.sort();
    evidence.dedup();
    Some(
        finding(
            ctx,
            Code::DnssecBroken,
            format!(
                "DNSSEC validation fails for {name}: {why}. CAs must validate DNSSEC (since 15 March 2026), so {}.",
                consequence(ctx)
            ),
            remedy,
        )
        .with_evidence(evidence),
    )
}
