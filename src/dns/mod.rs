//! DNS: raw questions to named servers, answered as plain data.
//!
//! `wire` builds and classifies messages without sockets; `transport` moves bytes over UDP/TCP;
//! `live` gathers the public view of a validation record. No resolver here ever reads the machine's
//! resolv.conf: every server asked is one the caller named. Answers are `evidence` types.

pub mod caa;
pub mod live;
mod session;
pub mod transport;
pub mod wire;

pub use session::Session;

use crate::evidence::Answer;
use hickory_proto::rr::RecordType;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How to reach DNS.
#[derive(Debug, Clone)]
pub struct DnsConfig {
    /// Recursive resolvers for the public view (never a VPC resolver, which may see private zones).
    pub resolvers: Vec<SocketAddr>,
    /// Port of discovered authoritative servers (53 in the world; another in tests).
    pub auth_port: u16,
    /// How long to wait for one reply.
    pub timeout: Duration,
    /// How many times to send a UDP question before giving up.
    pub attempts: u8,
    /// Whether name servers' IPv6 addresses are asked (the host can reach IPv6).
    pub ipv6: bool,
}

/// True when this host has a route to the public IPv6 Internet. Only asks the kernel for a route
/// (a UDP `connect` sends nothing).
pub fn host_has_ipv6() -> bool {
    std::net::UdpSocket::bind("[::]:0")
        .and_then(|s| s.connect("[2001:4860:4860::8888]:53"))
        .is_ok()
}

/// A DNS client that asks one named server one question at a time.
#[derive(Debug, Clone)]
pub struct Dns {
    /// Where and how to ask.
    pub config: DnsConfig,
    /// Questions in flight at once, across every certificate of the process: a certificate with a
    /// hundred names, or many at once, must not exhaust sockets (Lambda allows 1,024 descriptors).
    in_flight: Arc<tokio::sync::Semaphore>,
    /// Questions sent, for the benchmark and the cost tests.
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    recursive: AtomicUsize,
    authoritative: AtomicUsize,
}

/// How many questions were sent: to recursive resolvers and to authoritative servers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Questions {
    /// To the configured recursive resolvers.
    pub recursive: usize,
    /// To authoritative servers (recursion not desired).
    pub authoritative: usize,
}

impl Questions {
    /// Both kinds together.
    pub fn total(self) -> usize {
        self.recursive + self.authoritative
    }
}

impl std::ops::Sub for Questions {
    type Output = Questions;
    fn sub(self, earlier: Questions) -> Questions {
        Questions {
            recursive: self.recursive - earlier.recursive,
            authoritative: self.authoritative - earlier.authoritative,
        }
    }
}

/// At most this many DNS questions are in flight at once.
pub const MAX_IN_FLIGHT: usize = 128;

impl Dns {
    /// A client with this configuration.
    pub fn new(config: DnsConfig) -> Self {
        Dns {
            config,
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            counts: Arc::default(),
        }
    }

    /// Asks `server` for `name`/`rtype` with these flags, every time (see `Session` for a run's
    /// memory). Never fails: a failure is an `Answer`.
    pub async fn ask(
        &self,
        server: SocketAddr,
        name: &str,
        rtype: RecordType,
        flags: wire::Flags,
    ) -> Answer {
        // Never closed, so acquiring cannot fail; without a permit we would only lose the bound.
        let _permit = self.in_flight.acquire().await.ok();
        let count = if flags.to_authority() {
            &self.counts.authoritative
        } else {
            &self.counts.recursive
        };
        count.fetch_add(1, Ordering::Relaxed);
        let id: u16 = rand_id();
        let query = match wire::build_query(id, name, rtype, flags) {
            Ok(q) => q,
            Err(e) => {
                return Answer::Failed {
                    reason: e.to_string(),
                    ede: None,
                };
            }
        };
        match transport::exchange(server, query, self.config.timeout, self.config.attempts).await {
            Ok(msg) => wire::classify(&msg),
            Err(e) => Answer::Failed {
                reason: e.to_string(),
                ede: None,
            },
        }
    }

    /// Questions asked so far by this client (and its clones), by kind.
    pub fn questions(&self) -> Questions {
        Questions {
            recursive: self.counts.recursive.load(Ordering::Relaxed),
            authoritative: self.counts.authoritative.load(Ordering::Relaxed),
        }
    }
}

/// A query id that is not predictable across runs.
pub(crate) fn rand_id() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let [a, b, ..] = h.finish().to_le_bytes();
    u16::from_le_bytes([a, b])
}

/// Parses `IP` or `IP:PORT` (port 53 by default); `[v6]:PORT` for IPv6.
pub fn parse_server(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{s:?} is not an IP address or IP:PORT"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Message, MessageType, OpCode};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::UdpSocket;

    #[tokio::test]
    async fn questions_in_flight_are_bounded() {
        // A slow server on loopback that records how many questions wait for it at once.
        let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = sock.local_addr().unwrap();
        let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let server = {
            let (sock, now, max) = (sock.clone(), now.clone(), max.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                    let question = Message::from_vec(&buf[..n]).unwrap();
                    let waiting = now.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(waiting, Ordering::SeqCst);
                    let (sock, now) = (sock.clone(), now.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        let mut reply = Message::new(
                            question.metadata.id,
                            MessageType::Response,
                            OpCode::Query,
                        );
                        reply.add_queries(question.queries);
                        let _ = sock.send_to(&reply.to_vec().unwrap(), from).await;
                    });
                }
            })
        };
        let dns = Dns::new(DnsConfig {
            resolvers: vec![addr],
            auth_port: addr.port(),
            timeout: Duration::from_secs(5),
            attempts: 1,
            ipv6: false,
        });
        let asks = (0..MAX_IN_FLIGHT * 2 + 50).map(|i| {
            let dns = dns.clone();
            async move {
                dns.ask(
                    addr,
                    &format!("q{i}.example."),
                    RecordType::A,
                    wire::Flags::Authoritative,
                )
                .await
            }
        });
        let answers = futures::future::join_all(asks).await;
        server.abort();
        assert!(
            answers.iter().all(Answer::is_definite),
            "every question answered"
        );
        let peak = max.load(Ordering::SeqCst);
        assert!(peak <= MAX_IN_FLIGHT, "{peak} questions in flight at once");
        assert!(
            peak > MAX_IN_FLIGHT / 2,
            "the bound, not the server, limited them ({peak})"
        );
    }
}
