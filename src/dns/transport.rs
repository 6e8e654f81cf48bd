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
            None => {}
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
    // A garbled or foreign datagram may be an attacker's or a broken middlebox's: keep waiting for
    // the real reply, and say what was seen if none comes.
    let mut garbled: Option<WireError> = None;
    loop {
        let (n, from) = match timeout_at(deadline, sock.recv_from(&mut buf)).await {
            Err(_) => return garbled.map_or(Ok(None), |e| Err(e.into())),
            Ok(r) => r?,
        };
        if from != server {
            continue;
        }
        match wire::decode_reply(&buf[..n], id) {
            Ok(msg) => return Ok(Some(msg)),
            Err(e) => garbled = Some(e),
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

#[cfg(test)]
mod tests {
    //! A hostile or broken server on loopback: garbage, foreign ids, silence, truncation.
    use super::*;
    use hickory_proto::op::{MessageType, OpCode};
    use hickory_proto::rr::RecordType;
    use tokio::net::TcpListener;

    fn reply(id: u16, truncated: bool) -> Vec<u8> {
        let mut m = Message::new(id, MessageType::Response, OpCode::Query);
        m.metadata.truncation = truncated;
        m.to_vec().unwrap()
    }

    /// A UDP server that answers each question with what `answer` makes of its id.
    async fn udp_server(answer: fn(u16) -> Vec<Vec<u8>>) -> SocketAddr {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let id = u16::from_be_bytes([buf[0], buf[1]]);
                let _ = n;
                for datagram in answer(id) {
                    let _ = sock.send_to(&datagram, from).await;
                }
            }
        });
        addr
    }

    fn query(id: u16) -> Vec<u8> {
        wire::build_query(
            id,
            "example.com.",
            RecordType::CNAME,
            wire::Flags::Authoritative,
        )
        .unwrap()
    }

    const T: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn garbage_is_a_malformed_reply() {
        let addr = udp_server(|_| vec![vec![0xde, 0xad, 0xbe, 0xef, 1, 2, 3]]).await;
        let e = exchange(addr, &query(9), 9, T, 1).await.unwrap_err();
        assert!(
            matches!(e, TransportError::Wire(WireError::Malformed(_))),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_reply_to_another_question_is_ignored() {
        let addr = udp_server(|id| vec![reply(id.wrapping_add(1), false), reply(id, false)]).await;
        let m = exchange(addr, &query(77), 77, T, 1).await.unwrap();
        assert_eq!(m.metadata.id, 77);
    }

    #[tokio::test]
    async fn silence_is_a_timeout_after_every_attempt() {
        let addr = udp_server(|_| vec![]).await;
        let e = exchange(addr, &query(1), 1, Duration::from_millis(100), 2)
            .await
            .unwrap_err();
        assert!(
            matches!(e, TransportError::Timeout { attempts: 2, .. }),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_truncated_reply_is_asked_again_over_tcp() {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let tcp = TcpListener::bind(addr).await.unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let (_, from) = udp.recv_from(&mut buf).await.unwrap();
            let id = u16::from_be_bytes([buf[0], buf[1]]);
            udp.send_to(&reply(id, true), from).await.unwrap();
        });
        tokio::spawn(async move {
            let (mut s, _) = tcp.accept().await.unwrap();
            let n = s.read_u16().await.unwrap() as usize;
            let mut q = vec![0u8; n];
            s.read_exact(&mut q).await.unwrap();
            let r = reply(u16::from_be_bytes([q[0], q[1]]), false);
            s.write_all(&u16::try_from(r.len()).unwrap().to_be_bytes())
                .await
                .unwrap();
            s.write_all(&r).await.unwrap();
        });
        let m = exchange(addr, &query(5), 5, T, 1).await.unwrap();
        assert!(!m.metadata.truncation);
    }
}
