//! A DNSSEC-signed world on loopback, with real servers: NSD serving a signed root, `test.` and
//! three child zones (one healthy, one whose parent still publishes a DS while it is unsigned, one
//! whose signatures expired), and unbound validating from the root's key and answering Extended
//! DNS Errors. Built by `dnssec/start-world` (nsd, unbound and bind9-utils must be installed).
//! Everything listens on port 53 of `127.53.N.x`, N fixed per process; dropping it stops it all.

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The zones of the world, by what is wrong with them.
pub const GOOD: &str = "good.test";
/// Unsigned, while `test.` still publishes a DS for it.
pub const DS_ONLY: &str = "ds-only.test";
/// Signed, every signature expired (January 2020).
pub const EXPIRED: &str = "expired.test";

/// A running signed world.
pub struct SignedWorld {
    dir: PathBuf,
    net: u8,
    pids: Vec<u32>,
}

impl SignedWorld {
    /// Starts the world with these CNAMEs (owner, target: absolute names) in the zones that hold
    /// them, and waits until the resolver answers.
    pub fn start(cnames: &[(String, String)]) -> io::Result<SignedWorld> {
        let net = u8::try_from(20 + std::process::id() % 200).unwrap_or(20);
        let dir =
            std::env::temp_dir().join(format!("acm-dns-doctor-dnssec-{}", std::process::id()));
        let lines: Vec<String> = cnames.iter().map(|(n, t)| format!("{n} {t}")).collect();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/dnssec/start-world");
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg(&dir)
            .arg(net.to_string())
            .arg(lines.join("\n"))
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "start-world failed (are nsd, unbound and bind9-utils installed?): {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let pids = std::fs::read_to_string(dir.join("pids"))?
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        let world = SignedWorld { dir, net, pids };
        world.wait_ready()?;
        Ok(world)
    }

    /// The validating resolver.
    pub fn resolver(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::new(127, 53, self.net, 10), 53))
    }

    /// Waits until the resolver answers a question under the root (it validates from the root key).
    fn wait_ready(&self) -> io::Result<()> {
        let sock = UdpSocket::bind("127.0.0.1:0")?;
        sock.set_read_timeout(Some(Duration::from_millis(200)))?;
        let mut msg = Message::new(7, MessageType::Query, OpCode::Query);
        msg.metadata.recursion_desired = true;
        let name = Name::from_ascii(format!("{GOOD}.")).map_err(io::Error::other)?;
        msg.add_query(Query::query(name, RecordType::SOA));
        let query = msg.to_vec().map_err(io::Error::other)?;
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            sock.send_to(&query, self.resolver())?;
            if let Ok((n, _)) = sock.recv_from(&mut buf)
                && Message::from_vec(&buf[..n]).is_ok_and(|m| !m.answers.is_empty())
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.join("unbound.log")).unwrap_or_default();
        Err(io::Error::other(format!(
            "the signed world did not answer in time: {log}"
        )))
    }
}

impl Drop for SignedWorld {
    fn drop(&mut self) {
        for pid in &self.pids {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
