//! Benchmark: `acm-dns-doctor sweep` over N pending certificates (half healthy, half with the apex
//! appended) against moto and a loopback DNS internet. Reports wall time, time per certificate and the
//! CLI process's peak memory (VmHWM, polled from /proc). Run: `scripts/bench [N]` (release build).

#[path = "../tests/common/mod.rs"]
mod common;

use acm_dns_doctor_testkit::dns::Internet;
use common::{Lab, OTHER_HOSTS};
use std::time::{Duration, Instant};

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let runs = 3;
    let lab = Lab::new().await;
    let mut net = Internet::new();
    for i in 0..n {
        let domain = format!("bench{i}.com");
        let (_, rec) = lab.request(&domain, &[&format!("*.{domain}")]).await;
        let owner = if i % 2 == 0 {
            rec.name.clone()
        } else {
            rec.name.trim_end_matches('.').to_owned()
        };
        net.zone(
            &domain,
            &OTHER_HOSTS,
            &format!("{owner} 300 CNAME {}", rec.value),
        );
    }
    let world = net.start().await.unwrap();
    println!("sweep of {n} certificates (each with an apex and a wildcard name), {runs} runs:");
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..runs {
        world.flush_resolver_cache();
        let start = Instant::now();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_acm-dns-doctor"))
            .args(["sweep", "--format", "json", "--max-concurrency", "4"])
            .args([
                "--resolver",
                &world.resolver().to_string(),
                "--dns-port",
                &world.port().to_string(),
            ])
            .env_clear()
            .env("AWS_ENDPOINT_URL", lab.moto.endpoint())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        // Read the report while the child runs: a full pipe would block it.
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
        });
        let mut peak = 0;
        while child.try_wait().unwrap().is_none() {
            if let Some(kib) = peak_rss_kib(pid) {
                peak = peak.max(kib);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let wall = start.elapsed();
        let stdout = reader.join().unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&stdout).expect("JSON report");
        let certs = v["certificates"].as_array().map_or(0, Vec::len);
        assert_eq!(certs, n, "every certificate reported");
        walls.push(wall);
        peaks.push(peak);
    }
    walls.sort();
    let median = walls[runs / 2];
    println!(
        "  wall: median {:.2} s (min {:.2}, max {:.2}); {:.1} ms per certificate",
        median.as_secs_f64(),
        walls[0].as_secs_f64(),
        walls[runs - 1].as_secs_f64(),
        median.as_secs_f64() * 1000.0 / f64::from(u32::try_from(n).unwrap_or(u32::MAX))
    );
    println!(
        "  peak RSS of the CLI: {} MiB (max of {runs} runs)",
        peaks.iter().max().unwrap() / 1024
    );
}
