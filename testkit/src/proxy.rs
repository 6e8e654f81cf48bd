//! A reverse proxy in front of moto that behaves like AWS under load: per-call latency, quotas
//! enforced per (access key, Region, API) answering `ThrottlingException` / `Throttling` past
//! them, and injected faults (throttling bursts, 5xx, errors, slow or hanging calls) matched by
//! Region, API or a string in the request. Loopback only.
//!
//! It speaks just enough HTTP/1.1 for the AWS SDK: one request per connection (`Connection:
//! close` both ways), bodies with `Content-Length`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// What to do with a matching call.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer the protocol's throttling error.
    Throttle,
    /// Answer this 5xx status with an `InternalFailure` / `ServiceUnavailable` error.
    ServerError(u16),
    /// Answer an error with this status and code (`AccessDenied`, ...).
    Error(u16, String),
    /// Forward after this delay.
    Slow(Duration),
    /// Never answer.
    Hang,
}

/// A fault: which calls, what happens, and how many times (none: always).
#[derive(Debug, Clone)]
pub struct Fault {
    /// Only calls signed for this Region.
    pub region: Option<String>,
    /// Only this API (`acm:DescribeCertificate`).
    pub action: Option<String>,
    /// Only requests whose body contains this.
    pub body_contains: Option<String>,
    /// What happens.
    pub kind: FaultKind,
    /// How many more calls it applies to (none: every call).
    pub remaining: Option<usize>,
}

impl Fault {
    /// A fault for every call of `action` (any Region).
    pub fn on(action: &str, kind: FaultKind) -> Fault {
        Fault {
            region: None,
            action: Some(action.to_owned()),
            body_contains: None,
            kind,
            remaining: None,
        }
    }

    /// A fault for every call signed for `region`.
    pub fn region(region: &str, kind: FaultKind) -> Fault {
        Fault {
            region: Some(region.to_owned()),
            action: None,
            body_contains: None,
            kind,
            remaining: None,
        }
    }

    /// Only the next `n` matching calls.
    pub fn times(mut self, n: usize) -> Fault {
        self.remaining = Some(n);
        self
    }

    /// Only requests whose body contains `text` (a certificate ARN, say).
    pub fn containing(mut self, text: &str) -> Fault {
        self.body_contains = Some(text.to_owned());
        self
    }
}

/// What the proxy saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Calls per API (all of them, whatever the answer).
    pub calls: HashMap<String, u64>,
    /// Calls answered with a throttle (quota or fault) per API.
    pub throttled: HashMap<String, u64>,
    /// Calls answered with another injected error.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Rules {
    latency: Option<(Duration, Duration)>,
    quotas: HashMap<String, (f64, u32)>,
    faults: Vec<Fault>,
    buckets: HashMap<(String, String, String), Instant>,
    stats: ProxyStats,
    seed: u64,
}

/// The proxy (stops when dropped).
pub struct Proxy {
    addr: SocketAddr,
    rules: Arc<Mutex<Rules>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy on a free loopback port forwarding to `upstream` (moto's endpoint URL).
    pub async fn start(upstream: &str) -> std::io::Result<Proxy> {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .map_err(std::io::Error::other)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let rules = Arc::new(Mutex::new(Rules {
            seed: 0x9e37_79b9_7f4a_7c15,
            ..Rules::default()
        }));
        let shared = rules.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let rules = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(client, upstream, rules).await;
                });
            }
        });
        Ok(Proxy { addr, rules, task })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call waits a uniform random time in `min..=max` before it is forwarded.
    pub fn set_latency(&self, min: Duration, max: Duration) {
        self.lock().latency = Some((min, max));
    }

    /// Enforces `per_second` (bucket `burst`) on `action`, per access key and Region.
    pub fn set_quota(&self, action: &str, per_second: f64, burst: u32) {
        self.lock()
            .quotas
            .insert(action.to_owned(), (per_second, burst.max(1)));
    }

    /// Adds a fault (the first matching fault applies).
    pub fn add_fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// What the proxy saw so far.
    pub fn stats(&self) -> ProxyStats {
        self.lock().stats.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rules> {
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One parsed request.
struct Request {
    head: String,
    body: Vec<u8>,
    action: String,
    region: String,
    key: String,
    json: bool,
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    rules: Arc<Mutex<Rules>>,
) -> std::io::Result<()> {
    let Some(req) = read_request(&mut client).await? else {
        return Ok(());
    };
    let (delay, answer) = decide(&rules, &req);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = match answer {
        Some(FaultKind::Hang) => {
            // Hold the connection until the client gives up.
            let mut sink = [0u8; 1];
            let _ = client.read(&mut sink).await;
            return Ok(());
        }
        Some(FaultKind::Throttle) => error_response(&req, 400, "Throttling"),
        Some(FaultKind::ServerError(status)) => {
            let code = if status == 503 {
                "ServiceUnavailable"
            } else {
                "InternalFailure"
            };
            error_response(&req, status, code)
        }
        Some(FaultKind::Error(status, code)) => error_response(&req, status, &code),
        Some(FaultKind::Slow(_)) | None => forward(&req, upstream).await?,
    };
    client.write_all(&response).await?;
    client.shutdown().await
}

/// The latency to add and the injected answer, if any (quotas and faults); counts the call.
fn decide(rules: &Mutex<Rules>, req: &Request) -> (Duration, Option<FaultKind>) {
    let mut r = rules
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *r.stats.calls.entry(req.action.clone()).or_default() += 1;
    let mut delay = Duration::ZERO;
    if let Some((min, max)) = r.latency {
        // xorshift: reproducible spread without a dependency.
        r.seed ^= r.seed << 13;
        r.seed ^= r.seed >> 7;
        r.seed ^= r.seed << 17;
        let span = max.saturating_sub(min).as_micros().max(1);
        #[allow(clippy::cast_possible_truncation)]
        let extra = (u128::from(r.seed) % (span + 1)) as u64;
        delay = min + Duration::from_micros(extra);
    }
    let body = String::from_utf8_lossy(&req.body);
    let found = r.faults.iter_mut().position(|f| {
        f.region.as_ref().is_none_or(|x| *x == req.region)
            && f.action.as_ref().is_none_or(|x| *x == req.action)
            && f.body_contains
                .as_ref()
                .is_none_or(|x| body.contains(x.as_str()))
            && f.remaining != Some(0)
    });
    let mut answer = None;
    if let Some(i) = found {
        let f = &mut r.faults[i];
        if let Some(n) = &mut f.remaining {
            *n -= 1;
        }
        answer = Some(f.kind.clone());
        if let FaultKind::Slow(d) = f.kind {
            delay += d;
        }
    }
    if answer.is_none()
        && let Some(&(per_second, burst)) = r.quotas.get(&req.action)
    {
        // GCRA: conforming calls move the theoretical arrival time on; others are throttled.
        let now = Instant::now();
        let interval = Duration::from_secs_f64(1.0 / per_second);
        let tolerance = interval * (burst - 1);
        let key = (req.key.clone(), req.region.clone(), req.action.clone());
        let tat = *r.buckets.get(&key).unwrap_or(&now);
        if tat.checked_sub(tolerance).is_some_and(|t| now < t) {
            answer = Some(FaultKind::Throttle);
        } else {
            r.buckets.insert(key, tat.max(now) + interval);
        }
    }
    match &answer {
        Some(FaultKind::Throttle) => {
            *r.stats.throttled.entry(req.action.clone()).or_default() += 1;
        }
        Some(FaultKind::ServerError(_) | FaultKind::Error(..)) => r.stats.failed += 1,
        _ => {}
    }
    (delay, answer)
}

async fn read_request(s: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    // Credential=AKID/DATE/REGION/SERVICE/aws4_request
    let scope: Vec<String> = header("authorization")
        .and_then(|a| {
            let c = a.split("Credential=").nth(1)?;
            Some(c.split(',').next()?.split('/').map(str::to_owned).collect())
        })
        .unwrap_or_default();
    let key = scope.first().cloned().unwrap_or_default();
    let region = scope.get(2).cloned().unwrap_or_default();
    let service = scope.get(3).cloned().unwrap_or_default();
    let target = header("x-amz-target");
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let method = head.split_whitespace().next().unwrap_or("GET").to_owned();
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let op = if let Some(t) = &target {
        t.rsplit('.').next().unwrap_or_default().to_owned()
    } else if service == "route53" {
        route53_operation(&method, &path)
    } else {
        body_text
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
            .unwrap_or("Unknown")
            .to_owned()
    };
    Ok(Some(Request {
        head,
        body,
        action: format!("{service}:{op}"),
        region,
        key,
        json: target.is_some(),
    }))
}

/// Route 53's REST paths, as the operations this project calls.
fn route53_operation(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = match (method, parts.get(1).copied(), parts.len()) {
        ("GET", Some("hostedzone"), 2) => "ListHostedZones",
        ("GET", Some("hostedzonesbyname"), _) => "ListHostedZonesByName",
        ("POST", Some("hostedzone"), 2) => "CreateHostedZone",
        ("GET", Some("hostedzone"), 3) => "GetHostedZone",
        ("GET", Some("hostedzone"), 4) => "ListResourceRecordSets",
        ("POST", Some("hostedzone"), 4) => "ChangeResourceRecordSets",
        ("GET", Some("change"), _) => "GetChange",
        _ => "Unknown",
    };
    op.to_owned()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The request sent on to moto on a fresh connection; moto's answer, marked `Connection: close`.
async fn forward(req: &Request, upstream: SocketAddr) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(close(&req.head).as_bytes()).await?;
    up.write_all(&req.body).await?;
    let mut out = Vec::new();
    up.read_to_end(&mut out).await?;
    let Some(i) = find(&out, b"\r\n\r\n") else {
        return Ok(out);
    };
    let head = String::from_utf8_lossy(&out[..i + 4]).into_owned();
    let mut fixed = close(&head).into_bytes();
    fixed.extend_from_slice(&out[i + 4..]);
    Ok(fixed)
}

/// A message head with `Connection: close` in place of any `Connection` header.
fn close(head: &str) -> String {
    let mut lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|l| {
            !l.split(':')
                .next()
                .is_some_and(|k| k.trim().eq_ignore_ascii_case("connection"))
        })
        .collect();
    lines.push("Connection: close");
    lines.join("\r\n") + "\r\n\r\n"
}

/// An AWS error in the request's protocol: JSON (`x-amzn-ErrorType`) or XML (`<Code>`).
fn error_response(req: &Request, status: u16, code: &str) -> Vec<u8> {
    let code = if req.json && code == "Throttling" {
        "ThrottlingException"
    } else {
        code
    };
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let (content_type, body) = if req.json {
        (
            "application/x-amz-json-1.1",
            format!("{{\"__type\":\"{code}\",\"message\":\"injected by the test proxy\"}}"),
        )
    } else {
        (
            "text/xml",
            format!(
                "<?xml version=\"1.0\"?><ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the test proxy</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
            ),
        )
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if req.json {
        head.push_str(&format!("x-amzn-ErrorType: {code}\r\n"));
    }
    head.push_str("x-amzn-RequestId: proxy\r\n\r\n");
    (head + &body).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route53_paths_name_their_operations() {
        assert_eq!(
            route53_operation("GET", "/2013-04-01/hostedzone"),
            "ListHostedZones"
        );
        assert_eq!(
            route53_operation("GET", "/2013-04-01/hostedzone/Z1"),
            "GetHostedZone"
        );
        assert_eq!(
            route53_operation("GET", "/2013-04-01/hostedzone/Z1/rrset?maxitems=300"),
            "ListResourceRecordSets"
        );
    }

    #[test]
    fn close_replaces_the_connection_header() {
        let h = close("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n");
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        );
    }
}
