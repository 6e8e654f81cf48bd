//! The engine: gather the evidence for each certificate, then run the checks.

use crate::aws::fleet::{Fleet, Scope};
use crate::aws::pace::Quotas;
use crate::aws::route53::Route53View;
use crate::aws::{AwsError, acm};
use crate::checks;
use crate::dns::live;
use crate::dns::{Dns, DnsConfig, Session};
use crate::evidence::{
    Caa, CertificateStatus, Evidence, RecordEvidence, Route53Evidence, Target, ZoneRecords,
};
use crate::names::{caa_base, doubled_name, is_near_record, is_within, normalize_name};
use crate::report::{self, CertificateReport, Report, ScopeFailure};
use crate::time::now;
use futures::StreamExt;
use futures::future::join_all;
use hickory_proto::rr::RecordType;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Long-lived clients and settings (built once per process).
#[derive(Debug)]
pub struct Doctor {
    /// ACM and Route 53 in every account and Region, paced at their quotas.
    pub fleet: Fleet,
    /// DNS client.
    pub dns: Dns,
    /// How many certificates are checked at once; `None`: as many as the quotas keep busy
    /// (see `concurrency`).
    pub max_concurrency: Option<usize>,
}

/// What a sweep checks: requests waiting for their records, and issued certificates, whose
/// records every managed renewal needs (a renewal in progress leaves the status ISSUED).
pub const SWEPT: &[CertificateStatus] = &[
    CertificateStatus::PendingValidation,
    CertificateStatus::Issued,
];

/// The most certificates checked at once, whatever the quotas allow.
pub const MAX_IN_FLIGHT: usize = 256;

/// One account's Route 53 view, made at most once per run.
type ViewCell = Arc<OnceCell<Result<Arc<Route53View>, AwsError>>>;

/// One run: the Route 53 views (one per account) and the DNS answers are read once and shared by
/// every certificate of the run.
pub struct Run<'a> {
    doctor: &'a Doctor,
    route53: Mutex<HashMap<Option<String>, ViewCell>>,
    dns: Session,
}

impl Doctor {
    /// A doctor over an SDK configuration: the caller's account only, default quotas.
    pub fn new(sdk: &aws_config::SdkConfig, dns: DnsConfig) -> Self {
        Doctor::with_fleet(
            Fleet::new(sdk, BTreeMap::new(), None, Quotas::default()),
            dns,
        )
    }

    /// A doctor over a fleet.
    pub fn with_fleet(fleet: Fleet, dns: DnsConfig) -> Self {
        Doctor {
            fleet,
            dns: Dns::new(dns),
            max_concurrency: None,
        }
    }

    /// Certificates checked at once for `scopes` scopes. Unless set, it follows from the quotas
    /// (Little's law): enough certificates in flight to keep `acm:DescribeCertificate` at its rate
    /// while each one's DNS takes up to its worst case (every question timing out once, plus a
    /// second); the DNS in-flight bound keeps the questions themselves in check.
    pub fn concurrency(&self, scopes: usize) -> usize {
        if let Some(n) = self.max_concurrency {
            return n.max(1);
        }
        let rate = self
            .fleet
            .quotas()
            .rate("acm:DescribeCertificate")
            .unwrap_or(10.0);
        let c = &self.dns.config;
        let worst = c.timeout.as_secs_f64() * f64::from(c.attempts.max(1)) + 1.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let per_scope = (rate * worst).ceil() as usize;
        (per_scope.max(1) * scopes.max(1)).min(MAX_IN_FLIGHT)
    }

    /// Starts a run (fresh Route 53 views).
    pub fn run(&self) -> Run<'_> {
        Run {
            doctor: self,
            route53: Mutex::new(HashMap::new()),
            dns: Session::new(&self.dns),
        }
    }

    /// Checks these certificates, reported in order.
    pub async fn check(&self, arns: &[String]) -> Report {
        self.examine(arns, |_, _| ()).await.0
    }

    /// Like `check`, with the evidence gathered for each certificate that could be read;
    /// `progress(done, total)` is called as each certificate is done.
    pub async fn examine(
        &self,
        arns: &[String],
        progress: impl Fn(usize, usize),
    ) -> (Report, Vec<Evidence>) {
        let run = self.run();
        let scopes: std::collections::BTreeSet<Scope> = arns
            .iter()
            .filter_map(|a| self.fleet.scope_of(a).ok())
            .collect();
        let done = std::sync::atomic::AtomicUsize::new(0);
        // Unordered, so that one slow certificate never holds back the others' slots; put back
        // in the order asked after.
        let mut results: Vec<(usize, (CertificateReport, Option<Evidence>))> =
            futures::stream::iter(arns.iter().enumerate())
                .map(|(i, arn)| {
                    let (run, done, progress) = (&run, &done, &progress);
                    async move {
                        let out = run.examine(arn).await;
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress(n, arns.len());
                        (i, out)
                    }
                })
                .buffer_unordered(self.concurrency(scopes.len()))
                .collect()
                .await;
        results.sort_by_key(|(i, _)| *i);
        let (certificates, evidence): (Vec<_>, Vec<_>) =
            results.into_iter().map(|(_, r)| r).unzip();
        let report = Report {
            certificates,
            ..Report::default()
        };
        (report, evidence.into_iter().flatten().collect())
    }

    /// The ARNs a sweep checks in one scope (every key type; see `SWEPT`).
    pub async fn swept(&self, scope: &Scope) -> Result<Vec<String>, AwsError> {
        let acm = self.fleet.acm(scope).await?;
        acm::list(&acm.acm, SWEPT)
            .await
            .map_err(|e| e.at(&acm.endpoint))
    }

    /// The ARNs of every scope, listed at once; a scope that fails is reported, the others go on.
    /// The lists are interleaved (one of each scope in turn), so that a run keeps every scope's
    /// quota busy at once instead of one scope after another; an ARN listed twice (the caller's
    /// own account also given as a member) is checked once.
    pub async fn swept_all(&self, scopes: &[Scope]) -> (Vec<String>, Vec<ScopeFailure>) {
        let lists = join_all(scopes.iter().map(|s| async {
            match self.fleet.unreachable(s) {
                Some(why) => Err(why),
                None => self.swept(s).await.map_err(|e| e.to_string()),
            }
        }))
        .await;
        let (mut each, mut failed) = (Vec::new(), Vec::new());
        for (scope, list) in scopes.iter().zip(lists) {
            match list {
                Ok(a) => each.push(a),
                Err(error) => failed.push(ScopeFailure {
                    account: scope.account.clone(),
                    region: scope.region.clone(),
                    error,
                }),
            }
        }
        let mut seen = std::collections::HashSet::new();
        let arns = interleave(each)
            .into_iter()
            .filter(|a| seen.insert(a.clone()))
            .collect();
        (arns, failed)
    }
}

impl Run<'_> {
    /// Gathers and judges one certificate, with the evidence when it could be read. A failure to
    /// read it is reported in the entry, never dropped.
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
        let scope = self.doctor.fleet.scope_of(arn)?;
        let acm = self.doctor.fleet.acm(&scope).await?;
        let certificate = acm::describe(&acm.acm, arn)
            .await
            .map_err(|e| e.at(&acm.endpoint))?;
        let account = scope.account.clone();
        let dns = &self.dns;
        let records = join_all(
            certificate
                .targets()
                .into_iter()
                .map(|t| self.record(account.as_deref(), t)),
        )
        .await;
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

    async fn record(&self, account: Option<&str>, target: Target) -> RecordEvidence {
        let name = target.record.name.clone();
        let (live, route53) = tokio::join!(
            live::gather(&self.dns, &name, &target.record.value),
            self.route53_near(account, &target)
        );
        RecordEvidence {
            target,
            route53,
            live,
        }
    }

    /// Route 53 zones that could hold the record, with the record sets near its name.
    /// The Route 53 view of `account` for this run.
    async fn route53(&self, account: Option<&str>) -> Result<Arc<Route53View>, AwsError> {
        let cell = {
            let mut map = self
                .route53
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(account.map(str::to_owned)).or_default().clone()
        };
        cell.get_or_init(|| async {
            let client = self.doctor.fleet.route53(account).await?;
            Ok(Arc::new(Route53View::new(client)))
        })
        .await
        .clone()
    }

    async fn route53_near(&self, account: Option<&str>, target: &Target) -> Route53Evidence {
        let name = &target.record.name;
        let view = match self.route53(account).await {
            Ok(v) => v,
            Err(e) => {
                return Route53Evidence::Unavailable {
                    reason: e.to_string(),
                };
            }
        };
        let zones = match view.zones().await {
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
            let detail = match view.detail(&zone).await {
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

/// One item of each list in turn: `[[a1, a2], [b1]]` → `[a1, b1, a2]`.
pub fn interleave<T>(lists: Vec<Vec<T>>) -> Vec<T> {
    let mut iters: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    loop {
        let before = out.len();
        for it in &mut iters {
            out.extend(it.next());
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Runs the checks over gathered evidence and shapes the report entry.
pub fn judge(ev: &Evidence) -> CertificateReport {
    let mut findings = checks::run(ev, ev.gathered_at);
    report::sort_findings(&mut findings);
    let c = &ev.certificate;
    let (account, region) = report::account_and_region(&c.arn);
    CertificateReport {
        certificate_arn: c.arn.clone(),
        account,
        region,
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
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn interleave_takes_one_of_each_in_turn() {
        let got = super::interleave(vec![vec![1, 2, 3], vec![10], vec![20, 21]]);
        assert_eq!(got, [1, 10, 20, 2, 21, 3]);
        assert!(super::interleave::<u8>(vec![]).is_empty());
    }
}
