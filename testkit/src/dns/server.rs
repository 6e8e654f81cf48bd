//! DNS transport (UDP and TCP serving loops, a small client) and the authoritative server.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::Name;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};

use super::Behaviour;
use super::world::{Shared, lock};
use super::zone::Lookup;

/// EDNS payload size advertised by every server and by the resolver's upstream queries.
const EDNS_PAYLOAD: u16 = 1232;

/// Something that answers DNS queries; `None` means "do not answer".
pub(crate) trait Handler: Send + Sync + 'static {
    /// Answers one query (already checked to be a query message).
    fn handle(&self, query: Message) -> impl Future<Output = Option<Message>> + Send;
}

/// Serves `handler` on a UDP socket forever; unparseable datagrams are ignored.
pub(crate) async fn serve_udp<H: Handler>(socket: UdpSocket, handler: Arc<H>) {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; 65_535];
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(_) => {
                tokio::task::yield_now().await;
                continue;
            }
        };
        let Some(query) = parse_query(&buf[..len]) else {
            continue;
        };
        let limit = usize::from(query.max_payload());
        let (socket, handler) = (socket.clone(), handler.clone());
        tokio::spawn(async move {
            if let Some(response) = handler.handle(query).await
                && let Some(bytes) = encode(&response, Some(limit))
            {
                let _ = socket.send_to(&bytes, peer).await;
            }
        });
    }
}

/// Serves `handler` on a TCP listener forever (2-byte length framing, several queries per
/// connection).
pub(crate) async fn serve_tcp<H: Handler>(listener: TcpListener, handler: Arc<H>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let handler = handler.clone();
                tokio::spawn(async move {
                    let _ = serve_connection(stream, handler).await;
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn serve_connection<H: Handler>(mut stream: TcpStream, handler: Arc<H>) -> io::Result<()> {
    loop {
        let len = stream.read_u16().await?;
        let mut buf = vec![0u8; usize::from(len)];
        stream.read_exact(&mut buf).await?;
        let Some(query) = parse_query(&buf) else {
            return Ok(());
        };
        if let Some(response) = handler.handle(query).await
            && let Some(bytes) = encode(&response, None)
        {
            write_framed(&mut stream, &bytes).await?;
        }
    }
}

/// Decodes a query message; `None` for garbage and for responses.
fn parse_query(bytes: &[u8]) -> Option<Message> {
    let message = Message::from_vec(bytes).ok()?;
    (message.metadata.message_type == MessageType::Query).then_some(message)
}

/// Encodes a response; over UDP (`limit` set) an oversized response is truncated (TC=1, only the
/// question kept). An unencodable response becomes SERVFAIL.
fn encode(response: &Message, limit: Option<usize>) -> Option<Vec<u8>> {
    let bytes = match response.to_vec() {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut failure = response.clone();
            failure.answers.clear();
            failure.authorities.clear();
            failure.additionals.clear();
            failure.metadata.response_code = ResponseCode::ServFail;
            return failure.to_vec().ok();
        }
    };
    match limit {
        Some(limit) if bytes.len() > limit => {
            let mut truncated = response.clone();
            truncated.answers.clear();
            truncated.authorities.clear();
            truncated.additionals.clear();
            truncated.metadata.truncation = true;
            truncated.to_vec().ok()
        }
        _ => Some(bytes),
    }
}

async fn write_framed(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    let len = u16::try_from(bytes.len()).map_err(|_| io::Error::other("DNS message too long"))?;
    let mut framed = Vec::with_capacity(bytes.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(bytes);
    stream.write_all(&framed).await
}

/// Starts a response to `query`: id, opcode, question and RD echoed, EDNS if the query had it.
pub(crate) fn response_to(query: &Message, code: ResponseCode) -> Message {
    let mut response = Message::response(query.metadata.id, query.metadata.op_code);
    response.metadata.recursion_desired = query.metadata.recursion_desired;
    response.metadata.response_code = code;
    response.queries = query.queries.clone();
    if query.edns.is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        response.edns = Some(edns);
    }
    response
}

/// The single question of a standard query, or the error code to answer instead.
pub(crate) fn question(query: &Message) -> Result<Query, ResponseCode> {
    if query.metadata.op_code != OpCode::Query {
        return Err(ResponseCode::NotImp);
    }
    match query.queries.as_slice() {
        [question] => Ok(question.clone()),
        _ => Err(ResponseCode::FormErr),
    }
}

/// Sends `query` to `server` from an ephemeral port on `local`, over UDP then, if the answer is
/// truncated, over TCP. Non-loopback servers are never contacted.
pub(crate) async fn exchange(
    local: Ipv4Addr,
    server: SocketAddr,
    query: &Message,
    timeout: Duration,
) -> io::Result<Message> {
    if !server.ip().is_loopback() {
        return Err(io::Error::other(
            "refusing to contact a non-loopback address",
        ));
    }
    let bytes = query.to_vec().map_err(io::Error::other)?;
    let exchange = async {
        let response = exchange_udp(local, server, query, &bytes).await?;
        if response.metadata.truncation {
            exchange_tcp(local, server, query, &bytes).await
        } else {
            Ok(response)
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "DNS query timed out"))?
}

async fn exchange_udp(
    local: Ipv4Addr,
    server: SocketAddr,
    query: &Message,
    bytes: &[u8],
) -> io::Result<Message> {
    let socket = UdpSocket::bind(SocketAddr::from((local, 0))).await?;
    socket.send_to(bytes, server).await?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let (len, from) = socket.recv_from(&mut buf).await?;
        if from != server {
            continue;
        }
        if let Some(response) = matching_response(query, &buf[..len]) {
            return Ok(response);
        }
    }
}

async fn exchange_tcp(
    local: Ipv4Addr,
    server: SocketAddr,
    query: &Message,
    bytes: &[u8],
) -> io::Result<Message> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((local, 0)))?;
    let mut stream = socket.connect(server).await?;
    write_framed(&mut stream, bytes).await?;
    loop {
        let len = stream.read_u16().await?;
        let mut buf = vec![0u8; usize::from(len)];
        stream.read_exact(&mut buf).await?;
        if let Some(response) = matching_response(query, &buf) {
            return Ok(response);
        }
    }
}

/// Decodes `bytes` if it is the response to `query` (same id and question).
fn matching_response(query: &Message, bytes: &[u8]) -> Option<Message> {
    let response = Message::from_vec(bytes).ok()?;
    let matches = response.metadata.message_type == MessageType::Response
        && response.metadata.id == query.metadata.id
        && response.queries == query.queries;
    matches.then_some(response)
}

/// The authoritative name server of one host.
pub(crate) struct AuthServer {
    shared: Arc<Shared>,
    host: Name,
}

impl AuthServer {
    /// The server of `host` (a key of `shared.hosts`).
    pub fn new(shared: Arc<Shared>, host: Name) -> Self {
        Self { shared, host }
    }

    fn answer(&self, query: &Message) -> Option<Message> {
        let question = match question(query) {
            Ok(question) => question,
            Err(code) => return Some(response_to(query, code)),
        };
        let hosts = lock(&self.shared.hosts);
        let host = hosts.get(&self.host)?;
        match host.behaviour {
            Behaviour::Normal | Behaviour::Slow(_) => {}
            Behaviour::ServFail => return Some(response_to(query, ResponseCode::ServFail)),
            Behaviour::Refused => return Some(response_to(query, ResponseCode::Refused)),
            Behaviour::Silent => return None,
        }
        let qname = question.name();
        let Some(zone) = host
            .zones
            .iter()
            .filter(|z| z.apex.zone_of(qname))
            .max_by_key(|z| z.apex.num_labels())
        else {
            return Some(response_to(query, ResponseCode::Refused));
        };
        let mut response = response_to(query, ResponseCode::NoError);
        response.metadata.authoritative = true;
        match zone.lookup(qname, question.query_type()) {
            Lookup::Answer(records) => response.answers = records,
            Lookup::Referral { ns, glue } => {
                response.metadata.authoritative = false;
                response.authorities = ns;
                response.additionals = glue;
            }
            Lookup::NoData(soa) => response.authorities = soa.into_iter().collect(),
            Lookup::NxDomain(soa) => {
                response.metadata.response_code = ResponseCode::NXDomain;
                response.authorities = soa.into_iter().collect();
            }
        }
        Some(response)
    }
}

impl Handler for AuthServer {
    async fn handle(&self, query: Message) -> Option<Message> {
        let delay = match lock(&self.shared.hosts)
            .get(&self.host)
            .map(|h| h.behaviour)
        {
            Some(Behaviour::Slow(d)) => d,
            _ => std::time::Duration::ZERO,
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.answer(&query)
    }
}
