//! Whether the name holds the right data: the right CNAME target, a CNAME and not another type,
//! and nothing beside the CNAME.

use super::RecordContext;
use super::facts::Seen;
use super::text::{consequence, finding, live_place, placed_line, record_line, zone_is_live};
use crate::evidence::MAX_CHAIN;
use crate::finding::{Code, Finding};
use crate::names::{diff, normalize_name, value_matches};
use hickory_proto::rr::RecordType;

/// A CNAME at the right name points at the wrong target.
pub fn value_mismatch(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let mut wrong: Vec<(&str, &str)> = f
        .zone_view()
        .iter()
        .filter_map(|(s, seen)| match seen {
            Seen::Wrong(v) => Some((*s, *v)),
            _ => None,
        })
        .collect();
    let r53_wrong: Vec<String> = f
        .r53_exact
        .iter()
        .filter(|p| {
            p.set.rtype == RecordType::CNAME
                && !p.set.values.iter().any(|v| value_matches(v, f.value))
        })
        .map(|p| placed_line(p))
        .collect();
    if wrong.is_empty() {
        return None;
    }
    wrong.sort_unstable();
    let found = normalize_name(wrong[0].1);
    Some(
        finding(
            ctx,
            Code::ValueMismatch,
            format!("The CNAME at {} points to {found}, not to the value ACM gave, so {}.", f.name, consequence(ctx)),
            format!(
                "Edit the CNAME {} so its value is exactly {} (copy it from the ACM console; case and the trailing dot don't matter).",
                live_place(ctx.ev),
                f.value
            ),
        )
        .with_evidence([
            format!("expected: {}", f.value),
            format!("found:    {found}"),
            format!("diff:     {}   ([+x] extra, [-x] missing)", diff(f.value, &found)),
        ])
        .with_evidence(wrong.iter().map(|(s, v)| format!("{s} serves {} CNAME {v}", f.name)))
        .with_evidence(ctx.ev.live.chains.iter().filter(|c| c.len() > 1).map(|c| {
            format!(
                "CNAME chain: {} → {} ({} CNAMEs; ACM follows at most {})",
                f.name,
                c.join(" → "),
                c.len(),
                MAX_CHAIN
            )
        }))
        .with_evidence(r53_wrong),
    )
}

/// The value is published at the right name as another type (TXT, ...) and there is no CNAME.
pub fn wrong_record_type(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let auth = &ctx.ev.live.authoritative;
    if f.cname_live()
        || f.r53_cnames(false)
            .iter()
            .any(|p| zone_is_live(p.zone, auth))
    {
        return None;
    }
    let looks_like_ours = |v: &str| f.looks_like_value(v);
    let mut evidence: Vec<String> = f
        .txt
        .iter()
        .filter(|(_, v)| looks_like_ours(v))
        .map(|(s, v)| format!("{s} serves {} TXT \"{v}\"", f.name))
        .collect();
    let mut types: Vec<String> = if evidence.is_empty() {
        Vec::new()
    } else {
        vec![RecordType::TXT.to_string()]
    };
    for p in f.r53_exact.iter().filter(|p| {
        p.set.rtype != RecordType::CNAME && p.set.values.iter().any(|v| looks_like_ours(v))
    }) {
        evidence.push(placed_line(p));
        types.push(p.set.rtype.to_string());
    }
    if evidence.is_empty() {
        return proxied(ctx);
    }
    types.sort();
    types.dedup();
    Some(
        finding(
            ctx,
            Code::WrongRecordType,
            format!(
                "The validation value is published at {} as {} instead of a CNAME, so {}.",
                f.name,
                types.join("/"),
                consequence(ctx)
            ),
            format!(
                "Delete the {} record at {} and create `{}` {}.",
                types.join("/"),
                f.name,
                record_line(ctx),
                live_place(ctx.ev)
            ),
        )
        .with_evidence(evidence),
    )
}

/// The name answers addresses and no CNAME: a proxied or flattened record (a CDN's proxy left on).
fn proxied(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    if f.address_live.is_empty() {
        return None;
    }
    Some(
        finding(
            ctx,
            Code::WrongRecordType,
            format!(
                "{} answers with addresses, not the validation CNAME: the DNS provider proxies or flattens the record, so {}.",
                f.name,
                consequence(ctx)
            ),
            format!(
                "Make the record DNS-only (turn the provider's proxy or CNAME flattening off for it) so the CNAME is served as it is: `{}` {}.",
                record_line(ctx),
                live_place(ctx.ev)
            ),
        )
        .with_evidence(
            f.address_live
                .iter()
                .map(|(s, ip)| format!("{s} serves {} A {ip}", f.name)),
        ),
    )
}

/// A TXT sits at the same name as the CNAME (RFC 1034: a CNAME excludes other data).
pub fn cname_and_txt_conflict(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    // Both in the live answers, or both in one Route 53 zone: never a TXT here and a CNAME there.
    let live_cname = f
        .auth
        .iter()
        .any(|(_, s)| matches!(s, Seen::Correct | Seen::Wrong(_)));
    let live_conflict = live_cname && !f.txt.is_empty();
    let txt_r53: Vec<String> = f
        .r53_exact
        .iter()
        .filter(|p| {
            p.set.rtype == RecordType::TXT
                && f.r53_exact
                    .iter()
                    .any(|q| q.set.rtype == RecordType::CNAME && q.zone.id == p.zone.id)
        })
        .map(placed_line)
        .collect();
    if !live_conflict && txt_r53.is_empty() {
        return None;
    }
    let txt_live: Vec<(&str, String)> = if live_conflict {
        f.txt.clone()
    } else {
        Vec::new()
    };
    Some(
        finding(
            ctx,
            Code::CnameAndTxtConflict,
            format!(
                "A TXT record and the validation CNAME share the name {}; a CNAME must be alone at its name (RFC 1034), and resolvers may not return it, so {}.",
                f.name,
                consequence(ctx)
            ),
            format!("Delete the TXT record at {} {}; keep the CNAME `{}`.", f.name, live_place(ctx.ev), record_line(ctx)),
        )
        .with_evidence(txt_live.iter().map(|(s, v)| format!("{s} serves {} TXT \"{v}\"", f.name)))
        .with_evidence(txt_r53),
    )
}
