//! The verdicts over the whole record: lookups that failed, Route 53 unreadable, the record fine,
//! and the final rule for a record that is nowhere.

use super::RecordContext;
use super::facts::Seen;
use super::text::{consequence, finding, live_place, record_line};
use crate::evidence::CertificateStatus;
use crate::finding::{Code, Finding, Severity};
use crate::names::value_matches;

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

/// The final rule: no record at the validation name anywhere we can see. Applies when no other
/// check said anything about the record at warning or above (a record elsewhere, a wrong value, a
/// failed lookup, ...) and the authoritative servers answered that the name has no CNAME.
pub fn record_missing(ctx: &RecordContext, others: &[Finding]) -> Option<Finding> {
    let f = &ctx.facts;
    // Every authoritative server that serves the zone says the name has no CNAME: a resolver
    // that failed beside them does not make that verdict doubtful (it is said as well).
    let zone_says_absent = f.auth_definite().next().is_some()
        && f.failures()
            .iter()
            .all(|(srv, _)| !f.auth.iter().any(|(a, _)| a == srv))
        && f.auth_definite().all(|(_, s)| matches!(s, Seen::Absent(_)));
    // Warnings beside the verdict (Route 53 unreadable, a lame server) do not explain a record away.
    let explained = others.iter().any(|o| {
        o.severity() >= Severity::Warning
            && !matches!(o.code, Code::Route53Unavailable | Code::LameNameServer)
            && !(o.code == Code::DnsLookupFailed && zone_says_absent)
    });
    let answered = f
        .zone_view()
        .iter()
        .any(|(_, s)| matches!(s, Seen::Absent(_)));
    if explained || !answered {
        return None;
    }
    let mut evidence: Vec<String> = f
        .auth
        .iter()
        .filter(|(_, s)| matches!(s, Seen::Absent(_)))
        .map(|(s, _)| format!("{s}: no CNAME at {}", f.name))
        .collect();
    evidence.extend(not_asked_lines(ctx));
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
    // A lame server beside servers that serve the record does not spoil it (`LAME_NAME_SERVER`).
    let lame = f.lame();
    let answering: Vec<(&str, Seen)> = f
        .auth
        .iter()
        .filter(|(srv, _)| !lame.iter().any(|(l, _)| l == srv))
        .copied()
        .collect();
    let auth_ok =
        all_correct(&answering) || (f.auth.is_empty() && ctx.ev.live.authoritative.error.is_none());
    if !all_correct(&f.recursive) || !auth_ok || !f.txt.is_empty() {
        return None;
    }
    let what = match ctx.cert.status {
        CertificateStatus::Issued => "managed renewal can validate this domain.",
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
        .with_evidence(not_asked_lines(ctx))
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

/// Evidence lines for the zone's name servers that were not asked.
fn not_asked_lines(ctx: &RecordContext) -> Vec<String> {
    ctx.facts
        .not_asked
        .iter()
        .map(|(ns, why)| format!("{ns} was not asked: it {why}"))
        .collect()
}
