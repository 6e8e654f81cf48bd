//! Facts derived once from a record's evidence, shared by the record checks (pure).

use crate::evidence::{
    Answer, Live, MAX_CHAIN, RecordEvidence, RecordSet, Route53Evidence, RrData, ServerAnswer, Zone,
};
use crate::names::{doubled_name, is_near_record, normalize_name, value_matches};
use hickory_proto::rr::RecordType;

/// A record set and the zone it is in.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    /// The zone.
    pub zone: &'a Zone,
    /// The record set.
    pub set: &'a RecordSet,
}

/// What one server said about the CNAME at the validation name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen<'a> {
    /// The right value.
    Correct,
    /// A CNAME with another value.
    Wrong(&'a str),
    /// NXDOMAIN or NODATA (with the negative TTL).
    Absent(Option<u32>),
    /// No usable answer.
    Failed(&'a str),
}

/// The derived facts.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    /// The validation name.
    pub name: &'a str,
    /// The value ACM wants.
    pub value: &'a str,
    /// Per authoritative server: what it serves at the name.
    pub auth: Vec<(&'a str, Seen<'a>)>,
    /// Per recursive resolver.
    pub recursive: Vec<(&'a str, Seen<'a>)>,
    /// TXT data at the validation name, per authoritative server.
    pub txt: Vec<(&'a str, String)>,
    /// CNAMEs served at the name with the apex appended: (server, value).
    pub doubled_live: Vec<(&'a str, String)>,
    /// CNAMEs served at the name without its leading underscore: (server, value).
    pub bare_live: Vec<(&'a str, String)>,
    /// Addresses served at the name itself (not from a wildcard): (server, address).
    pub address_live: Vec<(&'a str, String)>,
    /// Route 53 record sets at the validation name.
    pub r53_exact: Vec<Placed<'a>>,
    /// Route 53 record sets at the name with their zone's apex appended.
    pub r53_doubled: Vec<Placed<'a>>,
    /// Route 53 CNAMEs at near-miss names.
    pub r53_near: Vec<Placed<'a>>,
    /// Route 53 could not be listed.
    pub r53_unavailable: Option<&'a str>,
    /// CNAME targets a wildcard answers with for names that do not exist (from the probe).
    pub wildcard_targets: Vec<String>,
    /// Servers of the zone that were not asked, with why.
    pub not_asked: &'a [(String, String)],
    /// A validating resolver fails on the record while it answers with checking disabled.
    pub dnssec_broken: bool,
    /// The resolvers that do so.
    pub dnssec_failing: Vec<&'a str>,
}

impl<'a> Facts<'a> {
    /// Derives the facts.
    pub fn of(ev: &'a RecordEvidence) -> Self {
        let name = ev.target.record.name.as_str();
        let value = ev.target.record.value.as_str();
        let auth = &ev.live.authoritative;
        let mut wildcard_targets: Vec<String> = auth
            .wildcard_probe
            .iter()
            .flat_map(|a| a.answer.all_of(RecordType::CNAME))
            .map(|r| r.data.text())
            .collect();
        wildcard_targets.sort();
        wildcard_targets.dedup();
        let wildcard = wildcard_targets.clone();
        let wildcard_addresses: Vec<String> = auth
            .wildcard_probe
            .iter()
            .flat_map(|a| a.answer.all_of(RecordType::A))
            .map(|r| r.data.text())
            .collect();
        let chains = &ev.live.chains;
        let seen = |answers: &'a [ServerAnswer]| -> Vec<(&'a str, Seen<'a>)> {
            answers
                .iter()
                .map(|a| {
                    let s = match seen_cname(&a.answer, name, value, &wildcard) {
                        // Another name that leads to the value through a short chain is as good.
                        Seen::Wrong(t) if chain_reaches(chains, t, value).is_some() => {
                            Seen::Correct
                        }
                        s => s,
                    };
                    (a.server.as_str(), s)
                })
                .collect()
        };
        let live_cnames = |answers: &'a [ServerAnswer]| -> Vec<(&'a str, String)> {
            answers
                .iter()
                .flat_map(|a| {
                    a.answer
                        .all_of(RecordType::CNAME)
                        .map(|r| r.data.text())
                        .filter(|t| !wildcard.contains(t))
                        .map(|t| (a.server.as_str(), t))
                })
                .collect()
        };
        let mut facts = Facts {
            name,
            value,
            auth: seen(&auth.cname),
            recursive: seen(&ev.live.recursive),
            txt: served(&auth.txt, name, RecordType::TXT),
            doubled_live: live_cnames(&auth.doubled_cname),
            not_asked: &auth.not_asked,
            dnssec_broken: dnssec_broken(&ev.live),
            dnssec_failing: dnssec_failing(&ev.live),
            bare_live: live_cnames(&auth.bare_cname),
            address_live: served(&auth.address, name, RecordType::A)
                .into_iter()
                .filter(|(_, ip)| !wildcard_addresses.contains(ip))
                .collect(),
            wildcard_targets,
            ..Facts::default()
        };
        match &ev.route53 {
            Route53Evidence::Unavailable { reason } => facts.r53_unavailable = Some(reason),
            Route53Evidence::Listed { zones } => {
                for zr in zones {
                    let doubled = doubled_name(name, &zr.zone.name);
                    for set in &zr.records {
                        let placed = Placed {
                            zone: &zr.zone,
                            set,
                        };
                        let n = normalize_name(&set.name);
                        if n == name {
                            facts.r53_exact.push(placed);
                        } else if n == doubled {
                            facts.r53_doubled.push(placed);
                        } else if set.rtype == RecordType::CNAME
                            && is_near_record(&set.name, &set.values, name, value)
                        {
                            facts.r53_near.push(placed);
                        }
                    }
                }
            }
        }
        facts
    }

    /// Authoritative servers that gave a definite answer.
    pub fn auth_definite(&self) -> impl Iterator<Item = &(&'a str, Seen<'a>)> {
        self.auth
            .iter()
            .filter(|(_, s)| !matches!(s, Seen::Failed(_)))
    }

    /// What the zone itself says: the authoritative answers when any was definite (resolvers may
    /// hold stale copies for a TTL), else the resolvers'.
    pub fn zone_view(&self) -> &[(&'a str, Seen<'a>)] {
        if self.auth_definite().next().is_some() {
            &self.auth
        } else {
            &self.recursive
        }
    }

    /// True when the zone serves the right CNAME (on at least one server).
    pub fn published_somewhere(&self) -> bool {
        self.zone_view().iter().any(|(_, s)| *s == Seen::Correct)
    }

    /// True when the zone serves any CNAME at the name (right or wrong value).
    pub fn cname_live(&self) -> bool {
        self.zone_view()
            .iter()
            .any(|(_, s)| matches!(s, Seen::Correct | Seen::Wrong(_)))
    }

    /// Servers that failed to answer, with why. A lame authoritative server beside others that
    /// answered is not among them: `lame` names it.
    pub fn failures(&self) -> Vec<(&'a str, &'a str)> {
        let others_answer = self.auth_definite().next().is_some();
        // Resolvers that fail validation on a broken chain are explained by DNSSEC_BROKEN.
        self.auth
            .iter()
            .filter(|(_, s)| !(others_answer && is_lame(s)))
            .chain(
                self.recursive
                    .iter()
                    .filter(|(srv, _)| !self.dnssec_failing.contains(srv)),
            )
            .filter_map(|(srv, s)| match s {
                Seen::Failed(r) => Some((*srv, *r)),
                _ => None,
            })
            .collect()
    }

    /// Authoritative servers that do not answer for the zone (REFUSED, or a referral), while
    /// others of the zone do.
    pub fn lame(&self) -> Vec<(&'a str, &'a str)> {
        if self.auth_definite().next().is_none() {
            return Vec::new();
        }
        self.auth
            .iter()
            .filter_map(|(srv, s)| match s {
                Seen::Failed(r) if is_lame(s) => Some((*srv, *r)),
                _ => None,
            })
            .collect()
    }

    /// True when `v` (TXT or other data) looks like the validation value.
    pub fn looks_like_value(&self, v: &str) -> bool {
        let v = v.trim_matches('"');
        value_matches(v, self.value) || v.to_ascii_lowercase().contains("acm-validations.aws")
    }

    /// True when the validation value is published at the name as a TXT (live) or another type (Route 53).
    pub fn value_as_other_type(&self) -> bool {
        self.txt.iter().any(|(_, v)| self.looks_like_value(v))
            || self.r53_exact.iter().any(|p| {
                p.set.rtype != RecordType::CNAME
                    && p.set.values.iter().any(|v| self.looks_like_value(v))
            })
    }

    /// Route 53 CNAMEs at the exact name, split by zone kind.
    pub fn r53_cnames(&self, private: bool) -> Vec<Placed<'a>> {
        self.r53_exact
            .iter()
            .filter(|p| p.set.rtype == RecordType::CNAME && p.zone.private == private)
            .copied()
            .collect()
    }
}

/// The chain starting at `target`, when it reaches `value` within ACM's limit of chained CNAMEs
/// (the record at the validation name counts as the first).
pub fn chain_reaches<'c>(
    chains: &'c [Vec<String>],
    target: &str,
    value: &str,
) -> Option<&'c Vec<String>> {
    chains.iter().find(|c| {
        c.first().map(String::as_str) == Some(target)
            && c.iter()
                .position(|t| value_matches(t, value))
                .is_some_and(|k| k < MAX_CHAIN)
    })
}

/// The data of `rtype` at `name` each server served: (server, data).
fn served<'a>(
    answers: &'a [ServerAnswer],
    name: &str,
    rtype: RecordType,
) -> Vec<(&'a str, String)> {
    answers
        .iter()
        .flat_map(|a| {
            a.answer
                .values(name, rtype)
                .into_iter()
                .map(move |v| (a.server.as_str(), v))
        })
        .collect()
}

/// The resolvers that fail validation on the record and answer it with checking disabled: the
/// mark of a broken DNSSEC chain, resolver by resolver.
pub fn dnssec_failing(live: &Live) -> Vec<&str> {
    let Some(d) = &live.dnssec else {
        return Vec::new();
    };
    live.recursive
        .iter()
        .filter(|a| a.answer.is_validation_failure())
        .filter(|a| {
            d.unchecked
                .iter()
                .any(|u| u.server == a.server && u.answer.is_definite())
        })
        .map(|a| a.server.as_str())
        .collect()
}

/// True when some resolver fails validation on the record that it answers with checking disabled.
pub fn dnssec_broken(live: &Live) -> bool {
    !dnssec_failing(live).is_empty()
}

/// The reason a referral is reported with.
const LAME: &str = "not authoritative for the zone (lame delegation)";

/// True when a server refused, referred us elsewhere, or has no address at all: it does not serve
/// the zone it is named for.
fn is_lame(s: &Seen) -> bool {
    matches!(s, Seen::Failed(r) if *r == LAME || r.starts_with("REFUSED") || r.starts_with("no address"))
}

fn seen_cname<'a>(answer: &'a Answer, name: &str, value: &str, wildcard: &[String]) -> Seen<'a> {
    match answer {
        Answer::Records { .. } => {
            // A wildcard's answer for a name that does not exist is not a record at the name.
            let cnames: Vec<&'a str> = answer
                .records_of(name, RecordType::CNAME)
                .filter_map(|r| match &r.data {
                    RrData::Name(n) => Some(n.as_str()),
                    _ => None,
                })
                .filter(|d| value_matches(d, value) || !wildcard.iter().any(|w| w == d))
                .collect();
            match cnames.first() {
                None => Seen::Absent(None),
                Some(_) if cnames.iter().any(|c| value_matches(c, value)) => Seen::Correct,
                Some(c) => Seen::Wrong(c),
            }
        }
        Answer::NoData { negative_ttl, .. } | Answer::NxDomain { negative_ttl, .. } => {
            Seen::Absent(*negative_ttl)
        }
        Answer::Referral { .. } => Seen::Failed(LAME),
        Answer::Failed { reason, .. } => Seen::Failed(reason),
    }
}
