//! A fake DNS "internet" on loopback, in-process, for integration tests.
//!
//! [`Internet`] describes zones and the name-server hosts that serve them; [`Internet::start`]
//! turns that into a running [`World`]: one authoritative server per host plus one iterative
//! recursive resolver, each on its own `127.A.B.n` address, all sharing one UDP+TCP port.
//! The root zone and every TLD needed by the declared zones and host names are created
//! automatically (unless declared), and every declared zone is delegated from its parent.
//!
//! Naming conventions:
//! - the auto root zone is served by [`ROOT_SERVER`] (`a.root-servers.test.`);
//! - an auto TLD zone `<tld>.` is served by `a.nic.<tld>.` (see [`tld_server`]);
//! - auto records (SOA, apex NS, delegation NS, glue, host A records) have TTL
//!   [`DEFAULT_TTL`]; the SOA minimum (negative TTL) defaults to [`DEFAULT_NEGATIVE_TTL`].
//!
//! Everything runs on a dedicated thread with its own Tokio runtime, so a [`World`] works from
//! any test runtime flavour (and even from blocking code); dropping the [`World`] stops it.

use std::net::{Ipv4Addr, SocketAddr};

use hickory_proto::rr::{Name, Record};

mod resolver;
mod server;
mod world;
mod zone;

#[cfg(test)]
mod tests;

pub use world::World;

/// Host name of the name server that serves the automatic root zone.
pub const ROOT_SERVER: &str = "a.root-servers.test.";

/// TTL of every automatically created record (SOA, NS, glue and host A records).
pub const DEFAULT_TTL: u32 = 3600;

/// Default SOA minimum, i.e. the TTL resolvers use to cache negative answers.
pub const DEFAULT_NEGATIVE_TTL: u32 = 60;

/// Host name of the name server that serves an automatic TLD zone, e.g. `a.nic.com.` for `com`.
pub fn tld_server(tld: &str) -> String {
    format!("a.nic.{}.", tld.trim_end_matches('.').to_ascii_lowercase())
}

/// How an authoritative host answers queries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers from its zone data.
    #[default]
    Normal,
    /// Answers every query with SERVFAIL.
    ServFail,
    /// Answers every query with REFUSED.
    Refused,
    /// Never answers (every query times out).
    Silent,
    /// Answers from its zone data after this delay (a server far away).
    Slow(std::time::Duration),
}

/// A declared zone, as given to the [`Internet`] builder.
#[derive(Clone, Debug)]
pub(crate) struct ZoneSpec {
    /// The zone apex (absolute).
    pub apex: Name,
    /// Hosts listed in the zone's NS records (and in the parent's delegation).
    pub served_by: Vec<Name>,
    /// Whether the parent zone gets NS (and glue) records for this zone.
    pub delegated: bool,
    /// The common zone content (without the automatic records).
    pub records: Vec<Record>,
    /// Per-host replacement content.
    pub variants: Vec<(Name, Vec<Record>)>,
}

/// Builder (pure data) describing the zones of a fake DNS internet; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Internet {
    zones: Vec<ZoneSpec>,
    extra_hosts: Vec<Name>,
    negative_ttls: Vec<(Name, u32)>,
}

impl Internet {
    /// An empty internet (only the root, once started).
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a zone served by the named hosts, delegated from its parent zone.
    ///
    /// `records` is zone-file-like text, one `<owner> <ttl> [IN] <TYPE> <rdata>` record per line
    /// (TYPE in SOA, NS, A, AAAA, CNAME, TXT, CAA; blank lines and `;` comments are ignored).
    /// Owner `@` is the apex, an owner ending in `.` is absolute, any other owner is relative to
    /// the apex (so `_x.example.com` in zone `example.com.` is `_x.example.com.example.com.`);
    /// CNAME/NS/SOA targets follow the same rule. TXT rdata is the rest of the line, optionally as
    /// one or more double-quoted strings; CAA rdata is like `0 issue "amazon.com"`. The SOA and
    /// apex NS records are created automatically unless the text gives them.
    ///
    /// An owner whose first label is `*` (`*`, `*.sub`, `*.example.com.`) is a wildcard (RFC 4592,
    /// simplified): it answers, with the owner rewritten to the query name, for names that do not
    /// exist (not even as empty non-terminals) and are not at or below a delegation, when its
    /// parent is their closest existing ancestor.
    ///
    /// Panics on malformed text or if the zone is declared twice.
    pub fn zone(&mut self, apex: &str, served_by: &[&str], records: &str) -> &mut Self {
        self.declare(apex, served_by, records, true)
    }

    /// Declares a zone served by the named hosts but NOT delegated from its parent (like a
    /// Route 53 hosted zone whose parent has no NS records for it).
    pub fn undelegated_zone(&mut self, apex: &str, served_by: &[&str], records: &str) -> &mut Self {
        self.declare(apex, served_by, records, false)
    }

    /// Makes `host` serve `records` for the (already declared) zone instead of its common content.
    ///
    /// Models a lagging or diverging secondary. If `host` is not in the zone's `served_by` list it
    /// still serves the zone (with this content) but is not listed in any NS record.
    pub fn zone_variant(&mut self, apex: &str, host: &str, records: &str) -> &mut Self {
        let apex = fqdn(apex);
        let host = fqdn(host);
        let records = zone::parse_records(&apex, records);
        let spec = self
            .zones
            .iter_mut()
            .find(|z| z.apex == apex)
            .unwrap_or_else(|| {
                panic!("zone_variant: zone {apex} is not declared (call zone first)")
            });
        spec.variants.retain(|(h, _)| *h != host);
        spec.variants.push((host, records));
        self
    }

    /// Sets the SOA minimum (negative-caching TTL) of a zone, declared or automatic.
    pub fn negative_ttl(&mut self, apex: &str, secs: u32) -> &mut Self {
        let apex = fqdn(apex);
        self.negative_ttls.retain(|(a, _)| *a != apex);
        self.negative_ttls.push((apex, secs));
        self
    }

    /// Declares a host that serves no zone (answers REFUSED), e.g. for lame delegations written
    /// as explicit NS records. It gets an address and an A record like every other host.
    pub fn host(&mut self, name: &str) -> &mut Self {
        let name = fqdn(name);
        if !self.extra_hosts.contains(&name) {
            self.extra_hosts.push(name);
        }
        self
    }

    /// Binds every server on loopback and starts them; see [`World`].
    pub async fn start(&self) -> std::io::Result<World> {
        World::start(self)
    }

    fn declare(
        &mut self,
        apex: &str,
        served_by: &[&str],
        records: &str,
        delegated: bool,
    ) -> &mut Self {
        let apex = fqdn(apex);
        assert!(
            self.zones.iter().all(|z| z.apex != apex),
            "zone {apex} declared twice"
        );
        let records = zone::parse_records(&apex, records);
        self.zones.push(ZoneSpec {
            apex,
            served_by: served_by.iter().map(|h| fqdn(h)).collect(),
            delegated,
            records,
            variants: Vec::new(),
        });
        self
    }
}

/// Parses a host or zone name, absolute or not, into a lowercase absolute name.
pub(crate) fn fqdn(name: &str) -> Name {
    let name = name.trim();
    let text = if name.ends_with('.') {
        name.to_ascii_lowercase()
    } else {
        format!("{}.", name.to_ascii_lowercase())
    };
    Name::from_ascii(&text).unwrap_or_else(|e| panic!("invalid DNS name {name:?}: {e}"))
}

/// The socket address of `ip` on `port`.
pub(crate) fn socket(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}
