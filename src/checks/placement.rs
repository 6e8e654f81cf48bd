//! Where the record is: a private zone only, a Route 53 zone the domain is not delegated to, or a
//! zone the delegation is moving to.

use super::RecordContext;
use super::facts::Placed;
use super::text::{
    consequence, finding, live_place, placed_line, record_line, short_list, zone_is_live,
    zone_label,
};
use crate::evidence::Zone;
use crate::finding::{Code, Finding};
use crate::names::{is_within, normalize_name};
use crate::time::words;

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
    let hidden = z.name != *apex && is_within(apex, &z.name);
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
    let wait = auth.ns_ttl.map_or_else(
        || "until resolvers' cached NS records expire".into(),
        |t| format!("at most {} (the NS records' TTL)", words(i64::from(t))),
    );
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
