//! A lab for integration tests: a moto server (ACM, Route 53) and a loopback DNS internet.
#![allow(dead_code)]

use acm_dns_doctor::dns::DnsConfig;
use acm_dns_doctor::engine::Doctor;
use acm_dns_doctor::evidence::ValidationRecord;
use acm_dns_doctor::names::normalize_name;
use acm_dns_doctor_testkit::dns::World;
use acm_dns_doctor_testkit::moto::Moto;
use aws_sdk_acm::types::ValidationMethod;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType,
    Vpc, VpcRegion,
};
use std::fmt::Write as _;
use std::time::Duration;

/// The name servers moto gives every public hosted zone.
pub const R53_HOSTS: [&str; 4] = [
    "ns-2048.awsdns-64.com",
    "ns-2049.awsdns-65.net",
    "ns-2050.awsdns-66.org",
    "ns-2051.awsdns-67.co.uk",
];

/// Another DNS provider's name servers.
pub const OTHER_HOSTS: [&str; 2] = ["ns1.otherdns.net", "ns2.otherdns.net"];

pub struct Lab {
    pub moto: Moto,
    pub sdk: aws_config::SdkConfig,
    pub acm: aws_sdk_acm::Client,
    pub r53: aws_sdk_route53::Client,
}

impl Lab {
    pub async fn new() -> Lab {
        Lab::with_validation_wait(86_400).await
    }

    /// A lab whose certificates ACM issues at once (validation is moto's, not DNS's).
    #[allow(dead_code)] // Not every test binary uses it.
    pub async fn issuing() -> Lab {
        Lab::with_validation_wait(0).await
    }

    async fn with_validation_wait(secs: u32) -> Lab {
        let moto = tokio::task::spawn_blocking(move || Moto::start_with_validation_wait(secs))
            .await
            .unwrap()
            .expect("moto server (pip install 'moto[server]')");
        let sdk = acm_dns_doctor::aws::config_loader()
            .endpoint_url(moto.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_acm::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .load()
            .await;
        Lab {
            acm: aws_sdk_acm::Client::new(&sdk),
            r53: aws_sdk_route53::Client::new(&sdk),
            moto,
            sdk,
        }
    }

    /// Requests a DNS-validated certificate; returns its ARN and the record ACM wants for `domain`.
    pub async fn request(&self, domain: &str, sans: &[&str]) -> (String, ValidationRecord) {
        let mut req = self
            .acm
            .request_certificate()
            .domain_name(domain)
            .validation_method(ValidationMethod::Dns);
        for s in sans {
            req = req.subject_alternative_names(*s);
        }
        let arn = req.send().await.unwrap().certificate_arn.unwrap();
        let cert = acm_dns_doctor::aws::acm::describe(
            &acm_dns_doctor::aws::Paced::with_default_quotas(self.acm.clone()),
            &arn,
        )
        .await
        .unwrap();
        let rec = cert
            .validations
            .iter()
            .find(|v| v.domain == domain)
            .and_then(|v| v.record.clone())
            .expect("validation record");
        (arn, rec)
    }

    /// Creates a hosted zone; returns its id.
    pub async fn zone(&self, name: &str, private: bool) -> String {
        let mut req = self
            .r53
            .create_hosted_zone()
            .name(name)
            .caller_reference(format!("{name}-{private}"));
        if private {
            req = req
                .vpc(
                    Vpc::builder()
                        .vpc_id("vpc-12345678")
                        .vpc_region(VpcRegion::UsEast1)
                        .build(),
                )
                .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build());
        }
        let out = req.send().await.unwrap();
        out.hosted_zone
            .unwrap()
            .id
            .trim_start_matches("/hostedzone/")
            .to_owned()
    }

    /// Creates a record set.
    pub async fn put(&self, zone_id: &str, name: &str, rtype: &str, value: &str) {
        let set = ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::from(rtype))
            .ttl(300)
            .resource_records(ResourceRecord::builder().value(value).build().unwrap())
            .build()
            .unwrap();
        self.r53
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(
                ChangeBatch::builder()
                    .changes(
                        Change::builder()
                            .action(ChangeAction::Create)
                            .resource_record_set(set)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// Brings `world`'s copies of Route 53 zones (id, apex) up to what moto holds now, as Route 53's
    /// servers would after a change; `served` keeps what was served before, per zone id.
    #[allow(dead_code)] // Not every test binary uses it.
    pub async fn mirror(
        &self,
        world: &World,
        zones: &[(String, String)],
        served: &mut std::collections::BTreeMap<String, String>,
    ) {
        for (id, apex) in zones {
            let now = self.served(id).await;
            let before = served.get(id).cloned().unwrap_or_default();
            if before == now {
                continue;
            }
            let owner = |l: &str| l.split_whitespace().next().unwrap_or_default().to_owned();
            let mut owners: Vec<String> = before.lines().chain(now.lines()).map(owner).collect();
            owners.sort();
            owners.dedup();
            for o in owners.iter().filter(|o| o.trim_end_matches('.') != apex) {
                world.remove_records(apex, o);
                for l in now.lines().filter(|l| owner(l) == *o) {
                    world.add_record(apex, l);
                }
            }
            served.insert(id.clone(), now);
        }
        // A resolver that keeps no negative answer meanwhile (one would, for the zone's
        // negative-caching time, and the verdict would say so: RECORD_NOT_PROPAGATED).
        world.flush_resolver_cache();
    }

    /// A public zone's records (CNAME, TXT, A, CAA) as zone text for the loopback internet: what
    /// Route 53's name servers would serve.
    pub async fn served(&self, zone_id: &str) -> String {
        let out = self
            .r53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .send()
            .await
            .unwrap();
        let mut text = String::new();
        for s in out.resource_record_sets {
            let t = s.r#type.as_str();
            if !matches!(t, "CNAME" | "TXT" | "A" | "CAA") {
                continue;
            }
            for r in s.resource_records.unwrap_or_default() {
                let _ = writeln!(text, "{} 300 {t} {}", normalize_name(&s.name), r.value);
            }
        }
        text
    }

    /// A doctor that uses this lab's moto and `world`'s resolver and port.
    pub fn doctor(&self, world: &World) -> Doctor {
        let mut d = Doctor::new(&self.sdk, dns_config(world));
        d.max_concurrency = Some(2);
        d
    }
}

/// A loopback internet with one zone, `apex`, at another DNS provider (`OTHER_HOSTS`).
pub async fn provider_world(apex: &str, records: &str) -> World {
    let mut net = acm_dns_doctor_testkit::dns::Internet::new();
    net.zone(apex, &OTHER_HOSTS, records);
    net.start().await.expect("loopback DNS world")
}

/// DNS settings for a world: its resolver, its port, short timeouts.
pub fn dns_config(world: &World) -> DnsConfig {
    DnsConfig {
        resolvers: vec![world.resolver()],
        auth_port: world.port(),
        timeout: Duration::from_millis(700),
        attempts: 1,
        ipv6: false,
    }
}

/// The relative owner of `record` in zone `apex` (`_token` for `_token.apex.`).
pub fn relative(record: &str, apex: &str) -> String {
    record
        .trim_end_matches('.')
        .strip_suffix(&format!(".{}", apex.trim_end_matches('.')))
        .unwrap_or(record)
        .to_owned()
}

/// An SNS topic with an SQS queue subscribed (to read back what was published), and a re-check queue.
pub struct Alerts {
    pub topic_arn: String,
    pub inbox_url: String,
    pub recheck_url: String,
    pub sqs: aws_sdk_sqs::Client,
}

/// One message as an SQS subscriber of the topic receives it.
#[derive(Debug)]
pub struct Received {
    pub subject: String,
    pub document: serde_json::Value,
    pub attributes: serde_json::Value,
}

impl Lab {
    pub async fn alerts(&self) -> Alerts {
        let sns = aws_sdk_sns::Client::new(&self.sdk);
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let topic_arn = sns
            .create_topic()
            .name("acm-alerts")
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        let inbox_url = sqs
            .create_queue()
            .queue_name("inbox")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let recheck_url = sqs
            .create_queue()
            .queue_name("recheck")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let inbox_arn = sqs
            .get_queue_attributes()
            .queue_url(&inbox_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()
            .remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .unwrap();
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(inbox_arn)
            .send()
            .await
            .unwrap();
        Alerts {
            topic_arn,
            inbox_url,
            recheck_url,
            sqs,
        }
    }

    /// The raw `Message` (the MessageStructure=json envelope) of every publish to `topic_arn`, from moto's state.
    pub fn published_envelopes(&self, topic_arn: &str) -> Vec<serde_json::Value> {
        let raw = self.moto.get("/moto-api/data.json").unwrap();
        let body = &raw[raw.find("\r\n\r\n").unwrap() + 4..];
        let body = dechunk(body);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["sns"]["Topic"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["arn"] == topic_arn)
            .flat_map(|t| {
                t["sent_notifications"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .map(|n| serde_json::from_str(n[1].as_str().unwrap()).unwrap())
            .collect()
    }
}

/// Undoes HTTP/1.1 chunked transfer encoding when present.
fn dechunk(body: &str) -> String {
    if body.trim_start().starts_with('{') {
        return body.to_owned();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n]);
        rest = &tail[n + 2..];
    }
    out
}

impl Alerts {
    /// Everything delivered to the subscribed queue so far.
    pub async fn received(&self) -> Vec<Received> {
        let mut out = Vec::new();
        loop {
            let r = self
                .sqs
                .receive_message()
                .queue_url(&self.inbox_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let msgs = r.messages.unwrap_or_default();
            if msgs.is_empty() {
                break;
            }
            for m in msgs {
                let env: serde_json::Value =
                    serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
                out.push(Received {
                    subject: env["Subject"].as_str().unwrap_or_default().to_owned(),
                    document: serde_json::from_str(env["Message"].as_str().unwrap()).unwrap(),
                    attributes: env["MessageAttributes"].clone(),
                });
                self.sqs
                    .delete_message()
                    .queue_url(&self.inbox_url)
                    .receipt_handle(m.receipt_handle.unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        out
    }

    /// Every message visible now in the re-check queue, as the SQS event that delivers them.
    pub async fn queued_event(&self) -> serde_json::Value {
        let mut records = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.recheck_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let got = out.messages.unwrap_or_default();
            if got.is_empty() {
                break;
            }
            for m in got {
                records.push(serde_json::json!({
                    "eventSource": "aws:sqs",
                    "messageId": m.message_id.unwrap_or_default(),
                    "body": m.body.unwrap_or_default(),
                }));
            }
        }
        serde_json::json!({ "Records": records })
    }

    /// Messages waiting (delayed) in the re-check queue.
    pub async fn rechecks_delayed(&self) -> usize {
        let a = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.recheck_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        a[&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed]
            .parse()
            .unwrap()
    }
}

/// Handler settings for a lab and a world.
pub fn lambda_config(alerts: &Alerts, world: &World) -> acm_dns_doctor::config::Config {
    let mut c = acm_dns_doctor::config::Config::from_lookup(|k| match k {
        "TOPIC_ARN" => Some(alerts.topic_arn.clone()),
        "RECHECK_QUEUE_URL" => Some(alerts.recheck_url.clone()),
        "RECORD_WAIT_MS" => Some("50".into()),
        "DEADLINE_RESERVE_MS" => Some("1000".into()),
        _ => None,
    })
    .unwrap();
    c.dns = dns_config(world);
    c
}

/// What one CLI run gave: wall time, peak RSS (VmHWM, KiB), stdout, stderr.
#[allow(dead_code)] // The benchmarks use it.
pub struct Measured {
    pub wall: Duration,
    pub peak_kib: u64,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs the CLI `exe` with `args` against `endpoint` and `world` (clean environment, test
/// credentials), polling its peak memory every `poll` while it runs.
#[allow(dead_code)] // The benchmarks use it.
pub async fn run_cli_measured(
    exe: &str,
    endpoint: &str,
    world: &World,
    args: &[&str],
    poll: Duration,
) -> Measured {
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
    let start = std::time::Instant::now();
    let mut child = cli(exe, endpoint, world, args, true)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Read both pipes while the child runs: a full pipe would block it.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut buf).map(|_| buf)
    });
    let err = std::thread::spawn(move || {
        let mut buf = String::new();
        std::io::Read::read_to_string(&mut err, &mut buf).map(|_| buf)
    });
    let mut peak_kib = 0;
    while child.try_wait().unwrap().is_none() {
        if let Some(kib) = peak_rss_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        tokio::time::sleep(poll).await;
    }
    Measured {
        wall: start.elapsed(),
        peak_kib,
        stdout: out.join().unwrap().unwrap(),
        stderr: err.join().unwrap().unwrap(),
    }
}

/// The CLI `exe` with `args`, against `endpoint` and `world`'s resolver and port, in a clean
/// environment (no profile, no instance metadata), with test credentials when `credentials`.
#[allow(dead_code)] // Not every test binary uses it.
pub fn cli(
    exe: &str,
    endpoint: &str,
    world: &World,
    args: &[&str],
    credentials: bool,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(exe);
    cmd.args(args)
        .args(["--resolver", &world.resolver().to_string()])
        .args(["--dns-port", &world.port().to_string()])
        .env_clear()
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    if credentials {
        cmd.env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test");
    }
    cmd
}

/// A benchmark's two numbers from its command line (certificates, zones), with defaults; zones
/// between 1 and the number of certificates.
#[allow(dead_code)] // The benchmarks use it.
pub fn bench_sizes(default_n: usize, default_zones: usize) -> (usize, usize) {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = numbers.first().copied().unwrap_or(default_n);
    let zones = numbers
        .get(1)
        .copied()
        .unwrap_or(default_zones)
        .clamp(1, n.max(1));
    (n, zones)
}
