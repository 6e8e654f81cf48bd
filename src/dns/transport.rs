//! Moving DNS messages with hickory's clients: UDP first (`UdpClientStream`, which checks the
//! source address, the id and the question of every reply), TCP when the reply is truncated
//! (`TcpClientStream`). Bounded by a timeout per attempt.

use futures::StreamExt;
use hickory_net::NetError;
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::udp::UdpClientStream;
use hickory_net::xfer::DnsHandle;
use hickory_proto::op::{DnsRequest, DnsRequestOptions, Message};
use std::net::SocketAddr;
use std::time::Duration;

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
    Io(String),
    /// The reply could not be read.
    #[error("malformed reply: {0}")]
    Malformed(String),
}

impl TransportError {
    fn from_net(e: &NetError, attempts: u8, timeout: Duration) -> Self {
        match e {
            NetError::Timeout => TransportError::Timeout {
                attempts,
                timeout_ms: timeout.as_millis(),
            },
            NetError::Io(io) => TransportError::Io(io.to_string()),
            NetError::Proto(p) => TransportError::Malformed(p.to_string()),
            other => TransportError::Io(other.to_string()),
        }
    }
}

/// Sends `query` to `server` and returns the matching reply: over UDP (`attempts` tries of
/// `timeout` each), then over TCP when that reply is truncated.
pub async fn exchange(
    server: SocketAddr,
    query: Message,
    timeout: Duration,
    attempts: u8,
) -> Result<Message, TransportError> {
    let attempts = attempts.max(1);
    let provider = TokioRuntimeProvider::new();
    // hickory's timeout bounds the whole exchange and `max_retries` counts every send: so the
    // question goes out `attempts` times, `timeout` apart, and the last one gets `timeout` too.
    let udp = UdpClientStream::builder(server, provider.clone())
        .with_timeout(Some(timeout * u32::from(attempts)))
        .with_max_retries(attempts)
        .with_retry_interval_floor(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
        .exchange();
    let reply = first(&udp, query.clone(), timeout)
        .await
        .map_err(|e| TransportError::from_net(&e, attempts, timeout))?;
    if !reply.metadata.truncation {
        return Ok(reply);
    }
    let tcp = TcpClientStream::exchange(server, None, timeout, Some(1), provider)
        .await
        .map_err(|e| TransportError::from_net(&e, 1, timeout))?;
    first(&tcp, query, timeout)
        .await
        .map_err(|e| TransportError::from_net(&e, 1, timeout))
}

/// The first reply to `query` through `handle`; over UDP, the question is sent again every `every`.
async fn first(
    handle: &impl DnsHandle,
    query: Message,
    every: Duration,
) -> Result<Message, NetError> {
    let mut options = DnsRequestOptions::default();
    options.retry_interval = every;
    let mut replies = handle.send(DnsRequest::new(query, options));
    match replies.next().await {
        Some(reply) => Ok(reply?.into_message()),
        // The stream ends with no reply when every attempt timed out.
        None => Err(NetError::Timeout),
    }
}

#[cfg(test)]
mod tests {
    //! A hostile or broken server on loopback: garbage, foreign ids and questions, silence,
    //! truncation.
    use super::*;
    use crate::dns::wire;
    use hickory_proto::op::{MessageType, OpCode};
    use hickory_proto::rr::RecordType;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, UdpSocket};

    /// A reply to `question` (its bytes): its id and question, and nothing else.
    fn reply_to(question: &[u8], truncated: bool) -> Vec<u8> {
        let q = Message::from_vec(question).unwrap();
        let mut m = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
        m.metadata.truncation = truncated;
        m.add_queries(q.queries);
        m.to_vec().unwrap()
    }

    /// A UDP server that answers each question (its bytes) with the datagrams `answer` makes.
    async fn udp_server(answer: fn(&[u8]) -> Vec<Vec<u8>>) -> SocketAddr {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                for datagram in answer(&buf[..n]) {
                    let _ = sock.send_to(&datagram, from).await;
                }
            }
        });
        addr
    }

    fn query(id: u16) -> Message {
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
    async fn garbage_under_the_right_id_is_a_malformed_reply() {
        let addr = udp_server(|q| vec![vec![q[0], q[1], 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]]).await;
        let e = exchange(addr, query(9), T, 1).await.unwrap_err();
        assert!(matches!(e, TransportError::Malformed(_)), "{e}");
    }

    #[tokio::test]
    async fn garbage_foreign_ids_and_foreign_questions_are_ignored() {
        let addr = udp_server(|q| {
            let mut other_id = reply_to(q, false);
            other_id[1] = other_id[1].wrapping_add(1);
            let other_question = {
                let mut m = Message::from_vec(&reply_to(q, false)).unwrap();
                m.queries[0] = hickory_proto::op::Query::query(
                    hickory_proto::rr::Name::from_ascii("evil.test.").unwrap(),
                    RecordType::CNAME,
                );
                m.to_vec().unwrap()
            };
            vec![
                vec![0xde, 0xad],
                other_id,
                other_question,
                reply_to(q, false),
            ]
        })
        .await;
        let m = exchange(addr, query(77), T, 1).await.unwrap();
        assert_eq!(m.metadata.id, 77);
        assert_eq!(m.queries[0].name().to_ascii(), "example.com.");
    }

    #[tokio::test]
    async fn a_lost_datagram_is_sent_again() {
        // Drops the first copy of each question, answers the second.
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let mut seen = 0;
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                seen += 1;
                if seen % 2 == 0 {
                    let _ = sock.send_to(&reply_to(&buf[..n], false), from).await;
                }
            }
        });
        let m = exchange(addr, query(3), Duration::from_millis(150), 2)
            .await
            .expect("the second attempt is answered");
        assert_eq!(m.metadata.id, 3);
        // With one attempt, the dropped copy is all there is.
        let e = exchange(addr, query(4), Duration::from_millis(150), 1).await;
        assert!(
            matches!(e, Err(TransportError::Timeout { attempts: 1, .. })),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn silence_is_a_timeout_after_every_attempt() {
        let addr = udp_server(|_| vec![]).await;
        let e = exchange(addr, query(1), Duration::from_millis(100), 2)
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
            let (n, from) = udp.recv_from(&mut buf).await.unwrap();
            udp.send_to(&reply_to(&buf[..n], true), from).await.unwrap();
        });
        tokio::spawn(async move {
            let (mut s, _) = tcp.accept().await.unwrap();
            let n = s.read_u16().await.unwrap() as usize;
            let mut q = vec![0u8; n];
            s.read_exact(&mut q).await.unwrap();
            let r = reply_to(&q, false);
            s.write_all(&u16::try_from(r.len()).unwrap().to_be_bytes())
                .await
                .unwrap();
            s.write_all(&r).await.unwrap();
        });
        let m = exchange(addr, query(5), T, 1).await.unwrap();
        assert!(!m.metadata.truncation);
    }
}
