//! Benchmark at fleet scale, at the pace of the AWS quotas: N certificates (default 2,000) in one
//! account and Region, moto behind a proxy that adds 25–35 ms to every AWS call and enforces
//! ACM's and Route 53's quotas (answering `ThrottlingException` / `Throttling` past them), and
//! DNS servers that each answer after 10–60 ms. Half the certificates are healthy, half have the
//! apex appended.
//!
//! Reports, for the CLI's sweep (a release binary, as shipped) and then for the Lambda handler
//! in process (alerts, tags): wall time, the quota floor (the largest calls ÷ rate over the
//! paced APIs), their ratio, throttles, certificates not checked, and the CLI's peak RSS.
//! Run: `scripts/bench fleet [N] [Z]` (release build; defaults 2000 and 20 zones).

#![allow(clippy::cast_precision_loss)] // ratios for people to read

#[path = "../tests/common/mod.rs"]
mod common;

use acm_dns_doctor::aws::pace::Quotas;
use acm_dns_doctor::handler::{State, handle};
use acm_dns_doctor_testkit::dns::{Behaviour, Internet};
use acm_dns_doctor_testkit::proxy::{Proxy, ProxyStats};
use common::{Lab, OTHER_HOSTS, lambda_config, run_cli_measured};
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

/// The quotas the proxy enforces: the documented rates, with a bucket of one second's calls for
/// ACM (Route 53: 50).
const ENFORCED: &[(&str, f64, u32)] = &[
    ("acm:DescribeCertificate", 10.0, 10),
    ("acm:ListCertificates", 8.0, 8),
    ("acm:ListTagsForCertificate", 10.0, 10),
    ("acm:AddTagsToCertificate", 5.0, 5),
    ("acm:RemoveTagsFromCertificate", 5.0, 5),
    ("route53:ListHostedZones", 10.0, 50),
    ("route53:GetHostedZone", 10.0, 50),
    ("route53:ListResourceRecordSets", 10.0, 50),
];

/// The floor of a run: the largest calls ÷ rate over the paced APIs (Route 53's APIs share one
/// bucket per account), and which API sets it.
fn floor(calls: &ProxyStats) -> (f64, String) {
    let quotas = Quotas::default();
    let mut per_bucket: std::collections::BTreeMap<String, (f64, u64)> =
        std::collections::BTreeMap::new();
    for (action, n) in &calls.calls {
        let through = n - calls.throttled.get(action).copied().unwrap_or(0);
        if let Some((bucket, rate)) = quotas.of(action) {
            let e = per_bucket
                .entry(bucket.to_owned())
                .or_insert((rate.per_second, 0));
            e.1 += through;
        }
    }
    per_bucket
        .into_iter()
        .map(|(b, (rate, n))| (n as f64 / rate, format!("{b}: {n} calls at {rate}/s")))
        .fold((0.0, String::new()), |a, b| if b.0 > a.0 { b } else { a })
}

fn diff(after: &ProxyStats, before: &ProxyStats) -> ProxyStats {
    let sub = |a: &std::collections::HashMap<String, u64>,
               b: &std::collections::HashMap<String, u64>| {
        a.iter()
            .map(|(k, v)| (k.clone(), v - b.get(k).copied().unwrap_or(0)))
            .collect()
    };
    ProxyStats {
        calls: sub(&after.calls, &before.calls),
        throttled: sub(&after.throttled, &before.throttled),
        failed: after.failed - before.failed,
    }
}

fn report(what: &str, wall: Duration, stats: &ProxyStats, not_checked: usize) {
    let (floor, by) = floor(stats);
    let throttles: u64 = stats.throttled.values().sum();
    println!(
        "  {what}: wall {:.1} s; quota floor {floor:.1} s ({by}); ratio {:.3}; throttles {throttles}; not checked {not_checked}",
        wall.as_secs_f64(),
        wall.as_secs_f64() / floor.max(f64::EPSILON)
    );
}

#[tokio::main]
async fn main() {
    let (n, zones) = common::bench_sizes(2000, 20);
    let lab = Lab::new().await;
    println!(
        "fleet of {n} certificates in {zones} zones; AWS 25-35 ms a call at the quotas, DNS 10-60 ms a server"
    );
    let setup = Instant::now();
    let mut content = vec![String::new(); zones];
    let mut arns = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let made = futures::future::join_all(chunk.iter().map(|&i| {
            let lab = &lab;
            async move {
                let domain = format!("c{i}.fleet{}.com", i % zones);
                (i, lab.request(&domain, &[]).await)
            }
        }))
        .await;
        for (i, (arn, rec)) in made {
            let owner = if i % 2 == 0 {
                rec.name.clone()
            } else {
                rec.name.trim_end_matches('.').to_owned() // the apex appended
            };
            let _ = writeln!(content[i % zones], "{owner} 300 CNAME {}", rec.value);
            arns.push(arn);
        }
    }
    let mut net = Internet::new();
    for (z, records) in content.iter().enumerate() {
        net.zone(&format!("fleet{z}.com"), &OTHER_HOSTS, records);
    }
    let world = net.start().await.unwrap();
    for (k, host) in world.hosts().iter().enumerate() {
        let ms = 10 + (k as u64 * 37) % 51; // spread over 10..=60 ms
        world.set_behaviour(host, Behaviour::Slow(Duration::from_millis(ms)));
    }
    let proxy = Proxy::start(&lab.moto.endpoint()).await.unwrap();
    proxy.set_latency(Duration::from_millis(25), Duration::from_millis(35));
    for (action, rate, burst) in ENFORCED {
        proxy.set_quota(action, *rate, *burst);
    }
    println!("  setup: {:.1} s", setup.elapsed().as_secs_f64());

    // The CLI, as shipped.
    let before = proxy.stats();
    let run = run_cli_measured(
        env!("CARGO_BIN_EXE_acm-dns-doctor"),
        &proxy.endpoint(),
        &world,
        &["sweep", "--format", "json"],
        Duration::from_millis(20),
    )
    .await;
    let (wall, peak, stderr) = (run.wall, run.peak_kib, run.stderr);
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON report");
    let certs = v["certificates"].as_array().map_or(0, Vec::len);
    let not_checked = v["certificates"]
        .as_array()
        .map_or(0, |c| c.iter().filter(|c| c.get("error").is_some()).count());
    assert_eq!(certs, n, "every certificate reported");
    report(
        "CLI sweep",
        wall,
        &diff(&proxy.stats(), &before),
        not_checked,
    );
    println!(
        "    peak RSS {} MiB; progress lines on stderr: {}",
        peak / 1024,
        stderr
            .lines()
            .filter(|l| l.starts_with("progress:"))
            .count()
    );

    // The Lambda handler in process: the same sweep with its alerts and tags.
    let alerts = lab.alerts().await;
    let sdk = acm_dns_doctor::aws::config_loader()
        .endpoint_url(proxy.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_acm::config::Credentials::new(
            "test", "test", None, None, "bench",
        ))
        .load()
        .await;
    let mut config = lambda_config(&alerts, &world);
    config.dns = acm_dns_doctor::config::dns_config(vec![world.resolver()], world.port(), 1500);
    config.grace = Duration::ZERO;
    config.recheck_queue_url = None;
    let state = State::new(&sdk, config);
    let concurrency = state.doctor.concurrency(1);
    let before = proxy.stats();
    let start = Instant::now();
    let s = handle(
        &state,
        &serde_json::json!({"sweep": true}),
        SystemTime::now() + Duration::from_hours(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    let wall = start.elapsed();
    report(
        "Lambda sweep",
        wall,
        &diff(&proxy.stats(), &before),
        s.failed.len() + s.not_reached.len(),
    );
    println!(
        "    {} checked, {} alerts, concurrency {concurrency}, throttles seen by the SDK {}",
        s.certificates_checked, s.alerts_published, s.throttles
    );
}
