//! The engine: gather the evidence for each certificate, then run the checks.

use crate::aws::route53::Route53View;
use crate::aws::{AwsError, acm};
use crate::checks;
use crate::dns::live;
use crate::dns::{Dns, DnsConfig, Session};
use crate::evidence::{
    Caa, CertificateStatus, Evidence, RecordEvidence, Route53Evidence, Target, ZoneRecords,
};
use crate::names::{caa_base, doubled_name, is_near_record, is_within, normalize_name};
use crate::report::{self, CertificateReport, Report};
use crate::time::now;
use futures::StreamExt;
use futures::future::join_all;
use hickory_proto::rr::RecordType;

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
    /// The ACM endpoint, named in connection errors.
    pub acm_endpoint: String,
}

/// What a sweep checks: requests waiting for their records, and issued certificates, whose
/// records every managed renewal needs (a renewal in progress leaves the status ISSUED).
pub const SWEPT: &[CertificateStatus] = &[
    CertificateStatus::PendingValidation,
    CertificateStatus::Issued,
];

/// One run: the Route 53 view and the DNS answers are read once and shared by every certificate
/// of the run.
pub struct Run<'a> {
    doctor: &'a Doctor,
    route53: Route53View,
    dns: Session,
}

impl Doctor {
    /// A doctor over an SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig, dns: DnsConfig) -> Self {
        let region = sdk.region().map_or("us-east-1", |r| r.as_ref());
        Doctor {
            acm: aws_sdk_acm::Client::new(sdk),
            route53: aws_sdk_route53::Client::new(sdk),
            dns: Dns::new(dns),
            max_concurrency: crate::config::DEFAULT_MAX_CONCURRENCY,
            acm_endpoint: sdk.endpoint_url().map_or_else(
                || format!("https://acm.{region}.amazonaws.com"),
                str::to_owned,
            ),
        }
    }

    /// Starts a run (fresh Route 53 view).
    pub fn run(&self) -> Run<'_> {
        Run {
            doctor: self,
            route53: Route53View::new(self.route53.clone()),
            dns: Session::new(&self.dns),
        }
    }

    /// Checks these certificates, in order, `max_concurrency` at a time.
    pub async fn check(&self, arns: &[String]) -> Report {
        self.examine(arns).await.0
    }

    /// Like `check`, with the evidence gathered for each certificate that could be read.
    pub async fn examine(&self, arns: &[String]) -> (Report, Vec<Evidence>) {
        let run = self.run();
        let results: Vec<(CertificateReport, Option<Evidence>)> =
            futures::stream::iter(arns.iter())
                .map(|arn| run.examine(arn))
                .buffered(self.max_concurrency.max(1))
                .collect()
                .await;
        let (certificates, evidence): (Vec<_>, Vec<_>) = results.into_iter().unzip();
        let report = Report {
            certificates,
            not_reached: Vec::new(),
        };
        (report, evidence.into_iter().flatten().collect())
    }

    /// The ARNs a sweep checks (every key type; see `SWEPT`).
    pub async fn swept(&self) -> Result<Vec<String>, AwsError> {
        acm::list(&self.acm, SWEPT)
            .await
            .map_err(|e| e.at(&self.acm_endpoint))
    }
}

impl Run<'_> {
    /// Gathers and judges one certificate. A failure to read it is reported in the entry, never dropped.
    pub async fn check_one(&self, arn: &str) -> CertificateReport {
        self.examine(arn).await.0
    }

    /// Like `check_one`, with the evidence when the certificate could be read.
    pub async fn examine(&self, arn: &str) -> (CertificateReport, Option<Evidence>) {
        match self.gather(arn).await {
            Ok(ev) => (judge(&ev), Some(ev)),
            Err(e) => {
                tracing::debug!(certificate_arn = %arn, detail = %e.detail(), "certificate not checked");
                let not_found = matches!(e, AwsError::NotFound(_));
                let report = CertificateReport::failed(arn, e.to_string(), e.detail(), not_found);
                (report, None)
            }
        }
    }

    /// Everything known about one certificate.
    pub async fn gather(&self, arn: &str) -> Result<Evidence, AwsError> {
        let certificate = acm::describe(&self.doctor.acm, arn)
            .await
            .map_err(|e| e.at(&self.doctor.acm_endpoint))?;
        let dns = &self.dns;
        let records = join_all(certificate.targets().into_iter().map(|t| self.record(t))).await;
        let mut domains: Vec<String> = if certificate.is_dns_validated() {
            certificate.domains()
        } else {
            Vec::new()
        };
        domains.sort();
        domains.dedup();
        // `example.com` and `*.example.com` are governed by the same CAA set: climb once per name.
        let mut bases: Vec<String> = domains.iter().map(|d| caa_base(d)).collect();
        bases.sort();
        bases.dedup();
        let sets = join_all(bases.iter().map(|b| crate::dns::caa::lookup(dns, b))).await;
        let caa = domains
            .iter()
            .filter_map(|d| {
                let base = caa_base(d);
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
            live::gather(&self.dns, &name, &target.record.value),
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
            zone.name_servers.clone_from(&detail.name_servers);
            let doubled = doubled_name(name, &zone.name);
            let records = detail
                .records
                .iter()
                .filter(|s| {
                    let n = normalize_name(&s.name);
                    n == *name
                        || n == doubled
                        || (s.rtype == RecordType::CNAME
                            && is_near_record(&s.name, &s.values, name, &target.record.value))
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
        created_at: c.created_at,
        expires_at: c.not_after,
        in_use_by: c.in_use_by.clone(),
        in_use_count: c.in_use_by.len(),
        findings,
        error: None,
        not_found: false,
        error_detail: None,
    }
}
