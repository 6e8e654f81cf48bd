//! The iterative recursive resolver: resolves from the root hints, follows referrals, chases
//! CNAMEs, and caches final answers (positive and negative) by (name, type).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::server::{Handler, exchange, question, response_to};
use super::socket;
use super::world::{Shared, lock};
use super::zone::target;

/// Timeout of one upstream query.
const UPSTREAM_TIMEOUT: Duration = Duration::from_millis(400);
/// Longest CNAME chain followed.
const MAX_CNAMES: usize = 8;
/// Most referrals followed while resolving one name.
const MAX_REFERRALS: usize = 16;
/// Deepest nesting of name-server address lookups (NS without glue).
const MAX_DEPTH: u8 = 4;
/// Most upstream queries sent for one client query.
const MAX_UPSTREAM_QUERIES: u32 = 64;
/// Time allowed for one client query.
const CLIENT_DEADLINE: Duration = Duration::from_secs(5);

/// The resolver's cache: final outcomes by (name, type).
pub(crate) type Cache = HashMap<(Name, RecordType), CacheEntry>;

/// One cached outcome.
#[derive(Clone, Debug)]
pub(crate) struct CacheEntry {
    stored: Instant,
    ttl: u32,
    outcome: Outcome,
}

/// A final resolution result (what goes in the client response).
#[derive(Clone, Debug)]
struct Outcome {
    code: ResponseCode,
    answers: Vec<Record>,
    authorities: Vec<Record>,
}

impl Outcome {
    /// How long the outcome may be cached: the smallest answer TTL, capped for negative outcomes
    /// by the SOA-derived negative TTL; `None` when it must not be cached.
    fn cache_ttl(&self) -> Option<u32> {
        let answers = self.answers.iter().map(|r| r.ttl).min();
        let soa = self.authorities.iter().find_map(|r| match &r.data {
            RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
            _ => None,
        });
        let negative = self.code == ResponseCode::NXDomain || soa.is_some() || answers.is_none();
        let ttl = if negative {
            let soa = soa?;
            answers.map_or(soa, |a| a.min(soa))
        } else {
            answers?
        };
        (ttl > 0).then_some(ttl)
    }
}

/// Why a resolution failed (the client gets SERVFAIL).
#[derive(Debug)]
struct Failure;

/// Limits shared by every step of one client query.
struct Budget {
    queries: u32,
    deadline: Instant,
}

impl Budget {
    fn spend(&mut self) -> Result<(), Failure> {
        if self.queries == 0 || Instant::now() >= self.deadline {
            return Err(Failure);
        }
        self.queries -= 1;
        Ok(())
    }
}

/// What one upstream response means for the iteration.
enum Step {
    /// A final answer from the zone's authority.
    Final(Outcome),
    /// Go one level down: the new zone cut and its name servers (with glue addresses if any).
    Referral(Name, Vec<(Name, Vec<Ipv4Addr>)>),
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The recursive resolver of a world.
pub(crate) struct Resolver {
    shared: Arc<Shared>,
    ip: Ipv4Addr,
    port: u16,
    roots: Vec<Ipv4Addr>,
}

impl Resolver {
    /// A resolver at `ip` that queries servers on `port`, starting from the `roots` hints.
    pub fn new(shared: Arc<Shared>, ip: Ipv4Addr, port: u16, roots: Vec<Ipv4Addr>) -> Self {
        Self {
            shared,
            ip,
            port,
            roots,
        }
    }

    fn cached(&self, key: &(Name, RecordType)) -> Option<Outcome> {
        let mut cache = lock(&self.shared.cache);
        let entry = cache.get(key)?;
        let age = u32::try_from(entry.stored.elapsed().as_secs()).unwrap_or(u32::MAX);
        if age >= entry.ttl {
            cache.remove(key);
            return None;
        }
        let mut outcome = entry.outcome.clone();
        for record in outcome.answers.iter_mut().chain(&mut outcome.authorities) {
            record.ttl = record.ttl.saturating_sub(age);
        }
        Some(outcome)
    }

    fn store(&self, key: (Name, RecordType), outcome: &Outcome) {
        if let Some(ttl) = outcome.cache_ttl() {
            let entry = CacheEntry {
                stored: Instant::now(),
                ttl,
                outcome: outcome.clone(),
            };
            lock(&self.shared.cache).insert(key, entry);
        }
    }

    /// Resolves `name`/`qtype`, chasing CNAMEs unless `qtype` is CNAME.
    fn resolve<'a>(
        &'a self,
        name: Name,
        qtype: RecordType,
        depth: u8,
        budget: &'a mut Budget,
    ) -> BoxFuture<'a, Result<Outcome, Failure>> {
        Box::pin(async move {
            let mut chain: Vec<Record> = Vec::new();
            let mut current = name;
            for _ in 0..=MAX_CNAMES {
                let outcome = self.iterate(&current, qtype, depth, budget).await?;
                if outcome.code == ResponseCode::NXDomain {
                    chain.extend(outcome.answers);
                    return Ok(Outcome {
                        answers: chain,
                        ..outcome
                    });
                }
                let at_current = |r: &&Record| r.name == current;
                let direct: Vec<Record> = outcome
                    .answers
                    .iter()
                    .filter(at_current)
                    .filter(|r| qtype == RecordType::ANY || r.record_type() == qtype)
                    .cloned()
                    .collect();
                let cname = outcome
                    .answers
                    .iter()
                    .filter(at_current)
                    .find(|r| r.record_type() == RecordType::CNAME)
                    .cloned();
                match (direct.is_empty(), cname) {
                    (true, Some(cname)) if qtype != RecordType::CNAME => {
                        current = target(&cname).ok_or(Failure)?;
                        chain.push(cname);
                    }
                    _ => {
                        chain.extend(direct);
                        return Ok(Outcome {
                            code: ResponseCode::NoError,
                            answers: chain,
                            authorities: outcome.authorities,
                        });
                    }
                }
            }
            Err(Failure)
        })
    }

    /// Asks the authority for `name`/`qtype`, walking down from the root.
    async fn iterate(
        &self,
        name: &Name,
        qtype: RecordType,
        depth: u8,
        budget: &mut Budget,
    ) -> Result<Outcome, Failure> {
        let mut zone = Name::root();
        let mut servers: Vec<(Name, Vec<Ipv4Addr>)> = vec![(Name::root(), self.roots.clone())];
        for _ in 0..MAX_REFERRALS {
            match self
                .ask_zone(&servers, &zone, name, qtype, depth, budget)
                .await?
            {
                Step::Final(outcome) => return Ok(outcome),
                Step::Referral(cut, next) => {
                    zone = cut;
                    servers = next;
                }
            }
        }
        Err(Failure)
    }

    /// Asks the servers of `zone` in turn until one gives a usable response.
    async fn ask_zone(
        &self,
        servers: &[(Name, Vec<Ipv4Addr>)],
        zone: &Name,
        name: &Name,
        qtype: RecordType,
        depth: u8,
        budget: &mut Budget,
    ) -> Result<Step, Failure> {
        for (host, glue) in servers {
            let addresses = if !glue.is_empty() {
                glue.clone()
            } else if depth < MAX_DEPTH {
                self.addresses_of(host, depth + 1, budget).await?
            } else {
                Vec::new()
            };
            for ip in addresses {
                budget.spend()?;
                let mut query = Message::query();
                query.add_query(Query::query(name.clone(), qtype));
                let mut edns = Edns::new();
                edns.set_max_payload(1232);
                query.set_edns(edns);
                let server = socket(ip, self.port);
                let Ok(response) = exchange(self.ip, server, &query, UPSTREAM_TIMEOUT).await else {
                    continue;
                };
                if let Some(step) = classify(&response, zone, name) {
                    return Ok(step);
                }
            }
        }
        Err(Failure)
    }

    /// The loopback addresses of a name server without glue (a failure to resolve it is not
    /// fatal: the other servers of the zone may still work).
    async fn addresses_of(
        &self,
        host: &Name,
        depth: u8,
        budget: &mut Budget,
    ) -> Result<Vec<Ipv4Addr>, Failure> {
        match self
            .resolve(host.clone(), RecordType::A, depth, budget)
            .await
        {
            Ok(outcome) => Ok(outcome
                .answers
                .iter()
                .filter_map(|r| match r.data {
                    RData::A(a) if a.0.is_loopback() => Some(a.0),
                    _ => None,
                })
                .collect()),
            Err(Failure) if budget.queries > 0 && Instant::now() < budget.deadline => {
                Ok(Vec::new())
            }
            Err(Failure) => Err(Failure),
        }
    }
}

/// Interprets an upstream response from a server of `zone` about `name`; `None` when unusable
/// (error code, lame or bogus referral).
fn classify(response: &Message, zone: &Name, name: &Name) -> Option<Step> {
    let final_step = |code| {
        Some(Step::Final(Outcome {
            code,
            answers: response.answers.clone(),
            authorities: response
                .authorities
                .iter()
                .filter(|r| r.record_type() == RecordType::SOA)
                .cloned()
                .collect(),
        }))
    };
    match response.metadata.response_code {
        ResponseCode::NXDomain => return final_step(ResponseCode::NXDomain),
        ResponseCode::NoError => {}
        _ => return None,
    }
    if !response.answers.is_empty() {
        return final_step(ResponseCode::NoError);
    }
    let cut = response
        .authorities
        .iter()
        .find(|r| r.record_type() == RecordType::NS)
        .map(|r| r.name.clone());
    if let Some(cut) = cut.filter(|cut| zone.zone_of(cut) && cut != zone && cut.zone_of(name)) {
        let servers = response
            .authorities
            .iter()
            .filter(|r| r.name == cut)
            .filter_map(target)
            .map(|host| {
                let glue = response
                    .additionals
                    .iter()
                    .filter(|r| r.name == host && zone.zone_of(&r.name))
                    .filter_map(|r| match r.data {
                        RData::A(a) if a.0.is_loopback() => Some(a.0),
                        _ => None,
                    })
                    .collect();
                (host, glue)
            })
            .collect();
        return Some(Step::Referral(cut, servers));
    }
    let has_soa = response
        .authorities
        .iter()
        .any(|r| r.record_type() == RecordType::SOA);
    (response.metadata.authoritative || has_soa).then(|| final_step(ResponseCode::NoError))?
}

impl Handler for Resolver {
    async fn handle(&self, query: Message) -> Option<Message> {
        let question = match question(&query) {
            Ok(question) => question,
            Err(code) => return Some(response_to(&query, code)),
        };
        let key = (question.name().clone(), question.query_type());
        let outcome = match self.cached(&key) {
            Some(outcome) => Ok(outcome),
            None => {
                let mut budget = Budget {
                    queries: MAX_UPSTREAM_QUERIES,
                    deadline: Instant::now() + CLIENT_DEADLINE,
                };
                let outcome = self.resolve(key.0.clone(), key.1, 0, &mut budget).await;
                if let Ok(outcome) = &outcome {
                    self.store(key, outcome);
                }
                outcome
            }
        };
        let mut response = response_to(&query, ResponseCode::NoError);
        response.metadata.recursion_available = true;
        match outcome {
            Ok(outcome) => {
                response.metadata.response_code = outcome.code;
                response.answers = outcome.answers;
                response.authorities = outcome.authorities;
            }
            Err(Failure) => response.metadata.response_code = ResponseCode::ServFail,
        }
        Some(response)
    }
}
