//! Building and running a [`World`]: planning (auto root/TLD zones, delegations, glue), address
//! allocation, socket binding, and the runtime thread that serves everything.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::{fmt, io};

use hickory_proto::rr::rdata::{A, NS};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::sync::oneshot;

use super::resolver::{Cache, Resolver};
use super::server::{AuthServer, serve_tcp, serve_udp};
use super::zone::{self, ZoneData};
use super::{
    Behaviour, DEFAULT_NEGATIVE_TTL, DEFAULT_TTL, Internet, ROOT_SERVER, ZoneSpec, fqdn, socket,
    tld_server,
};

/// How many address blocks `start` tries before giving up.
const BLOCK_ATTEMPTS: usize = 64;

/// Next third octet for `127.A.B.0/24` blocks allocated by this process.
static NEXT_BLOCK: AtomicU8 = AtomicU8::new(0);

/// One authoritative host's state, shared between the [`World`] handle and the server tasks.
#[derive(Debug)]
pub(crate) struct HostState {
    /// The host's address.
    pub ip: Ipv4Addr,
    /// How the host answers.
    pub behaviour: Behaviour,
    /// The zones the host serves, with this host's copy of their content.
    pub zones: Vec<ZoneData>,
}

/// State shared by the [`World`] handle and every server task.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Every authoritative host, by lowercase absolute name.
    pub hosts: Mutex<HashMap<Name, HostState>>,
    /// The recursive resolver's cache.
    pub cache: Mutex<Cache>,
}

/// Locks a mutex, ignoring poisoning (a panicking test must not break the servers).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake DNS internet; dropping it stops every server.
pub struct World {
    shared: Arc<Shared>,
    port: u16,
    resolver: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts = lock(&self.shared.hosts);
        let mut hosts: Vec<(String, Ipv4Addr)> =
            hosts.iter().map(|(n, h)| (n.to_string(), h.ip)).collect();
        hosts.sort();
        f.debug_struct("World")
            .field("port", &self.port)
            .field("resolver", &self.resolver)
            .field("hosts", &hosts)
            .finish()
    }
}

impl World {
    /// The one port every server and the resolver listen on (UDP and TCP).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address of the recursive resolver.
    pub fn resolver(&self) -> SocketAddr {
        self.resolver
    }

    /// The address of a host (declared or automatic); panics on an unknown host.
    pub fn host_ip(&self, host: &str) -> Ipv4Addr {
        self.with_host(host, |h| h.ip)
    }

    /// The socket address (`host_ip:port`) of a host's authoritative server.
    pub fn host_addr(&self, host: &str) -> SocketAddr {
        socket(self.host_ip(host), self.port)
    }

    /// Every authoritative host (declared and automatic: root, TLDs), sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.shared.hosts)
            .keys()
            .map(ToString::to_string)
            .collect();
        names.sort();
        names
    }

    /// Changes how a host answers from now on.
    pub fn set_behaviour(&self, host: &str, behaviour: Behaviour) {
        self.with_host(host, |h| h.behaviour = behaviour);
    }

    /// Adds a record line (same syntax as [`Internet::zone`]) to `apex` on every host serving it.
    pub fn add_record(&self, apex: &str, line: &str) {
        let apex = fqdn(apex);
        let record = parse_one(&apex, line);
        let mut hosts = lock(&self.shared.hosts);
        let mut found = false;
        for zone in hosts.values_mut().flat_map(|h| h.zones.iter_mut()) {
            if zone.apex == apex {
                zone.add(record.clone());
                found = true;
            }
        }
        assert!(found, "add_record: no host serves zone {apex}");
    }

    /// Adds a record line to `apex` on one host only (which must serve the zone).
    pub fn add_record_on(&self, host: &str, apex: &str, line: &str) {
        let apex = fqdn(apex);
        let record = parse_one(&apex, line);
        self.with_host(host, |h| {
            let zone = h
                .zones
                .iter_mut()
                .find(|z| z.apex == apex)
                .unwrap_or_else(|| panic!("add_record_on: {host} does not serve {apex}"));
            zone.add(record);
        });
    }

    /// Removes every record (all types) owned by `owner` (relative to `apex` like in zone text)
    /// from `apex` on every host.
    pub fn remove_records(&self, apex: &str, owner: &str) {
        let apex = fqdn(apex);
        let owner = zone::resolve(&apex, owner.trim());
        let mut hosts = lock(&self.shared.hosts);
        for zone in hosts.values_mut().flat_map(|h| h.zones.iter_mut()) {
            if zone.apex == apex {
                zone.remove(&owner);
            }
        }
    }

    /// Empties the recursive resolver's cache (positive and negative entries).
    pub fn flush_resolver_cache(&self) {
        lock(&self.shared.cache).clear();
    }

    fn with_host<R>(&self, host: &str, f: impl FnOnce(&mut HostState) -> R) -> R {
        let name = fqdn(host);
        let mut hosts = lock(&self.shared.hosts);
        let state = hosts
            .get_mut(&name)
            .unwrap_or_else(|| panic!("unknown DNS host {name}"));
        f(state)
    }

    /// Plans the world, binds every socket, and starts the server thread.
    pub(crate) fn start(internet: &Internet) -> io::Result<Self> {
        let plan = Plan::new(internet);
        // Resolver at .1, hosts from .2 on.
        if plan.hosts.len() > 252 {
            return Err(io::Error::other("too many DNS hosts for one /24 block"));
        }
        let (block, port, mut sockets) = bind_block(plan.hosts.len() + 1)?;
        let ip_of = |index: usize| address(block, index + 1);
        let ips: HashMap<Name, Ipv4Addr> = plan
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), ip_of(i + 1)))
            .collect();
        let resolver_ip = ip_of(0);

        let shared = Arc::new(Shared {
            hosts: Mutex::new(plan.materialize(&ips)),
            cache: Mutex::default(),
        });
        let roots: Vec<Ipv4Addr> = plan.root_hosts().iter().map(|h| ips[h]).collect();

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        {
            let _guard = runtime.enter();
            let (udp, tcp) = sockets.remove(0);
            let resolver = Arc::new(Resolver::new(shared.clone(), resolver_ip, port, roots));
            runtime.spawn(serve_udp(
                tokio::net::UdpSocket::from_std(udp)?,
                resolver.clone(),
            ));
            runtime.spawn(serve_tcp(tokio::net::TcpListener::from_std(tcp)?, resolver));
            for (host, (udp, tcp)) in plan.hosts.iter().zip(sockets) {
                let server = Arc::new(AuthServer::new(shared.clone(), host.clone()));
                runtime.spawn(serve_udp(
                    tokio::net::UdpSocket::from_std(udp)?,
                    server.clone(),
                ));
                runtime.spawn(serve_tcp(tokio::net::TcpListener::from_std(tcp)?, server));
            }
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dns-world".into())
            .spawn(move || {
                // Returns when the World is dropped; dropping the runtime ends every task.
                let _ = runtime.block_on(stopped);
            })?;

        Ok(Self {
            shared,
            port,
            resolver: socket(resolver_ip, port),
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn parse_one(apex: &Name, line: &str) -> Record {
    zone::parse_line(apex, line).unwrap_or_else(|| panic!("empty record line {line:?}"))
}

/// `127.A.B.index` for block `(A, B)`.
fn address((a, b): (u8, u8), index: usize) -> Ipv4Addr {
    let index = u8::try_from(index).expect("host index fits in a /24");
    Ipv4Addr::new(127, a, b, index)
}

type Sockets = Vec<(UdpSocket, TcpListener)>;

/// Finds a free `127.A.B.0/24` block and port, and binds UDP+TCP on `.1` to `.count`.
fn bind_block(count: usize) -> io::Result<((u8, u8), u16, Sockets)> {
    // A in 10..=209 keeps parallel test processes apart; B varies per world within a process.
    let a = u8::try_from(10 + std::process::id() % 200).expect("fits in u8");
    let mut last_error = io::Error::other("no address block tried");
    for _ in 0..BLOCK_ATTEMPTS {
        let b = NEXT_BLOCK.fetch_add(1, Ordering::Relaxed);
        match bind_all((a, b), count) {
            Ok((port, sockets)) => return Ok(((a, b), port, sockets)),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

fn bind_all(block: (u8, u8), count: usize) -> io::Result<(u16, Sockets)> {
    let first = UdpSocket::bind(socket(address(block, 1), 0))?;
    let port = first.local_addr()?.port();
    let mut sockets = Vec::with_capacity(count);
    let mut first = Some(first);
    for index in 1..=count {
        let addr = socket(address(block, index), port);
        let udp = match first.take() {
            Some(udp) => udp,
            None => UdpSocket::bind(addr)?,
        };
        let tcp = TcpListener::bind(addr)?;
        udp.set_nonblocking(true)?;
        tcp.set_nonblocking(true)?;
        sockets.push((udp, tcp));
    }
    Ok((port, sockets))
}

/// The complete zone set of a world (declared plus automatic zones) and its host list.
struct Plan {
    /// Automatic zones first (root, then TLDs), then the declared ones.
    zones: Vec<ZoneSpec>,
    /// Every host, in address order.
    hosts: Vec<Name>,
    negative_ttls: Vec<(Name, u32)>,
}

impl Plan {
    fn new(internet: &Internet) -> Self {
        let declared = &internet.zones;
        let is_declared = |apex: &Name| declared.iter().any(|z| z.apex == *apex);
        let mut auto = Vec::new();
        if !is_declared(&Name::root()) {
            auto.push(auto_zone(Name::root(), fqdn(ROOT_SERVER)));
        }
        let mut names: Vec<Name> = Vec::new();
        for spec in declared.iter().chain(&auto) {
            names.push(spec.apex.clone());
            names.extend(spec.served_by.iter().cloned());
            names.extend(spec.variants.iter().map(|(h, _)| h.clone()));
        }
        names.extend(internet.extra_hosts.iter().cloned());
        let mut tlds: Vec<Name> = names
            .iter()
            .filter(|n| !n.is_root())
            .map(|n| n.trim_to(1))
            .filter(|tld| !is_declared(tld))
            .collect();
        tlds.sort();
        tlds.dedup();
        for tld in tlds {
            let server = fqdn(&tld_server(&tld.to_ascii()));
            auto.push(auto_zone(tld, server));
        }

        let zones: Vec<ZoneSpec> = auto.into_iter().chain(declared.iter().cloned()).collect();
        let mut hosts: Vec<Name> = Vec::new();
        let all_hosts = zones
            .iter()
            .flat_map(|z| z.served_by.iter())
            .chain(zones.iter().flat_map(|z| z.variants.iter().map(|(h, _)| h)))
            .chain(&internet.extra_hosts);
        for host in all_hosts {
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
        Self {
            zones,
            hosts,
            negative_ttls: internet.negative_ttls.clone(),
        }
    }

    /// The hosts serving the root zone (the resolver's hints).
    fn root_hosts(&self) -> &[Name] {
        self.zones
            .iter()
            .find(|z| z.apex.is_root())
            .map_or(&[], |z| &z.served_by)
    }

    /// The index of the most specific zone (delegated or not, as asked) that contains `name`,
    /// or that is strictly above it when `strict`.
    fn enclosing(&self, name: &Name, strict: bool, delegated: bool) -> Option<usize> {
        self.zones
            .iter()
            .enumerate()
            .filter(|(_, z)| z.delegated == delegated)
            .filter(|(_, z)| z.apex.zone_of(name) && !(strict && z.apex == *name))
            .max_by_key(|(_, z)| z.apex.num_labels())
            .map(|(i, _)| i)
    }

    /// Builds every host's zone copies, adding SOA, apex NS, delegations, glue and host A records.
    fn materialize(&self, ips: &HashMap<Name, Ipv4Addr>) -> HashMap<Name, HostState> {
        // Extra records per zone index: delegations + glue, and host A records.
        let mut extra: Vec<Vec<Record>> = vec![Vec::new(); self.zones.len()];
        for child in self
            .zones
            .iter()
            .filter(|z| z.delegated && !z.apex.is_root())
        {
            let Some(parent) = self.enclosing(&child.apex, true, true) else {
                continue;
            };
            let parent_apex = self.zones[parent].apex.clone();
            for host in &child.served_by {
                extra[parent].push(ns(&child.apex, host));
            }
            for host in child.served_by.iter().filter(|h| parent_apex.zone_of(h)) {
                extra[parent].push(a(host, ips[host]));
            }
        }
        for host in &self.hosts {
            let ip = ips[host];
            let delegated = self.enclosing(host, false, true);
            let undelegated = self.enclosing(host, false, false);
            let depth = |i: Option<usize>| i.map_or(0, |i| self.zones[i].apex.num_labels());
            if let Some(i) = delegated {
                extra[i].push(a(host, ip));
            }
            if let Some(i) = undelegated.filter(|_| depth(undelegated) > depth(delegated)) {
                extra[i].push(a(host, ip));
            }
        }

        let mut states: HashMap<Name, HostState> = self
            .hosts
            .iter()
            .map(|h| {
                let state = HostState {
                    ip: ips[h],
                    behaviour: Behaviour::Normal,
                    zones: Vec::new(),
                };
                (h.clone(), state)
            })
            .collect();
        for (spec, extra) in self.zones.iter().zip(&extra) {
            let common = self.complete(spec, &spec.records, extra);
            for host in &spec.served_by {
                if spec.variants.iter().all(|(h, _)| h != host) {
                    let state = states.get_mut(host).expect("every host is planned");
                    state.zones.push(common.clone());
                }
            }
            for (host, records) in &spec.variants {
                let state = states.get_mut(host).expect("every host is planned");
                state.zones.push(self.complete(spec, records, extra));
            }
        }
        states
    }

    /// One copy of a zone: the given records plus every automatic record they do not override.
    fn complete(&self, spec: &ZoneSpec, records: &[Record], extra: &[Record]) -> ZoneData {
        let mut zone = ZoneData {
            apex: spec.apex.clone(),
            records: Vec::new(),
        };
        let negative_ttl = self
            .negative_ttls
            .iter()
            .find(|(apex, _)| *apex == spec.apex)
            .map_or(DEFAULT_NEGATIVE_TTL, |(_, ttl)| *ttl);
        if !records.iter().any(|r| r.record_type() == RecordType::SOA) {
            let soa = zone::auto_soa(
                &spec.apex,
                spec.served_by.first(),
                DEFAULT_TTL,
                negative_ttl,
            );
            zone.records.push(soa);
        }
        let given_ns = records
            .iter()
            .any(|r| r.name == spec.apex && r.record_type() == RecordType::NS);
        if !given_ns {
            zone.records
                .extend(spec.served_by.iter().map(|h| ns(&spec.apex, h)));
        }
        zone.records.extend(records.iter().cloned());
        // Automatic delegations, glue and host addresses never override what the text gives.
        for record in extra {
            if !records
                .iter()
                .any(|r| r.name == record.name && r.record_type() == record.record_type())
                && !zone.records.contains(record)
            {
                zone.records.push(record.clone());
            }
        }
        zone
    }
}

fn auto_zone(apex: Name, server: Name) -> ZoneSpec {
    ZoneSpec {
        apex,
        served_by: vec![server],
        delegated: true,
        records: Vec::new(),
        variants: Vec::new(),
    }
}

fn ns(owner: &Name, host: &Name) -> Record {
    Record::from_rdata(owner.clone(), DEFAULT_TTL, RData::NS(NS(host.clone())))
}

fn a(owner: &Name, ip: Ipv4Addr) -> Record {
    Record::from_rdata(owner.clone(), DEFAULT_TTL, RData::A(A(ip)))
}
