//! What to do with one certificate's report (pure): stay quiet, re-check later, or alert.

use super::work::Work;
use crate::aws::sqs::MAX_DELAY_SECS;
use crate::config::Config;
use crate::evidence::{AlertState, CertificateStatus};
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

/// Whether to tell people, given the decision and what the certificate remembers of the last alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// Nothing to say (and nothing was said before).
    Nothing,
    /// New or changed problems: alert.
    Alert,
    /// The same problems, alerted long enough ago: remind.
    Remind,
    /// The same problems, alerted recently: say nothing.
    Unchanged,
    /// Alerted before, and nothing is wrong now: one all-clear.
    Resolved,
}

/// The repeat rule: alert when the problems are new or changed, remind every `remind_secs`
/// (0: every run) while unchanged, and one all-clear when an alerted certificate has nothing
/// alertable left. Never an alert and an all-clear for one certificate in one run.
pub fn notify(
    decision: Decision,
    alertable: bool,
    prior: Option<&AlertState>,
    fingerprint: &str,
    now: i64,
    remind_secs: i64,
) -> Notify {
    match (decision, prior) {
        (Decision::Alert, None) => Notify::Alert,
        (Decision::Alert, Some(p)) if p.problems != fingerprint => Notify::Alert,
        (Decision::Alert, Some(p)) if remind_secs == 0 || now - p.at >= remind_secs => {
            Notify::Remind
        }
        (Decision::Alert, Some(_)) => Notify::Unchanged,
        // A young request whose problems may need time stays quiet, but is not "resolved".
        (Decision::Quiet, Some(_)) if !alertable => Notify::Resolved,
        _ => Notify::Nothing,
    }
}

/// A short, stable fingerprint of the problems an alert is about: each (code, record) once, in
/// order, hashed (FNV-1a, 64 bits) to fit a tag value.
pub fn fingerprint(report: &CertificateReport, min: crate::finding::Severity) -> String {
    // Findings that come and go with a server's mood would make every run "changed".
    const TRANSIENT: &[Code] = &[
        Code::DnsLookupFailed,
        Code::LameNameServer,
        Code::AuthoritativeInconsistent,
    ];
    let mut items: Vec<String> = report
        .at_least(min)
        .filter(|f| !TRANSIENT.contains(&f.code))
        .map(|f| match &f.record_name {
            Some(name) => format!("{} {name}", f.code),
            // About the certificate: its evidence says what changed (a renewal that failed).
            None => format!("{} {}", f.code, f.evidence.join("|")),
        })
        .collect();
    items.sort();
    items.dedup();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in items.join("\n").bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
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
            account: None,
            region: None,
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
            fix: None,
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

    #[test]
    fn repeat_rule() {
        let p = |problems: &str, at| AlertState {
            at,
            problems: problems.into(),
        };
        let day = 86_400;
        let n = |d, alertable, prior: Option<&AlertState>, fp, now| {
            notify(d, alertable, prior, fp, now, day)
        };
        assert_eq!(n(Decision::Alert, true, None, "a", 0), Notify::Alert);
        assert_eq!(
            n(Decision::Alert, true, Some(&p("a", 0)), "b", 10),
            Notify::Alert
        );
        assert_eq!(
            n(Decision::Alert, true, Some(&p("a", 0)), "a", 10),
            Notify::Unchanged
        );
        assert_eq!(
            n(Decision::Alert, true, Some(&p("a", 0)), "a", day),
            Notify::Remind
        );
        assert_eq!(
            notify(Decision::Alert, true, Some(&p("a", 0)), "a", 10, 0),
            Notify::Remind,
            "REMIND_HOURS=0: every run"
        );
        assert_eq!(
            n(Decision::Quiet, false, Some(&p("a", 0)), "", 10),
            Notify::Resolved
        );
        assert_eq!(n(Decision::Quiet, false, None, "", 10), Notify::Nothing);
        assert_eq!(
            n(Decision::Quiet, true, Some(&p("a", 0)), "a", 10),
            Notify::Nothing
        );
        assert_eq!(
            n(Decision::Recheck(60), true, Some(&p("a", 0)), "a", 10),
            Notify::Nothing
        );
    }

    #[test]
    fn fingerprints_follow_the_problems_not_their_order() {
        let r = |codes: &[Code]| report(codes, 0);
        let min = crate::finding::Severity::Warning;
        let a = fingerprint(&r(&[Code::RecordMissing, Code::DoubledDomain]), min);
        assert_eq!(
            a,
            fingerprint(&r(&[Code::DoubledDomain, Code::RecordMissing]), min)
        );
        assert_ne!(a, fingerprint(&r(&[Code::RecordMissing]), min));
        assert_eq!(
            fingerprint(&r(&[Code::RecordMissing, Code::RecordOk]), min),
            fingerprint(&r(&[Code::RecordMissing]), min),
            "info findings are not problems"
        );
        assert_eq!(a.len(), 16);
        let with = |codes: &[Code]| fingerprint(&r(codes), min);
        assert_eq!(
            with(&[Code::RecordMissing, Code::DnsLookupFailed]),
            with(&[Code::RecordMissing]),
            "a failed lookup that comes and goes is not a new problem"
        );
        // A certificate-level finding changes with its evidence (a renewal now FAILED).
        let mut pending = r(&[Code::RenewalAtRisk]);
        pending.findings[0].evidence =
            vec!["RenewalSummary.RenewalStatus PENDING_VALIDATION".into()];
        let mut failed = pending.clone();
        failed.findings[0].evidence = vec!["RenewalSummary.RenewalStatus FAILED".into()];
        assert_ne!(fingerprint(&pending, min), fingerprint(&failed, min));
    }
}
