//! Whether every server and cache has caught up: authoritative servers that disagree, resolvers
//! that still hold an older answer, a Route 53 change not yet served.

use super::RecordContext;
use super::facts::{Placed, Seen};
use super::text::{finding, placed_line, record_line, zone_is_live};
use crate::finding::{Code, Finding};
use crate::names::value_matches;
use crate::time::words;

/// Some authoritative servers serve the record and others don't.
pub fn authoritative_inconsistent(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let definite: Vec<&(&str, Seen)> = f.auth_definite().collect();
    let has: Vec<&str> = definite
        .iter()
        .filter(|(_, s)| *s == Seen::Correct)
        .map(|(n, _)| *n)
        .collect();
    let lacks: Vec<String> = definite
        .iter()
        .filter(|(_, s)| *s != Seen::Correct)
        .map(|(n, s)| match s {
            Seen::Wrong(v) => format!("{n} (serves {v})"),
            _ => format!("{n} (no record)"),
        })
        .collect();
    if has.is_empty() || lacks.is_empty() {
        return None;
    }
    Some(
        finding(
            ctx,
            Code::AuthoritativeInconsistent,
            format!(
                "Only {} of {} authoritative servers serve the validation CNAME; ACM may ask one that does not.",
                has.len(),
                definite.len()
            ),
            format!(
                "Make every name server of the zone serve `{}`: check zone transfers (NOTIFY/AXFR) to {}, or add the record at each provider if the zone is served by more than one.",
                record_line(ctx),
                lacks.join(", ")
            ),
        )
        .with_evidence(has.iter().map(|s| format!("{s}: has it")))
        .with_evidence(lacks.iter().map(|s| format!("{s}: lacks it"))),
    )
}

/// Every authoritative server has it and a resolver does not yet (negative caching), or the live
/// Route 53 zone has it and its name servers do not serve it yet.
pub fn not_propagated(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let definite: Vec<&(&str, Seen)> = f.auth_definite().collect();
    if definite.is_empty() {
        return None;
    }
    if definite.iter().all(|(_, s)| matches!(s, Seen::Absent(_))) {
        return route53_not_served(ctx);
    }
    if definite.iter().any(|(_, s)| *s != Seen::Correct) {
        return None;
    }
    let behind: Vec<(&str, Option<u32>)> = f
        .recursive
        .iter()
        .filter_map(|(r, s)| match s {
            Seen::Absent(ttl) => Some((*r, *ttl)),
            Seen::Wrong(_) => Some((*r, None)),
            _ => None,
        })
        .collect();
    if behind.is_empty() {
        return None;
    }
    let ttl = behind.iter().filter_map(|(_, t)| *t).max().or(ctx
        .ev
        .live
        .authoritative
        .negative_ttl);
    let wait = match ttl {
        Some(t) => format!(
            "at most {} (the zone's negative-caching time)",
            words(i64::from(t))
        ),
        None => {
            "until the resolvers' cached answer expires (at most the old record's TTL)".to_owned()
        }
    };
    Some(
        finding(
            ctx,
            Code::RecordNotPropagated,
            format!(
                "Every authoritative server serves the CNAME, but {} still answer{} from an older cached copy.",
                behind.iter().map(|(r, _)| *r).collect::<Vec<_>>().join(", "),
                if behind.len() == 1 { "s" } else { "" }
            ),
            format!("Nothing to change: wait {wait}. ACM checks again by itself."),
        )
        .with_evidence(behind.iter().map(|(r, t)| match t {
            Some(t) => format!("{r}: cached negative answer, TTL {t} s"),
            None => format!("{r}: stale answer"),
        })),
    )
}

/// The live Route 53 zone holds the right CNAME, but none of its name servers serves it yet.
fn route53_not_served(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let auth = &ctx.ev.live.authoritative;
    let held: Vec<Placed> = f
        .r53_cnames(false)
        .into_iter()
        .filter(|p| {
            zone_is_live(p.zone, auth) && p.set.values.iter().any(|v| value_matches(v, f.value))
        })
        .collect();
    let first = held.first()?;
    Some(
        finding(
            ctx,
            Code::RecordNotPropagated,
            format!(
                "Route 53 zone {} holds the CNAME, but its name servers do not serve it yet.",
                first.zone.id
            ),
            "Wait a minute: Route 53 applies a change on all its name servers within 60 seconds (GetChange reports INSYNC). If this persists, the zone listed is not the one those name servers serve.".to_owned(),
        )
        .with_evidence(held.iter().map(placed_line))
        .with_evidence(f.auth.iter().map(|(s, _)| format!("{s}: no CNAME at {}", f.name))),
    )
}

/// A name server of the zone does not answer for it (REFUSED, or a referral) while others do.
pub fn lame_name_server(ctx: &RecordContext) -> Option<Finding> {
    let lame = ctx.facts.lame();
    if lame.is_empty() {
        return None;
    }
    let names: Vec<&str> = lame.iter().map(|(s, _)| *s).collect();
    Some(
        finding(
            ctx,
            Code::LameNameServer,
            format!(
                "{} {} named in the zone's NS records but {} not answer for it; resolvers that ask {} lose time or fail.",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" },
                if names.len() == 1 { "does" } else { "do" },
                if names.len() == 1 { "it" } else { "them" },
            ),
            format!(
                "Make {} serve the zone (add the zone there, or fix its transfers), or remove {} from the zone's NS records and from the delegation at the registrar.",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ),
        )
        .with_evidence(lame.iter().map(|(s, why)| format!("{s}: {why}"))),
    )
}
