//! The engine: gather the evidence for each certificate, then run the checks.

use crate::aws::route53::Route53View;
use crate::aws::{AwsError, acm};
use crate::checks;
use crate::checks::facts::is_near;
use crate::dns::live::{self, doubled_name, is_within};
use crate::dns::{Dns, DnsConfig};
use crate::evidence::{
    Caa, Evidence, RecordEvidence, Route53Evidence, Target, ZoneRecords, normalize_name,
};
use crate::report::{self, CertificateReport, Report};
use futures::StreamExt;
use futures::future::join_all;

/// Long-lived clients and settings (built once per process).
#[derive(Debug, Clone)]
pub struct Doctor {
    /// ACM client.
    pub acm: aws_sdk_acm::Client,
    /// Route 53 client.
    pub route53: aws_sdk_route53::Client,
    /// DNS client.
    pub dns: Dns,
    /// How many certificates are checked at once.
    pub max_concurrency: usize,
}

/// One run: the Route 53 view is read once and shared by every certificate of the run.
pub struct Run<'a> {
    doctor: &'a Doctor,
    route53: Route53View,
}

impl Doctor {
    /// A doctor over an SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig, dns: DnsConfig) -> Self {
        Doctor {
            acm: aws_sdk_acm::Client::new(sdk),
            route53: aws_sdk_route53::Client::new(sdk),
            dns: Dns::new(dns),
            max_concurrency: 4,
        }
    }

    /// Starts a run (fresh Route 53 view).
    pub fn run(&self) -> Run<'_> {
        Run {
            doctor: self,
            route53: Route53View::new(self.route53.clone()),
        }
    }

    /// Checks these certificates, in order, `max_concurrency` at a time.
    pub async fn check(&self, arns: &[String]) -> Report {
        let run = self.run();
        let certificates = futures::stream::iter(arns.iter())
            .map(|arn| run.check_one(arn))
            .buffered(self.max_concurrency.max(1))
            .collect()
            .await;
        Report {
            certificates,
            not_reached: Vec::new(),
        }
    }
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl Run<'_> {
    /// Gathers and judges one certificate. A failure to read it is reported in the entry, never dropped.
    pub async fn check_one(&self, arn: &str) -> CertificateReport {
        match self.gather(arn).await {
            Ok(ev) => judge(&ev),
            Err(e) => CertificateReport {
                certificate_arn: arn.to_owned(),
                domain_name: None,
                status: None,
                domains: Vec::new(),
                created_at: None,
                findings: Vec::new(),
                not_found: matches!(e, AwsError::NotFound(_)),
                error: Some(e.to_string()),
            },
        }
    }

    /// Everything known about one certificate.
    pub async fn gather(&self, arn: &str) -> Result<Evidence, AwsError> {
        let certificate = acm::describe(&self.doctor.acm, arn).await?;
        let dns = &self.doctor.dns;
        let records = join_all(certificate.targets().into_iter().map(|t| self.record(t))).await;
        let mut domains: Vec<String> = if certificate.is_dns_validated() {
            certificate.domains()
        } else {
            Vec::new()
        };
        domains.sort();
        domains.dedup();
        // `example.com` and `*.example.com` are governed by the same CAA set: climb once per name.
        let mut bases: Vec<String> = domains
            .iter()
            .map(|d| normalize_name(d.trim_start_matches("*.")))
            .collect();
        bases.sort();
        bases.dedup();
        let sets = join_all(bases.iter().map(|b| live::caa(dns, b))).await;
        let caa = domains
            .iter()
            .filter_map(|d| {
                let base = normalize_name(d.trim_start_matches("*."));
                let i = bases.iter().position(|b| *b == base)?;
                Some(Caa {
                    domain: d.clone(),
                    ..sets[i].clone()
                })
            })
            .collect();
        Ok(Evidence {
            certificate,
            records,
            caa,
            gathered_at: now(),
        })
    }

    async fn record(&self, target: Target) -> RecordEvidence {
        let name = target.record.name.clone();
        let (live, route53) = tokio::join!(
            live::gather(&self.doctor.dns, &name, &target.record.value),
            self.route53_near(&target)
        );
        RecordEvidence {
            target,
            route53,
            live,
        }
    }

    /// Route 53 zones that could hold the record, with the record sets near its name.
    async fn route53_near(&self, target: &Target) -> Route53Evidence {
        let name = &target.record.name;
        let zones = match self.route53.zones().await {
            Ok(z) => z,
            Err(e) => {
                return Route53Evidence::Unavailable {
                    reason: e.to_string(),
                };
            }
        };
        let candidates: Vec<_> = zones
            .into_iter()
            .filter(|z| is_within(name, &z.name))
            .collect();
        let mut out = Vec::new();
        for mut zone in candidates {
            let detail = match self.route53.detail(&zone).await {
                Ok(d) => d,
                Err(e) => {
                    return Route53Evidence::Unavailable {
                        reason: e.to_string(),
                    };
                }
            };
            zone.name_servers = detail.name_servers.clone();
            let doubled = doubled_name(name, &zone.name);
            let records = detail
                .records
                .iter()
                .filter(|s| {
                    let n = normalize_name(&s.name);
                    n == *name
                        || n == doubled
                        || (s.rtype == "CNAME" && is_near(s, name, &target.record.value))
                })
                .cloned()
                .collect();
            out.push(ZoneRecords { zone, records });
        }
        Route53Evidence::Listed { zones: out }
    }
}

/// Runs the checks over gathered evidence and shapes the report entry.
pub fn judge(ev: &Evidence) -> CertificateReport {
    let mut findings = checks::run(ev, ev.gathered_at);
    report::sort_findings(&mut findings);
    let c = &ev.certificate;
    CertificateReport {
        certificate_arn: c.arn.clone(),
        domain_name: Some(c.domain_name.clone()),
        status: Some(c.status.clone()),
        domains: c.domains(),
        created_at: c.created_at.map(report::time),
        findings,
        error: None,
        not_found: false,
    }
}
