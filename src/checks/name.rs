//! Whether the record is at the right name: not doubled by the provider, not a near miss.

use super::RecordContext;
use super::text::{consequence, finding, live_place, placed_line, record_line};
use crate::finding::{Code, Finding};
use crate::names::{diff, doubled_name, normalize_name};

/// The record exists at the name with the zone apex appended.
pub fn doubled_domain(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    if f.published_somewhere() || (f.doubled_live.is_empty() && f.r53_doubled.is_empty()) {
        return None;
    }
    let apex = ctx
        .ev
        .live
        .authoritative
        .apex
        .clone()
        .or_else(|| f.r53_doubled.first().map(|p| p.zone.name.clone()));
    let doubled = apex
        .as_deref()
        .map(|a| doubled_name(f.name, a))
        .unwrap_or_default();
    let relative = apex
        .as_deref()
        .and_then(|a| f.name.strip_suffix(&format!(".{a}")))
        .unwrap_or(f.name)
        .to_owned();
    Some(
        finding(
            ctx,
            Code::DoubledDomain,
            format!(
                "The record was published at {doubled}: the DNS provider appended the domain to the name, so {}.",
                consequence(ctx)
            ),
            format!(
                "Delete the record at {doubled} and create it again {} with the name `{relative}` only (the provider adds `.{}` itself), or with the full name ending in a dot if the provider takes absolute names: `{}`.",
                live_place(ctx.ev),
                apex.as_deref().unwrap_or("").trim_end_matches('.'),
                record_line(ctx)
            ),
        )
        .with_evidence(f.doubled_live.iter().map(|(s, v)| format!("{s} serves {doubled} CNAME {v}")))
        .with_evidence(f.r53_doubled.iter().map(placed_line)),
    )
}

/// The record sits at a near-miss name (extra or missing characters, stripped underscore).
pub fn name_mismatch(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    if f.published_somewhere() || (f.r53_near.is_empty() && f.bare_live.is_empty()) {
        return None;
    }
    let mut evidence: Vec<String> = f
        .r53_near
        .iter()
        .map(|p| {
            format!(
                "{} — name differs: {}",
                placed_line(p),
                diff(f.name, &normalize_name(&p.set.name))
            )
        })
        .collect();
    let bare = f.name.trim_start_matches('_');
    evidence.extend(
        f.bare_live.iter().map(|(s, v)| {
            format!("{s} serves {bare} CNAME {v} — the leading underscore is missing")
        }),
    );
    let wrong = f
        .r53_near
        .first()
        .map_or_else(|| bare.to_owned(), |p| normalize_name(&p.set.name));
    Some(
        finding(
            ctx,
            Code::NameMismatch,
            format!(
                "A validation CNAME exists at {wrong}, which is not the name ACM checks ({}), so {}.",
                f.name,
                consequence(ctx)
            ),
            format!("Delete the record at {wrong} and create `{}` {}.", record_line(ctx), live_place(ctx.ev)),
        )
        .with_evidence(evidence),
    )
}
