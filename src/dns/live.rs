//! The public view of a validation record: recursive resolvers, then each authoritative server.

use super::Session;
use super::wire::Flags;
use crate::evidence::{Answer, Authoritative, Dnssec, Live, MAX_CHAIN, RrData, ServerAnswer};
use crate::names::{bare_name, doubled_name, is_within, normalize_name, parent, value_matches};
use futures::future::join_all;
use hickory_proto::rr::RecordType;
use std::net::{IpAddr, SocketAddr};

/// At most this many authoritative addresses are asked (a hostile NS set cannot fan us out).
const MAX_AUTH_ADDRESSES: usize = 16;
/// At most this many NS names are resolved (13 fit a classic referral).
const MAX_NS_NAMES: usize = 13;
/// At most this many labels are walked up looking for the zone apex.
const MAX_WALK: usize = 12;

/// Gathers the recursive and authoritative views of `name` (a validation record name).
pub async fn gather(dns: &Session, name: &str, value: &str) -> Live {
    let (recursive, (authoritative, servers)) = tokio::join!(
        dns.ask_resolvers(name, RecordType::CNAME),
        authoritative(dns, name, value)
    );
    // Other targets at the name: follow each (at most two) to see whether it leads to the value.
    let mut starts: Vec<String> = authoritative
        .cname
        .iter()
        .chain(recursive.iter())
        .flat_map(|a| a.answer.values(name, RecordType::CNAME))
        .filter(|t| !value_matches(t, value))
        .collect();
    starts.sort();
    starts.dedup();
    starts.truncate(2);
    // A validating resolver that fails on the record: look at the zone's DNSSEC chain.
    let servfail = recursive.iter().any(|a| a.answer.is_validation_failure());
    let (chains, dnssec) =
        tokio::join!(join_all(starts.into_iter().map(|t| chain(dns, t))), async {
            match (&authoritative.apex, servfail) {
                (Some(apex), true) => Some(dnssec(dns, name, apex, &servers).await),
                _ => None,
            }
        });
    Live {
        recursive,
        authoritative,
        chains,
        dnssec,
    }
}

/// The record asked again with checking disabled, what the parent publishes (DS) and what the
/// zone serves (DNSKEY, the record's signatures).
async fn dnssec(dns: &Session, name: &str, apex: &str, servers: &[(String, SocketAddr)]) -> Dnssec {
    let per_server = |qname: String, rtype: RecordType| {
        join_all(servers.iter().map(move |(label, addr)| {
            let qname = qname.clone();
            async move {
                ServerAnswer {
                    server: label.clone(),
                    answer: dns
                        .ask(*addr, &qname, rtype, Flags::AuthoritativeDnssec)
                        .await,
                }
            }
        }))
    };
    let unchecked = join_all(dns.config().resolvers.iter().map(|r| async move {
        ServerAnswer {
            server: r.to_string(),
            answer: dns
                .ask(*r, name, RecordType::CNAME, Flags::RecursiveUnchecked)
                .await,
        }
    }));
    let (unchecked, ds, dnskey, signed) = tokio::join!(
        unchecked,
        dns.resolve_with(apex, RecordType::DS, Flags::RecursiveUnchecked),
        per_server(apex.to_owned(), RecordType::DNSKEY),
        per_server(name.to_owned(), RecordType::CNAME)
    );
    Dnssec {
        apex: apex.to_owned(),
        unchecked,
        ds,
        dnskey,
        signed,
    }
}

/// `start` and the CNAME targets that follow it, one question at a time (validating, like ACM).
async fn chain(dns: &Session, start: String) -> Vec<String> {
    let mut out = vec![start];
    while out.len() <= MAX_CHAIN {
        let current = out[out.len() - 1].clone();
        let next = dns
            .resolve_with(&current, RecordType::CNAME, Flags::Recursive)
            .await
            .values(&current, RecordType::CNAME);
        match next.into_iter().next() {
            Some(n) if !out.contains(&n) => out.push(n),
            _ => break,
        }
    }
    out
}

/// Finds the zone holding `name`, its live NS set and their addresses, then asks each address
/// directly: `CNAME` and `TXT` at the name always; the names a mistake would have produced, the
/// addresses at the name and the wildcard probe only when the CNAME is absent or wrong somewhere.
async fn authoritative(
    dns: &Session,
    name: &str,
    value: &str,
) -> (Authoritative, Vec<(String, SocketAddr)>) {
    let mut auth = Authoritative::default();
    // The zone of the name is the zone of its parent (the certificate's domain): a zone apex
    // cannot hold a CNAME. Starting there shares the walk with every record of the domain.
    let start = parent(name).unwrap_or_else(|| name.to_owned());
    let (apex, negative_ttl) = match find_apex(dns, &start).await {
        Ok(found) => found,
        Err(e) => {
            auth.error = Some(e);
            return (auth, Vec::new());
        }
    };
    auth.apex = Some(apex.clone());
    auth.negative_ttl = negative_ttl;
    let ns = dns.resolve(&apex, RecordType::NS).await;
    let mut names = ns.values(&apex, RecordType::NS);
    names.sort();
    names.dedup();
    if names.is_empty() {
        auth.error = Some(format!("no NS records for {apex}: {}", ns.describe()));
        return (auth, Vec::new());
    }
    auth.name_servers = names.clone();
    auth.ns_ttl = ns.all_of(RecordType::NS).map(|r| r.ttl).min();
    auth.parent_name_servers = parent_delegation(dns, &apex).await.unwrap_or_default();
    // A hostile NS set must not fan us out: resolve at most this many names.
    names.truncate(MAX_NS_NAMES);
    let Addresses {
        servers,
        not_asked,
        nowhere,
    } = addresses(dns, &names).await;
    if servers.is_empty() && (not_asked.is_empty() || !nowhere.is_empty()) {
        auth.error = Some(format!(
            "no usable address for any of {}: {}",
            names.join(", "),
            not_asked
                .iter()
                .map(|(n, why)| format!("{n} {why}"))
                .chain(
                    nowhere
                        .iter()
                        .map(|a| format!("{}: {}", a.server, a.answer.describe()))
                )
                .collect::<Vec<_>>()
                .join("; ")
        ));
        return (auth, Vec::new());
    }
    // Every server IPv6-only, on a host without IPv6: nothing to ask; the resolvers' view stands.
    auth.not_asked = not_asked;
    let ask_all = |qname: String, rtype: RecordType| {
        let servers = servers.clone();
        async move {
            join_all(servers.into_iter().map(|(label, addr)| {
                let qname = qname.clone();
                async move {
                    ServerAnswer {
                        server: label,
                        answer: dns.ask(addr, &qname, rtype, Flags::Authoritative).await,
                    }
                }
            }))
            .await
        }
    };
    let (cname, txt) = tokio::join!(
        ask_all(name.to_owned(), RecordType::CNAME),
        ask_all(name.to_owned(), RecordType::TXT)
    );
    let published_everywhere = cname.iter().all(|a| {
        !a.answer.is_definite()
            || a.answer
                .values(name, RecordType::CNAME)
                .iter()
                .any(|v| value_matches(v, value))
    });
    auth.cname = cname;
    auth.cname.extend(nowhere);
    auth.txt = txt;
    if published_everywhere {
        return (auth, servers);
    }
    let doubled = doubled_name(name, &apex);
    let bare = bare_name(name);
    // One probe name per parent and run: records side by side share it.
    let probe = probe_name(name, dns.nonce());
    let (doubled_cname, bare_cname, address, wildcard_probe) = tokio::join!(
        ask_all(doubled, RecordType::CNAME),
        async {
            match bare {
                Some(b) => ask_all(b, RecordType::CNAME).await,
                None => Vec::new(),
            }
        },
        ask_all(name.to_owned(), RecordType::A),
        // Asked for `A`: a wildcard CNAME answers it with the CNAME, a wildcard A with addresses.
        ask_all(probe, RecordType::A)
    );
    auth.doubled_cname = doubled_cname;
    auth.bare_cname = bare_cname;
    auth.address = address;
    auth.wildcard_probe = wildcard_probe;
    (auth, servers)
}

/// The NS set the parent zone delegates `apex` to, asked of the parent's own servers (no recursion,
/// no cache): what resolvers will use once their cached NS set expires.
async fn parent_delegation(dns: &Session, apex: &str) -> Option<Vec<String>> {
    let parent_name = parent(apex).filter(|p| p != ".")?;
    let (parent_apex, _) = find_apex(dns, &parent_name).await.ok()?;
    let mut names = dns
        .resolve(&parent_apex, RecordType::NS)
        .await
        .values(&parent_apex, RecordType::NS);
    names.truncate(3);
    let servers = addresses(dns, &names).await.servers;
    for (_, addr) in servers {
        let answer = dns
            .ask(addr, apex, RecordType::NS, Flags::Authoritative)
            .await;
        // A server for both zones answers from the child: no separate delegation to compare.
        let Answer::Referral {
            name_servers: mut ns,
        } = answer
        else {
            continue;
        };
        ns.sort();
        ns.dedup();
        return Some(ns);
    }
    None
}

/// Walks up from `name` to the apex of the zone that holds it, using SOA answers from the resolvers.
///
/// A name with a CNAME is never an apex, so a CNAME answer means "go up"; a negative answer names the
/// apex in its SOA. Returns the apex and the zone's negative-caching TTL.
pub async fn find_apex(dns: &Session, name: &str) -> Result<(String, Option<u32>), String> {
    let mut candidate = normalize_name(name);
    for _ in 0..MAX_WALK {
        let answer = dns.resolve(&candidate, RecordType::SOA).await;
        match step(&candidate, &answer) {
            Step::Apex(apex, ttl) => return Ok((apex, ttl)),
            Step::Up => match parent(&candidate) {
                Some(p) => candidate = p,
                None => break,
            },
            Step::Fail(e) => return Err(format!("finding the zone of {name}: {e}")),
        }
    }
    Err(format!("no zone apex found above {name}"))
}

/// One step of the apex walk, decided from one answer (pure).
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Apex(String, Option<u32>),
    Up,
    Fail(String),
}

fn step(candidate: &str, answer: &Answer) -> Step {
    match answer {
        Answer::Records { .. } => {
            let soa = answer
                .records_of(candidate, RecordType::SOA)
                .find_map(|r| match &r.data {
                    RrData::Soa(soa) => Some(soa.minimum.min(r.ttl)),
                    _ => None,
                });
            match soa {
                Some(negative_ttl) => Step::Apex(candidate.to_owned(), Some(negative_ttl)),
                None => Step::Up,
            }
        }
        Answer::NoData {
            negative_ttl,
            soa_owner: Some(owner),
        }
        | Answer::NxDomain {
            negative_ttl,
            soa_owner: Some(owner),
        } if owner != "." && is_within(candidate, owner) => {
            Step::Apex(owner.clone(), *negative_ttl)
        }
        Answer::NoData { .. } | Answer::NxDomain { .. } | Answer::Referral { .. } => Step::Up,
        Answer::Failed { reason, .. } => Step::Fail(format!("{candidate} SOA: {reason}")),
    }
}

/// The reason given for a name server whose name has no address.
pub const NO_ADDRESS: &str = "no address for this name server";

/// The name servers of a zone, resolved.
struct Addresses {
    /// Where to ask: `name (ip)` and the socket address.
    servers: Vec<(String, SocketAddr)>,
    /// Not asked, with why (IPv6 only, on a host without IPv6).
    not_asked: Vec<(String, String)>,
    /// Names with no address at all, as the failures they are.
    nowhere: Vec<ServerAnswer>,
}

/// The addresses of the name servers, labelled `name (ip)`, at the configured authoritative port;
/// and the names not asked, with why (no address, or only IPv6 addresses on a host without IPv6).
async fn addresses(dns: &Session, names: &[String]) -> Addresses {
    let answers = join_all(names.iter().map(|n| async move {
        let (v4, v6) = tokio::join!(
            dns.resolve(n, RecordType::A),
            dns.resolve(n, RecordType::AAAA)
        );
        (n.clone(), v4, v6)
    }))
    .await;
    let ipv6 = dns.config().ipv6;
    let mut out = Vec::new();
    let mut not_asked = Vec::new();
    let mut nowhere = Vec::new();
    for (n, v4, v6) in answers {
        let ips: Vec<IpAddr> = v4
            .all_of(RecordType::A)
            .chain(v6.all_of(RecordType::AAAA))
            .filter_map(|r| match r.data {
                RrData::Address(ip) => Some(ip),
                _ => None,
            })
            .collect();
        let usable: Vec<IpAddr> = ips
            .iter()
            .copied()
            .filter(|ip| ipv6 || ip.is_ipv4())
            .collect();
        for ip in &usable {
            let addr = SocketAddr::new(*ip, dns.config().auth_port);
            if !out.iter().any(|(_, x)| *x == addr) {
                out.push((format!("{} ({ip})", n.trim_end_matches('.')), addr));
            }
        }
        let label = n.trim_end_matches('.').to_owned();
        if ips.is_empty() {
            // Resolvers cannot reach it either: it fails the zone's lookups (a lame server).
            nowhere.push(ServerAnswer {
                server: label,
                answer: Answer::Failed {
                    reason: format!("{NO_ADDRESS} ({})", v4.describe()),
                    ede: None,
                },
            });
        } else if usable.is_empty() {
            not_asked.push((
                label,
                "has only IPv6 addresses, and this host has no IPv6".into(),
            ));
        }
    }
    out.truncate(MAX_AUTH_ADDRESSES);
    Addresses {
        servers: out,
        not_asked,
        nowhere,
    }
}

/// A sibling of `name` that no one would create: `_acm-dns-doctor-probe-<nonce>.<parent of name>`.
pub fn probe_name(name: &str, nonce: u16) -> String {
    let parent = parent(name).unwrap_or_else(|| ".".into());
    format!(
        "_acm-dns-doctor-probe-{nonce:04x}.{}",
        parent.trim_start_matches('.')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Rr, Soa};

    fn soa_rr(owner: &str) -> Rr {
        Rr {
            name: owner.into(),
            rtype: RecordType::SOA,
            ttl: 3600,
            data: RrData::Soa(Soa {
                mname: "ns1.x.".into(),
                serial: 1,
                minimum: 300,
            }),
        }
    }

    #[test]
    fn apex_walk_steps() {
        let cname = Answer::Records {
            records: vec![Rr {
                name: "www.example.com.".into(),
                rtype: RecordType::CNAME,
                ttl: 60,
                data: RrData::Name("cdn.example.net.".into()),
            }],
            authoritative: false,
        };
        assert_eq!(step("www.example.com.", &cname), Step::Up);
        let soa = Answer::Records {
            records: vec![soa_rr("example.com.")],
            authoritative: false,
        };
        assert_eq!(
            step("example.com.", &soa),
            Step::Apex("example.com.".into(), Some(300))
        );
        let nx = Answer::NxDomain {
            negative_ttl: Some(60),
            soa_owner: Some("example.com.".into()),
        };
        assert_eq!(
            step("_x.example.com.", &nx),
            Step::Apex("example.com.".into(), Some(60))
        );
        // An SOA from an unrelated zone (a hostile or confused resolver) is not taken as the apex.
        let elsewhere = Answer::NxDomain {
            negative_ttl: Some(60),
            soa_owner: Some("evil.test.".into()),
        };
        assert_eq!(step("_x.example.com.", &elsewhere), Step::Up);
        assert!(matches!(
            step(
                "x.",
                &Answer::Failed {
                    reason: "SERVFAIL".into(),
                    ede: None,
                }
            ),
            Step::Fail(_)
        ));
    }
}
