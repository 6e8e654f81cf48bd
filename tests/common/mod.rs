//! A lab for integration tests: a moto server (ACM, Route 53) and a loopback DNS internet.
#![allow(dead_code)]

use acm_dns_doctor::dns::DnsConfig;
use acm_dns_doctor::engine::Doctor;
use acm_dns_doctor::evidence::{ValidationRecord, normalize_name};
use acm_dns_doctor_testkit::dns::World;
use acm_dns_doctor_testkit::moto::Moto;
use aws_sdk_acm::types::ValidationMethod;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType,
    Vpc, VpcRegion,
};
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
        let moto = tokio::task::spawn_blocking(Moto::start)
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
        let cert = acm_dns_doctor::aws::acm::describe(&self.acm, &arn)
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
                text.push_str(&format!(
                    "{} 300 {t} {}\n",
                    normalize_name(&s.name),
                    r.value
                ));
            }
        }
        text
    }

    /// A doctor that uses this lab's moto and `world`'s resolver and port.
    pub fn doctor(&self, world: &World) -> Doctor {
        let mut d = Doctor::new(&self.sdk, dns_config(world));
        d.max_concurrency = 2;
        d
    }
}

/// DNS settings for a world: its resolver, its port, short timeouts.
pub fn dns_config(world: &World) -> DnsConfig {
    DnsConfig {
        resolvers: vec![world.resolver()],
        auth_port: world.port(),
        timeout: Duration::from_millis(700),
        attempts: 1,
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
