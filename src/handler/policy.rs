//! What to do with one certificate's report (pure): stay quiet, re-check later, or alert.

use super::work::Work;
use crate::aws::sqs::MAX_DELAY_SECS;
use crate::config::Config;
use crate::evidence::CertificateStatus;
use crate::finding::Code;
use crate::report::CertificateReport;

/// Findings that may just need time on a new request.
const WAITABLE: &[Code] = &[
    Code::RecordMissing,
    Code::RecordNotPropagated,
    Code::ResourceRecordNotReady,
    Code::DnsLookupFailed,
];
/// Re-checks stop after this many attempts, whatever the clock says.
pub const MAX_RECHECKS: u32 = 8;

/// What to do with one certificate's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing at or above the alert threshold.
    Quiet,
    /// A new request whose only problems may need time: check again after this many seconds.
    Recheck(i32),
    /// Tell people.
    Alert,
}

/// The grace rule: within `grace` of the request, problems that may just need time don't alert.
pub fn decide(config: &Config, report: &CertificateReport, w: &Work, now: i64) -> Decision {
    let alertable: Vec<_> = report.at_least(config.min_severity).collect();
    if alertable.is_empty() {
        return Decision::Quiet;
    }
    let age = report
        .created_at
        .map_or(i64::MAX, |c| now.saturating_sub(c));
    let grace = i64::try_from(config.grace.as_secs()).unwrap_or(i64::MAX);
    let pending = report.status == Some(CertificateStatus::PendingValidation);
    let only_waitable = alertable.iter().all(|f| WAITABLE.contains(&f.code));
    if pending && only_waitable && age < grace {
        if !w.new_request {
            return Decision::Quiet; // The request's own re-check will alert if needed.
        }
        if config.recheck_queue_url.is_some() && w.attempt < MAX_RECHECKS {
            let left = grace
                .saturating_sub(age)
                .clamp(30, i64::from(MAX_DELAY_SECS));
            return Decision::Recheck(i32::try_from(left).unwrap_or(MAX_DELAY_SECS));
        }
    }
    Decision::Alert
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;

    fn config(queue: bool) -> Config {
        let mut c = Config::from_lookup(|k| {
            (k == "TOPIC_ARN").then(|| "arn:aws:sns:us-east-1:1:t".to_owned())
        })
        .unwrap();
        if queue {
            c.recheck_queue_url = Some("http://q".into());
        }
        c
    }
    fn report(codes: &[Code], created: i64) -> CertificateReport {
        CertificateReport {
            certificate_arn: "arn".into(),
            domain_name: None,
            status: Some(CertificateStatus::PendingValidation),
            domains: vec![],
            created_at: Some(created),
            expires_at: None,
            in_use_by: vec![],
            in_use_count: 0,
            findings: codes.iter().map(|c| Finding::new(*c, "", "")).collect(),
            error: None,
            not_found: false,
            error_detail: None,
        }
    }
    fn work(new_request: bool, attempt: u32) -> Work {
        Work {
            attempt,
            new_request,
            ..Work::new("arn")
        }
    }

    #[test]
    fn grace_rule() {
        let now = 10_000;
        let young = now - 60;
        let old = now - 3600;
        let c = config(true);
        let d = |c: &Config, codes: &[Code], created, w: Work| {
            decide(c, &report(codes, created), &w, now)
        };
        assert_eq!(
            d(&c, &[Code::RecordOk], young, work(true, 0)),
            Decision::Quiet
        );
        assert_eq!(
            d(&c, &[Code::RecordMissing], young, work(true, 0)),
            Decision::Recheck(840)
        );
        assert_eq!(
            d(&c, &[Code::RecordMissing], old, work(true, 3)),
            Decision::Alert
        );
        // Definite misconfigurations alert at once.
        assert_eq!(
            d(&c, &[Code::DoubledDomain], young, work(true, 0)),
            Decision::Alert
        );
        // A sweep leaves a young request to its own re-check.
        assert_eq!(
            d(&c, &[Code::RecordMissing], young, work(false, 0)),
            Decision::Quiet
        );
        // No queue: no way to look again, so alert now rather than miss it.
        assert_eq!(
            d(&config(false), &[Code::RecordMissing], young, work(true, 0)),
            Decision::Alert
        );
        // Bounded: after MAX_RECHECKS, alert.
        assert_eq!(
            d(&c, &[Code::RecordMissing], young, work(true, MAX_RECHECKS)),
            Decision::Alert
        );
    }
}
