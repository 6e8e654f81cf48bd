//! The real `bootstrap` binary, driven through a Lambda Runtime API emulator on loopback:
//! a scheduled sweep that publishes an alert, then an unknown event that must fail with its error type.

mod common;

use common::{Lab, provider_world};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the function sent back for one invocation.
#[derive(Debug)]
enum Outcome {
    Response(String),
    Error(String),
}

/// A minimal Runtime API: hands out `events` in order, collects responses and errors.
fn runtime_api(events: Vec<String>) -> (String, mpsc::Receiver<(String, Outcome)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    let queue = Arc::new(Mutex::new(
        events.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            let (queue, tx) = (queue.clone(), tx.clone());
            std::thread::spawn(move || serve(conn, &queue, &tx));
        }
    });
    (addr, rx)
}

fn serve(
    conn: TcpStream,
    queue: &Mutex<Vec<(usize, String)>>,
    tx: &mpsc::Sender<(String, Outcome)>,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut len = 0;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h == "\r\n" || h.is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let body = String::from_utf8_lossy(&body).into_owned();
        if path.ends_with("/invocation/next") {
            let next = {
                let mut q = queue.lock().unwrap();
                if q.is_empty() {
                    None
                } else {
                    Some(q.remove(0))
                }
            };
            let Some((i, event)) = next else {
                std::thread::sleep(Duration::from_mins(10));
                return;
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 60_000;
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-{i}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:acm-dns-doctor\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\
                 Content-Length: {}\r\n\r\n{event}",
                event.len()
            )
            .unwrap();
        } else {
            let id = path.split('/').nth(4).unwrap_or("").to_owned();
            let outcome = if path.ends_with("/response") {
                Outcome::Response(body)
            } else {
                Outcome::Error(body)
            };
            out.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")
                .unwrap();
            let _ = tx.send((id, outcome));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_serves_a_scheduled_sweep_and_rejects_an_unknown_event() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (_, rec) = lab.request("boot-shop.com", &[]).await;
    let world = provider_world(
        "boot-shop.com",
        &format!("{} 300 CNAME {}", rec.name.trim_end_matches('.'), rec.value),
    )
    .await;

    let sweep = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/scheduled-event.json"
    ))
    .unwrap();
    let (api, rx) = runtime_api(vec![sweep, "{\"hello\":\"world\"}".into()]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "acm-dns-doctor")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/acm-dns-doctor")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_ENDPOINT_URL", lab.moto.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("TOPIC_ARN", &alerts.topic_arn)
        .env("RESOLVERS", world.resolver().to_string())
        .env("DNS_PORT", world.port().to_string())
        .env("DNS_TIMEOUT_MS", "700")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    let first = tokio::task::block_in_place(|| rx.recv_timeout(Duration::from_mins(1))).unwrap();
    let second = tokio::task::block_in_place(|| rx.recv_timeout(Duration::from_mins(1))).unwrap();
    child.kill().unwrap();
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let _ = child.wait();

    match first {
        (id, Outcome::Response(body)) => {
            assert_eq!(id, "req-0");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["trigger"], "sweep");
            assert_eq!(v["certificates_checked"], 1);
            assert_eq!(v["alerts_published"], 1);
            assert_eq!(v["findings"]["DOUBLED_DOMAIN"], 1);
        }
        other => panic!("{other:?}"),
    }
    match second {
        (id, Outcome::Error(body)) => {
            assert_eq!(id, "req-1");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["errorType"], "BadEvent", "{body}");
            assert!(
                v["errorMessage"]
                    .as_str()
                    .unwrap()
                    .contains("unrecognised event"),
                "{body}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(alerts.received().await.len(), 1);
    let summary = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v.to_string().contains("invocation summary"))
        .unwrap_or_else(|| panic!("no JSON summary line in logs:\n{logs}"));
    assert!(
        summary.to_string().contains("alerts_published"),
        "{summary}"
    );
    // The summary line is an Embedded Metric Format document: CloudWatch makes metrics of it.
    let emf = &summary["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(emf["Namespace"], "acm-dns-doctor", "{summary}");
    assert!(summary["AlertsPublished"].is_number(), "{summary}");
}
