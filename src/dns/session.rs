//! One run's view of DNS: every question is asked once per run and shared, with concurrent askers
//! waiting for the first (single flight). Zone cuts, NS sets, name-server addresses, parent
//! delegations, wildcard probes, CAA sets and CNAME chain steps are therefore asked once however
//! many records or certificates need them. The memory dies with the run: no state outlives it.

use super::{Dns, DnsConfig, wire::Flags};
use crate::evidence::{Answer, ServerAnswer};
use hickory_proto::rr::RecordType;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// One question: who is asked, what, and how.
type Question = (SocketAddr, String, RecordType, Flags);

/// A run's DNS: the process's client, and what this run was already told.
#[derive(Debug)]
pub struct Session {
    dns: Dns,
    told: Mutex<HashMap<Question, Arc<OnceCell<Answer>>>>,
    nonce: u16,
}

impl Session {
    /// A fresh session over `dns` (nothing asked yet).
    pub fn new(dns: &Dns) -> Self {
        Session {
            dns: dns.clone(),
            told: Mutex::new(HashMap::new()),
            nonce: super::rand_id(),
        }
    }

    /// Where and how to ask.
    pub fn config(&self) -> &DnsConfig {
        &self.dns.config
    }

    /// A number fixed for the run, not predictable across runs (names the wildcard probe, so
    /// that records of one zone share it).
    pub fn nonce(&self) -> u16 {
        self.nonce
    }

    /// Asks `server` for `name`/`rtype` once per run; later askers get the same answer.
    pub async fn ask(
        &self,
        server: SocketAddr,
        name: &str,
        rtype: RecordType,
        flags: Flags,
    ) -> Answer {
        let key = (server, name.to_ascii_lowercase(), rtype, flags);
        let cell = {
            let mut told = self
                .told
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            told.entry(key).or_default().clone()
        };
        cell.get_or_init(|| self.dns.ask(server, name, rtype, flags))
            .await
            .clone()
    }

    /// Asks every configured resolver, concurrently, validating DNSSEC as ACM does: the public view.
    pub async fn ask_resolvers(&self, name: &str, rtype: RecordType) -> Vec<ServerAnswer> {
        let asks = self.config().resolvers.iter().map(|r| async move {
            ServerAnswer {
                server: r.to_string(),
                answer: self.ask(*r, name, rtype, Flags::Recursive).await,
            }
        });
        futures::future::join_all(asks).await
    }

    /// Asks the resolvers in order until one gives a definite answer; the last failure otherwise.
    /// Checking disabled: used to find zones and servers, which must work even when DNSSEC is broken.
    pub async fn resolve(&self, name: &str, rtype: RecordType) -> Answer {
        self.resolve_with(name, rtype, Flags::RecursiveUnchecked)
            .await
    }

    /// Like `resolve`, with the given flags.
    pub async fn resolve_with(&self, name: &str, rtype: RecordType, flags: Flags) -> Answer {
        let mut last = Answer::Failed {
            reason: "no resolver configured".into(),
            ede: None,
        };
        for r in &self.config().resolvers {
            last = self.ask(*r, name, rtype, flags).await;
            if last.is_definite() {
                break;
            }
        }
        last
    }
}
