//! Checks over one validation record.

use super::RecordContext;
use super::facts::{Placed, Seen};
use super::similar::{diff, value_matches};
use crate::dns::live::doubled_name;
use crate::evidence::{Authoritative, RecordEvidence, Route53Evidence, Zone, normalize_name};
use crate::finding::{Code, Finding};

/// A finding about this record, with its domains and name filled in.
fn finding(ctx: &RecordContext, code: Code, summary: String, remedy: String) -> Finding {
    Finding::new(code, summary, remedy).about(&ctx.ev.target.domains, Some(ctx.facts.name))
}

/// What happens if this is not fixed, given the certificate's status.
fn consequence(ctx: &RecordContext) -> &'static str {
    match ctx.cert.status.as_str() {
        "ISSUED" => "managed renewal will fail",
        "VALIDATION_TIMED_OUT" => "this is why validation timed out",
        _ => "ACM cannot validate",
    }
}

/// The exact record to publish.
fn record_line(ctx: &RecordContext) -> String {
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
fn live_place(ev: &RecordEvidence) -> String {
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

fn short_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| n.trim_end_matches('.'))
        .collect::<Vec<_>>()
        .join(", ")
}

fn zone_label(z: &Zone) -> String {
    format!(
        "Route 53 {} hosted zone {} ({})",
        if z.private { "private" } else { "public" },
        z.id,
        z.name
    )
}

fn placed_line(p: &Placed) -> String {
    format!(
        "{}: {} {} {}",
        zone_label(p.zone),
        p.set.name,
        p.set.rtype,
        p.set.values.join(" ")
    )
}

/// The record exists only in a Route 53 private hosted zone, which ACM cannot see.
pub fn private_zone_only(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let private = f.r53_cnames(true);
    if private.is_empty() || !f.r53_cnames(false).is_empty() || f.cname_live() {
        return None;
    }
    Some(
        finding(
            ctx,
            Code::RecordInPrivateZoneOnly,
            format!(
                "The validation CNAME is only in a Route 53 private hosted zone; ACM checks public DNS, so {}.",
                consequence(ctx)
            ),
            format!(
                "Create `{}` {} (a private zone is visible only inside its VPCs). The private copy can stay.",
                record_line(ctx),
                live_place(ctx.ev)
            ),
        )
        .with_evidence(private.iter().map(placed_line)),
    )
}

/// The record is in a Route 53 public zone that the live DNS does not delegate to.
pub fn undelegated_zone(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let auth = &ctx.ev.live.authoritative;
    let apex = auth.apex.as_ref()?;
    if f.cname_live() {
        return None;
    }
    let stray: Vec<Placed> = f
        .r53_cnames(false)
        .into_iter()
        .filter(|p| !zone_is_live(p.zone, auth))
        .collect();
    let first = stray.first()?;
    let z = first.zone;
    if let Some(f) = delegation_changing(ctx, z, &stray) {
        return Some(f);
    }
    let hidden = z.name != *apex && crate::dns::live::is_within(apex, &z.name);
    let why = if hidden {
        format!(
            "{apex} is delegated to its own name servers ({}), so names below it are answered there, not from {}",
            short_list(&auth.name_servers),
            z.name
        )
    } else if z.name == *apex {
        format!(
            "the domain is delegated to {}, not to this zone's name servers {} (the registrar points elsewhere, or this is a duplicate zone)",
            short_list(&auth.name_servers),
            short_list(&z.name_servers)
        )
    } else {
        format!(
            "the live zone is {apex} (name servers {}); {} is not delegated from it (no NS records for it in its parent)",
            short_list(&auth.name_servers),
            z.name
        )
    };
    let fix_delegation = if hidden {
        format!("and delete the copy in {}", z.id)
    } else if z.name == *apex {
        format!(
            "or make {} the live zone by setting the domain's name servers at the registrar to {}",
            z.id,
            short_list(&z.name_servers)
        )
    } else {
        format!(
            "or delegate {} by adding NS records for it in {apex} with the values {}",
            z.name,
            short_list(&z.name_servers)
        )
    };
    Some(
        finding(
            ctx,
            Code::RecordInUndelegatedZone,
            format!(
                "The validation CNAME is in {} but {why}, so {}.",
                zone_label(z),
                consequence(ctx)
            ),
            format!(
                "Create `{}` {}, {fix_delegation}.",
                record_line(ctx),
                live_place(ctx.ev)
            ),
        )
        .with_evidence(stray.iter().map(placed_line))
        .with_evidence([format!(
            "Live NS of {apex}: {}",
            short_list(&auth.name_servers)
        )]),
    )
}

/// The parent zone already delegates to `z`, but resolvers still hold the old NS set: a change of DNS
/// provider that is propagating, not a mistake.
fn delegation_changing(ctx: &RecordContext, z: &Zone, stray: &[Placed]) -> Option<Finding> {
    let auth = &ctx.ev.live.authoritative;
    let to_zone = auth.apex.as_deref() == Some(z.name.as_str())
        && z.name_servers
            .iter()
            .any(|n| auth.parent_name_servers.contains(&normalize_name(n)));
    if !to_zone {
        return None;
    }
    let wait = auth
        .ns_ttl
        .map(|t| {
            format!(
                "at most {} (the NS records' TTL)",
                crate::report::duration(i64::from(t))
            )
        })
        .unwrap_or_else(|| "until resolvers' cached NS records expire".into());
    Some(
        finding(
            ctx,
            Code::RecordNotPropagated,
            format!(
                "The parent zone already delegates {} to {} ({}), which holds the CNAME, but resolvers still use the previous name servers ({}) from cache.",
                z.name,
                zone_label(z),
                short_list(&z.name_servers),
                short_list(&auth.name_servers)
            ),
            format!("Nothing to change: the delegation is being updated. Wait {wait}; keep the record at the previous provider too if the change must not delay validation."),
        )
        .with_evidence(stray.iter().map(placed_line))
        .with_evidence([
            format!("Parent zone delegates to: {}", short_list(&auth.parent_name_servers)),
            format!("Resolvers' NS set: {}", short_list(&auth.name_servers)),
        ]),
    )
}

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
        .map(|p| normalize_name(&p.set.name))
        .unwrap_or_else(|| bare.to_owned());
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
            p.set.rtype == "CNAME" && !p.set.values.iter().any(|v| value_matches(v, f.value))
        })
        .map(|p| placed_line(p))
        .collect();
    if wrong.is_empty() {
        return None;
    }
    wrong.sort();
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
                crate::dns::live::MAX_CHAIN
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
        vec!["TXT".into()]
    };
    for p in f
        .r53_exact
        .iter()
        .filter(|p| p.set.rtype != "CNAME" && p.set.values.iter().any(|v| looks_like_ours(v)))
    {
        evidence.push(placed_line(p));
        types.push(p.set.rtype.clone());
    }
    if evidence.is_empty() {
        return None;
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
            p.set.rtype == "TXT"
                && f.r53_exact
                    .iter()
                    .any(|q| q.set.rtype == "CNAME" && q.zone.id == p.zone.id)
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
            crate::report::duration(i64::from(t))
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

/// SERVFAIL, REFUSED, timeouts or broken answers made a verdict impossible.
pub fn lookup_failed(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let mut problems: Vec<String> = f
        .failures()
        .iter()
        .map(|(s, r)| format!("{s}: {r}"))
        .collect();
    if let Some(e) = &ctx.ev.live.authoritative.error {
        problems.insert(0, e.clone());
    }
    if problems.is_empty() {
        return None;
    }
    // Validating resolvers answer SERVFAIL while every authoritative server answers: the signature
    // of broken DNSSEC (expired signatures, a DS at the registrar that matches no DNSKEY).
    let resolvers_servfail = !f.recursive.is_empty()
        && f.recursive
            .iter()
            .all(|(_, s)| matches!(s, Seen::Failed(r) if r.starts_with("SERVFAIL")));
    let auth_fine = !f.auth.is_empty() && f.auth.iter().all(|(_, s)| !matches!(s, Seen::Failed(_)));
    let (summary, remedy) = if resolvers_servfail && auth_fine {
        (
            format!(
                "Every authoritative server answers for {}, but the recursive resolvers fail (SERVFAIL): DNSSEC validation is probably broken, and ACM's lookups fail the same way.",
                f.name
            ),
            "Check the zone's DNSSEC chain (for example with `delv` or DNSViz): re-sign the zone if signatures expired, or remove the DS record at the registrar if the zone is no longer signed.".to_owned(),
        )
    } else {
        (
            format!(
                "{} DNS lookup(s) for {} failed, so the public view is incomplete.",
                problems.len(),
                f.name
            ),
            "Check that every name server of the zone answers for it (a server that fails or is not authoritative also fails ACM's lookups); then run the check again.".to_owned(),
        )
    };
    Some(finding(ctx, Code::DnsLookupFailed, summary, remedy).with_evidence(problems))
}

/// No record at the validation name anywhere we can see (and every lookup answered).
pub fn record_missing(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let auth = &ctx.ev.live.authoritative;
    let explained = f.cname_live()
        || !f.r53_exact.is_empty()
        || !f.r53_doubled.is_empty()
        || !f.r53_near.is_empty()
        || !f.doubled_live.is_empty()
        || !f.bare_live.is_empty()
        || f.value_as_other_type();
    let failed = auth.error.is_some() || !f.failures().is_empty();
    let answered = f.auth.iter().any(|(_, s)| matches!(s, Seen::Absent(_)));
    if explained || failed || !answered {
        return None;
    }
    let mut evidence: Vec<String> = f
        .auth
        .iter()
        .map(|(s, _)| format!("{s}: no CNAME at {}", f.name))
        .collect();
    evidence.extend(f.txt.iter().map(|(s, v)| format!("{s} serves an unrelated TXT \"{v}\" at the name (delete it too: it would conflict with the CNAME)")));
    evidence.extend(f.wildcard_targets.iter().map(|w| {
        format!("a wildcard CNAME answers {w} for names that do not exist; it does not count as the validation record")
    }));
    Some(
        finding(
            ctx,
            Code::RecordMissing,
            format!(
                "There is no CNAME at {} in public DNS, so {}.",
                f.name,
                consequence(ctx)
            ),
            format!("Create `{}` {}.", record_line(ctx), live_place(ctx.ev)),
        )
        .with_evidence(evidence),
    )
}

/// Route 53 could not be listed, so zone-level causes were not looked for.
pub fn route53_unavailable(ctx: &RecordContext) -> Option<Finding> {
    let reason = ctx.facts.r53_unavailable?;
    Some(finding(
        ctx,
        Code::Route53Unavailable,
        format!("Route 53 could not be read ({reason}); private, duplicate or undelegated zones were not looked for."),
        "Allow route53:ListHostedZones, route53:GetHostedZone and route53:ListResourceRecordSets to this tool's role, or ignore this if the account hosts no zones.".to_owned(),
    ))
}

/// The CNAME resolves publicly with the right value everywhere we asked.
pub fn record_ok(ctx: &RecordContext) -> Option<Finding> {
    let f = &ctx.facts;
    let all_correct =
        |v: &[(&str, Seen)]| !v.is_empty() && v.iter().all(|(_, s)| *s == Seen::Correct);
    let auth_ok =
        all_correct(&f.auth) || (f.auth.is_empty() && ctx.ev.live.authoritative.error.is_none());
    if !all_correct(&f.recursive) || !auth_ok || !f.txt.is_empty() {
        return None;
    }
    let what = match ctx.cert.status.as_str() {
        "ISSUED" => "managed renewal can validate this domain.",
        _ => "ACM will see it on its next check.",
    };
    Some(
        finding(
            ctx,
            Code::RecordOk,
            format!("The validation CNAME resolves publicly with the right value; {what}"),
            "Nothing to do. Keep the record: ACM needs it for every renewal.".to_owned(),
        )
        .with_evidence([record_line(ctx)])
        .with_evidence(
            ctx.ev
                .live
                .chains
                .iter()
                .filter(|c| c.iter().any(|t| value_matches(t, f.value)))
                .map(|c| {
                    format!(
                        "reached through a CNAME chain: {} → {}",
                        f.name,
                        c.join(" → ")
                    )
                }),
        ),
    )
}
