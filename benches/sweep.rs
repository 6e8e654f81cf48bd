//! Benchmark: `acm-dns-doctor sweep` over N pending certificates spread over Z zones (each with
//! its domain, a wildcard sharing its record, and `www`; half healthy, half with the apex
//! appended) against moto and a loopback DNS internet. Reports wall time, time per certificate
//! and the CLI process's peak memory (VmHWM, polled from /proc); then, in process, the DNS
//! questions of one run per validation record and per zone (recursive and authoritative), and
//! the run's wall time against asking the same certificates one question at a time.
//! Run: `scripts/bench [N] [Z]` (release build; defaults 50 and 10).

#![allow(clippy::cast_precision_loss)] // ratios for people to read

#[path = "../tests/common/mod.rs"]
mod common;

use acm_dns_doctor::dns::{Dns, Session, wire::Flags};
use acm_dns_doctor_testkit::dns::Internet;
use common::{Lab, OTHER_HOSTS, dns_config, run_cli_measured};
use hickory_proto::rr::RecordType;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// This benchmark measures the engine and its DNS, not the AWS quotas (`scripts/bench fleet` does):
/// moto has none, so the pace is lifted.
const UNPACED: &str =
    "acm:DescribeCertificate=100000,acm:ListCertificates=100000,route53=100000/100000";

#[tokio::main]
async fn main() {
    let (n, zones) = common::bench_sizes(50, 10);
    let runs = 3;
    let lab = Lab::new().await;
    let mut net = Internet::new();
    let mut content = vec![String::new(); zones];
    let mut arns = Vec::new();
    for i in 0..n {
        let domain = format!("c{i}.bench{}.com", i % zones);
        let (arn, _) = lab
            .request(&domain, &[&format!("*.{domain}"), &format!("www.{domain}")])
            .await;
        let cert = acm_dns_doctor::aws::acm::describe(
            &acm_dns_doctor::aws::Paced::with_default_quotas(lab.acm.clone()),
            &arn,
        )
        .await
        .unwrap();
        for t in cert.targets() {
            let owner = if i % 2 == 0 {
                t.record.name.clone()
            } else {
                t.record.name.trim_end_matches('.').to_owned() // the apex appended
            };
            let _ = writeln!(content[i % zones], "{owner} 300 CNAME {}", t.record.value);
        }
        arns.push(arn);
    }
    for (z, records) in content.iter().enumerate() {
        net.zone(&format!("bench{z}.com"), &OTHER_HOSTS, records);
    }
    let world = net.start().await.unwrap();
    println!(
        "sweep of {n} certificates in {zones} zones (each a domain, its wildcard and www), {runs} runs:"
    );
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..runs {
        world.flush_resolver_cache();
        let run = run_cli_measured(
            env!("CARGO_BIN_EXE_acm-dns-doctor"),
            &lab.moto.endpoint(),
            &world,
            &[
                "sweep",
                "--format",
                "json",
                "--max-concurrency",
                "4",
                "--api-rates",
                UNPACED,
            ],
            Duration::from_millis(5),
        )
        .await;
        let (wall, peak, stdout) = (run.wall, run.peak_kib, run.stdout);
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

    dns_cost(&lab, &world, &arns, zones).await;
}

/// One run in process: its DNS questions per record and per zone (all certificates, then the
/// healthy and the broken half each in a run of its own), and its wall time against the same
/// certificates asked one question at a time (the seed article's `dig` procedure: the CNAME from
/// the resolver, then the TXT, for each record, in turn).
async fn dns_cost(
    lab: &Lab,
    world: &acm_dns_doctor_testkit::dns::World,
    arns: &[String],
    zones: usize,
) {
    let (wall, _) = questions(lab, world, arns, zones, "all").await;
    let healthy: Vec<String> = arns.iter().step_by(2).cloned().collect();
    let broken: Vec<String> = arns.iter().skip(1).step_by(2).cloned().collect();
    questions(lab, world, &healthy, zones, "healthy").await;
    questions(lab, world, &broken, zones, "apex appended").await;

    world.flush_resolver_cache();
    let plain = Dns::new(dns_config(world));
    let start = Instant::now();
    let mut one_by_one = 0;
    for arn in arns {
        let cert = acm_dns_doctor::aws::acm::describe(
            &acm_dns_doctor::aws::Paced::with_default_quotas(lab.acm.clone()),
            arn,
        )
        .await
        .unwrap();
        for t in cert.targets() {
            let session = Session::new(&plain);
            for rtype in [RecordType::CNAME, RecordType::TXT] {
                let _ = session
                    .resolve_with(&t.record.name, rtype, Flags::Recursive)
                    .await;
                one_by_one += 1;
            }
        }
    }
    let baseline = start.elapsed();
    println!(
        "  one run over all: {:.2} s; one question at a time ({one_by_one} questions): {:.2} s; ratio {:.2}",
        wall.as_secs_f64(),
        baseline.as_secs_f64(),
        wall.as_secs_f64() / baseline.as_secs_f64()
    );
}

/// One run over `arns` (a fresh session, caches flushed): prints its questions; returns its wall time.
async fn questions(
    lab: &Lab,
    world: &acm_dns_doctor_testkit::dns::World,
    arns: &[String],
    zones: usize,
    what: &str,
) -> (Duration, usize) {
    world.flush_resolver_cache();
    let fleet = acm_dns_doctor::aws::fleet::Fleet::new(
        &lab.sdk,
        std::collections::BTreeMap::new(),
        None,
        acm_dns_doctor::aws::pace::Quotas::parse(UNPACED).unwrap(),
    );
    let mut doctor = acm_dns_doctor::engine::Doctor::with_fleet(fleet, dns_config(world));
    doctor.max_concurrency = Some(8);
    let before = doctor.dns.questions();
    let start = Instant::now();
    let (report, evidence) = doctor.examine(arns, |_, _| ()).await;
    let wall = start.elapsed();
    let asked = doctor.dns.questions() - before;
    let records: usize = evidence.iter().map(|e| e.records.len()).sum();
    assert_eq!(report.certificates.len(), arns.len());
    let per = |q: usize, d: usize| q as f64 / d.max(1) as f64;
    println!(
        "  DNS questions, {what} ({} certificates, {records} records, {zones} zones): {} ({} recursive, {} authoritative); per record {:.1} ({:.1} + {:.1}); per zone {:.1}",
        arns.len(),
        asked.total(),
        asked.recursive,
        asked.authoritative,
        per(asked.total(), records),
        per(asked.recursive, records),
        per(asked.authoritative, records),
        per(asked.total(), zones)
    );
    (wall, asked.total())
}
