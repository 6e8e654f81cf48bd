//! Moving DNS messages: UDP first, TCP when the reply is truncated. Bounded by a timeout per attempt.

use super::wire::{self, WireError};
use hickory_proto::op::Message;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

/// Why no reply was had from a server.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Nothing came back in time, on any attempt.
    #[error("timed out after {attempts} attempt(s) of {timeout_ms} ms")]
    Timeout {
        /// Attempts made.
        attempts: u8,
        /// Timeout of each, milliseconds.
        timeout_ms: u128,
    },
    /// A socket error (unreachable, refused, ...).
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    /// The reply could not be read.
    #[error(transparent)]
    Wire(#[from] WireError),
}

/// Largest UDP reply we read.
const MAX_UDP: usize = 4096;

/// Sends `query` (with id `id`) to `server` and returns the matching reply.
pub async fn exchange(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    timeout: Duration,
    attempts: u8,
) -> Result<Message, TransportError> {
    let attempts = attempts.max(1);
    for _ in 0..attempts {
        match udp_once(server, query, id, timeout).await? {
            Some(msg) if msg.metadata.truncation => return tcp(server, query, id, timeout).await,
            Some(msg) => return Ok(msg),
            None => continue,
        }
    }
    Err(TransportError::Timeout {
        attempts,
        timeout_ms: timeout.as_millis(),
    })
}

/// One UDP attempt: `None` on timeout. Replies from other addresses or to other ids are ignored.
async fn udp_once(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    timeout: Duration,
) -> Result<Option<Message>, TransportError> {
    let local: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let sock = UdpSocket::bind(local).await?;
    sock.send_to(query, server).await?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; MAX_UDP];
    loop {
        let (n, from) = match timeout_at(deadline, sock.recv_from(&mut buf)).await {
            Err(_) => return Ok(None),
            Ok(r) => r?,
        };
        if from != server {
            continue;
        }
        match wire::decode_reply(&buf[..n], id) {
            Ok(msg) => return Ok(Some(msg)),
            // A spoofed or garbled datagram: keep waiting for the real one, but remember why if none comes.
            Err(WireError::Malformed(m)) if m.contains("another question") => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// One TCP exchange (RFC 1035 4.2.2 length framing).
async fn tcp(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    timeout: Duration,
) -> Result<Message, TransportError> {
    let work = async {
        let mut s = TcpStream::connect(server).await?;
        let len = u16::try_from(query.len()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "question too long")
        })?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(query);
        s.write_all(&framed).await?;
        let n = s.read_u16().await? as usize;
        let mut buf = vec![0u8; n];
        s.read_exact(&mut buf).await?;
        Ok::<_, TransportError>(wire::decode_reply(&buf, id)?)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(TransportError::Timeout {
            attempts: 1,
            timeout_ms: timeout.as_millis(),
        }),
    }
}
