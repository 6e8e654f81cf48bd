//! The Lambda handler: trigger → work list → engine → alerts and re-checks → summary.

use crate::aws::{AwsError, acm, sns, sqs};
use crate::config::Config;
use crate::engine::{self, Doctor};
use crate::finding::Code;
use crate::report::{CertificateReport, Report};
use crate::trigger::{self, Recheck, Trigger, TriggerError};
use aws_sdk_acm::types::CertificateStatus;
use futures::StreamExt;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// Clients and settings, built once per process (in `main`).
pub struct State {
    /// The engine.
    pub doctor: Doctor,
    /// SNS client for alerts.
    pub sns: aws_sdk_sns::Client,
    /// SQS client for re-checks.
    pub sqs: aws_sdk_sqs::Client,
    /// Settings.
    pub config: Config,
    /// AWS Region (for console links).
    pub region: String,
}

impl State {
    /// Builds every client from one SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig, config: Config) -> State {
        let mut doctor = Doctor::new(sdk, config.dns.clone());
        doctor.max_concurrency = config.max_concurrency;
        State {
            doctor,
            sns: aws_sdk_sns::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            region: sdk
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            config,
        }
    }
}

/// Why an invocation failed. The variant name is the Lambda `errorType` (stable; alarms and the
/// failure destination see it).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event is not one we accept.
    #[error(transparent)]
    BadEvent(#[from] TriggerError),
    /// The sweep could not list certificates.
    #[error("sweep: {0}")]
    SweepFailed(AwsError),
    /// An alert could not be published (so EventBridge retries and nothing is lost).
    #[error("{failed} alert(s) could not be published: {first}")]
    PublishFailed {
        /// How many.
        failed: usize,
        /// The first error.
        first: String,
    },
    /// Certificates named by the event could not be checked.
    #[error("{0}")]
    CertificatesFailed(String),
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let error_type = match &e {
            HandlerError::BadEvent(_) => "BadEvent",
            HandlerError::SweepFailed(_) => "SweepFailed",
            HandlerError::PublishFailed { .. } => "PublishFailed",
            HandlerError::CertificatesFailed(_) => "CertificatesFailed",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// What an invocation did (returned, and logged as one line).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The trigger, in a word.
    pub trigger: String,
    /// Certificates checked.
    pub certificates_checked: usize,
    /// Findings per code.
    pub findings: BTreeMap<String, usize>,
    /// SNS messages published.
    pub alerts_published: usize,
    /// All-clear messages published (issued or renewed after an alert).
    pub resolved_published: usize,
    /// Re-checks scheduled (new requests within the grace period).
    pub rechecks_scheduled: usize,
    /// Certificates not reached before the deadline.
    pub not_reached: Vec<String>,
    /// Certificates that could not be checked, with why.
    pub failed: Vec<(String, String)>,
    /// Re-checked or just-requested certificates that no longer exist.
    pub gone: Vec<String>,
    /// Re-check messages to retry (SQS partial batch response): only these come back, not the batch.
    #[serde(rename = "batchItemFailures", skip_serializing_if = "Vec::is_empty")]
    pub batch_item_failures: Vec<BatchItemFailure>,
    /// The JSON report of what was checked.
    #[serde(skip)]
    pub report: Report,
}

/// One failed message of an SQS batch, as Lambda's partial batch response names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BatchItemFailure {
    /// The SQS message id.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Findings that may just need time on a new request.
const WAITABLE: &[Code] = &[
    Code::RecordMissing,
    Code::RecordNotPropagated,
    Code::ResourceRecordNotReady,
    Code::DnsLookupFailed,
];
/// Re-checks stop after this many attempts, whatever the clock says.
const MAX_RECHECKS: u32 = 8;

/// One certificate to check.
#[derive(Debug, Clone)]
struct Work {
    arn: String,
    /// The re-check message it came in, if any.
    message_id: Option<String>,
    /// `ACM Certificate Available` said it was issued or renewed (the `Action`): announce it if we alerted.
    issued: Option<String>,
    attempt: u32,
    new_request: bool,
}

/// The Lambda entry point.
pub async fn handler(state: &State, event: LambdaEvent<Value>) -> Result<Summary, HandlerError> {
    let deadline = event.context.deadline();
    handle(state, &event.payload, deadline, engine::now()).await
}

/// Handles one payload, stopping new work `deadline_reserve` before `deadline`.
pub async fn handle(
    state: &State,
    payload: &Value,
    deadline: SystemTime,
    now: i64,
) -> Result<Summary, HandlerError> {
    let trigger = match trigger::parse(payload) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "rejected event");
            return Err(e.into());
        }
    };
    let (name, work) = work_list(state, &trigger).await?;
    let mut summary = Summary {
        trigger: name.into(),
        ..Summary::default()
    };
    let cutoff = deadline
        .checked_sub(state.config.deadline_reserve)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    // A check that started before the cutoff may not run past this: what it would find is lost
    // anyway if the function times out before publishing.
    let hard_stop = deadline
        .checked_sub(state.config.deadline_reserve / 3)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let hard_stop = tokio::time::Instant::now()
        + hard_stop
            .duration_since(SystemTime::now())
            .unwrap_or_default();
    let run = state.doctor.run();
    let results: Vec<(Work, Option<CertificateReport>)> = futures::stream::iter(work)
        .map(|w| {
            let run = &run;
            async move {
                if SystemTime::now() >= cutoff {
                    return (w, None);
                }
                let report =
                    tokio::time::timeout_at(hard_stop, check_with_wait(state, run, &w, cutoff))
                        .await;
                (w, report.ok())
            }
        })
        .buffered(state.config.max_concurrency)
        .collect()
        .await;

    let mut publish_errors = Vec::new();
    let mut failed_messages: Vec<String> = Vec::new();
    for (w, report) in results {
        if handle_one(state, &mut summary, &mut publish_errors, &w, report, now).await
            == Handled::Failed
        {
            failed_messages.extend(w.message_id.clone());
        }
    }
    summary.report.not_reached = summary.not_reached.clone();
    if name == "recheck" {
        // Partial batch response: only the failed messages come back (ReportBatchItemFailures).
        summary.batch_item_failures = failed_messages
            .into_iter()
            .map(|item_identifier| BatchItemFailure { item_identifier })
            .collect();
    }
    log_summary(&summary);
    if name == "recheck" {
        return Ok(summary);
    }
    if let Some(first) = publish_errors.first() {
        return Err(HandlerError::PublishFailed {
            failed: publish_errors.len(),
            first: first.clone(),
        });
    }
    if name != "sweep" && (!summary.failed.is_empty() || !summary.not_reached.is_empty()) {
        // The event named these certificates: fail, so EventBridge retries and then the failure
        // destination gets it. A sweep reports them and the next sweep tries again.
        let mut list: Vec<String> = summary
            .failed
            .iter()
            .map(|(a, e)| format!("{a}: {e}"))
            .collect();
        list.extend(
            summary
                .not_reached
                .iter()
                .map(|a| format!("{a}: not reached before the deadline")),
        );
        return Err(HandlerError::CertificatesFailed(list.join("; ")));
    }
    Ok(summary)
}

/// Records, alerts on or re-schedules one certificate's result.
async fn handle_one(
    state: &State,
    summary: &mut Summary,
    publish_errors: &mut Vec<String>,
    w: &Work,
    report: Option<CertificateReport>,
    now: i64,
) -> Handled {
    let Some(report) = report else {
        summary.not_reached.push(w.arn.clone());
        return Handled::Failed;
    };
    if report.not_found && w.new_request {
        // Deleted since it was requested (often: a typo spotted, requested again). Nothing to check.
        tracing::info!(certificate_arn = %w.arn, "certificate no longer exists");
        summary.gone.push(w.arn.clone());
        return Handled::Done;
    }
    if let Some(e) = &report.error {
        summary.failed.push((w.arn.clone(), e.clone()));
        summary.report.certificates.push(report);
        return Handled::Failed;
    }
    // Read before this run's own alert, which would tag the certificate again.
    let prior_alert = match &w.issued {
        Some(_) => match acm::alerted_at(&state.doctor.acm, &w.arn).await {
            Ok(at) => at,
            Err(e) => {
                tracing::warn!(certificate_arn = %w.arn, error = %e, "could not read the certificate's tags");
                None
            }
        },
        None => None,
    };
    summary.certificates_checked += 1;
    for f in &report.findings {
        *summary.findings.entry(f.code.to_string()).or_default() += 1;
    }
    let outcome = match decide(&state.config, &report, w, now) {
        Decision::Quiet => Handled::Done,
        Decision::Recheck(delay) => match &state.config.recheck_queue_url {
            None => Handled::Done,
            Some(url) => {
                let r = Recheck {
                    certificate_arn: w.arn.clone(),
                    attempt: w.attempt + 1,
                    message_id: None,
                };
                match sqs::schedule(&state.sqs, url, &r, delay).await {
                    Ok(()) => {
                        summary.rechecks_scheduled += 1;
                        Handled::Done
                    }
                    Err(e) => {
                        publish_errors.push(format!("re-check of {}: {e}", w.arn));
                        Handled::Failed
                    }
                }
            }
        },
        Decision::Alert => {
            let alert = sns::alert(&report, state.config.min_severity, &state.region, now);
            match sns::publish(&state.sns, &state.config.topic_arn, &alert).await {
                Ok(_) => {
                    summary.alerts_published += 1;
                    // Remember it on the certificate, so that its issuance can be announced.
                    let at = crate::report::time(now);
                    if let Err(e) = acm::mark_alerted(&state.doctor.acm, &w.arn, &at).await {
                        tracing::warn!(certificate_arn = %w.arn, error = %e, "could not tag the certificate as alerted");
                    }
                    Handled::Done
                }
                Err(e) => {
                    publish_errors.push(format!("{}: {e}", w.arn));
                    Handled::Failed
                }
            }
        }
    };
    let outcome = match (&w.issued, prior_alert, outcome) {
        (Some(action), Some(at), Handled::Done) => {
            announce_issued(state, summary, w, &report, action, &at).await
        }
        (_, _, o) => o,
    };
    summary.report.certificates.push(report);
    outcome
}

/// After `ACM Certificate Available` for a certificate we had alerted about: say it is resolved.
async fn announce_issued(
    state: &State,
    summary: &mut Summary,
    w: &Work,
    report: &CertificateReport,
    action: &str,
    alerted: &str,
) -> Handled {
    let message = sns::resolved(report, action, alerted);
    if let Err(e) = sns::publish(&state.sns, &state.config.topic_arn, &message).await {
        summary
            .failed
            .push((w.arn.clone(), format!("announcing the issuance: {e}")));
        return Handled::Failed;
    }
    summary.resolved_published += 1;
    if let Err(e) = acm::clear_alerted(&state.doctor.acm, &w.arn).await {
        tracing::warn!(certificate_arn = %w.arn, error = %e, "could not remove the alerted tag");
    }
    Handled::Done
}

/// Whether one certificate's work is done, or must come back.
#[derive(Debug, PartialEq, Eq)]
enum Handled {
    Done,
    Failed,
}

/// The one summary line of an invocation, and a line per certificate not checked.
fn log_summary(summary: &Summary) {
    tracing::info!(
        trigger = %summary.trigger,
        certificates_checked = summary.certificates_checked,
        findings = %serde_json::to_string(&summary.findings).unwrap_or_default(),
        alerts_published = summary.alerts_published,
        rechecks_scheduled = summary.rechecks_scheduled,
        not_reached = summary.not_reached.len(),
        failed = summary.failed.len(),
        "invocation summary"
    );
    for (arn, e) in &summary.failed {
        tracing::error!(certificate_arn = %arn, error = %e, "certificate not checked");
    }
    for arn in &summary.not_reached {
        tracing::warn!(certificate_arn = %arn, "not reached before the deadline");
    }
}

async fn work_list(
    state: &State,
    trigger: &Trigger,
) -> Result<(&'static str, Vec<Work>), HandlerError> {
    let each = |arns: &[String], new_request: bool| -> Vec<Work> {
        arns.iter()
            .map(|a| Work {
                arn: a.clone(),
                message_id: None,
                issued: None,
                attempt: 0,
                new_request,
            })
            .collect()
    };
    Ok(match trigger {
        Trigger::Requested { arn } => ("request", each(std::slice::from_ref(arn), true)),
        Trigger::Acm {
            arns,
            detail_type,
            action,
        } => {
            let mut work = each(arns, false);
            if detail_type == "ACM Certificate Available"
                && let Some(a @ ("ISSUANCE" | "RENEWAL")) = action.as_deref()
            {
                for w in &mut work {
                    w.issued = Some(a.to_owned());
                }
            }
            ("acm-event", work)
        }
        Trigger::Direct { arns } => ("direct", each(arns, false)),
        Trigger::Recheck { items } => (
            "recheck",
            items
                .iter()
                .map(|r| Work {
                    arn: r.certificate_arn.clone(),
                    attempt: r.attempt,
                    message_id: r.message_id.clone(),
                    issued: None,
                    new_request: true,
                })
                .collect(),
        ),
        Trigger::Sweep => {
            let arns = acm::list(&state.doctor.acm, &[CertificateStatus::PendingValidation])
                .await
                .map_err(HandlerError::SweepFailed)?;
            ("sweep", each(&arns, false))
        }
        Trigger::Nothing { reason } => {
            tracing::info!(%reason, "nothing to check");
            ("nothing", Vec::new())
        }
    })
}

/// Checks one certificate; right after a request, waits (bounded) for ACM to show its records.
async fn check_with_wait(
    state: &State,
    run: &engine::Run<'_>,
    w: &Work,
    cutoff: SystemTime,
) -> CertificateReport {
    let mut wait = state.config.record_wait;
    let mut report = run.check_one(&w.arn).await;
    for _ in 0..4 {
        let not_ready = report
            .findings
            .iter()
            .any(|f| f.code == Code::ResourceRecordNotReady);
        if !(w.new_request && not_ready) || SystemTime::now() + wait >= cutoff {
            break;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        report = run.check_one(&w.arn).await;
    }
    report
}

/// What to do with one certificate's report.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    /// Nothing at or above the alert threshold.
    Quiet,
    /// A new request whose only problems may need time: check again after this many seconds.
    Recheck(i32),
    /// Tell people.
    Alert,
}

/// The grace rule (pure): within `grace` of the request, problems that may just need time don't alert.
fn decide(config: &Config, report: &CertificateReport, w: &Work, now: i64) -> Decision {
    let alertable: Vec<_> = report.at_least(config.min_severity).collect();
    if alertable.is_empty() {
        return Decision::Quiet;
    }
    let created = report
        .created_at
        .as_deref()
        .and_then(|t| {
            aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime)
                .ok()
        })
        .map(|t| t.secs());
    let age = created.map(|c| now - c).unwrap_or(i64::MAX);
    let grace = config.grace.as_secs() as i64;
    let pending = report.status.as_deref() == Some("PENDING_VALIDATION");
    let only_waitable = alertable.iter().all(|f| WAITABLE.contains(&f.code));
    if pending && only_waitable && age < grace {
        if !w.new_request {
            return Decision::Quiet; // The request's own re-check will alert if needed.
        }
        if config.recheck_queue_url.is_some() && w.attempt < MAX_RECHECKS {
            let left = (grace - age).clamp(30, i64::from(sqs::MAX_DELAY_SECS));
            return Decision::Recheck(left as i32);
        }
    }
    Decision::Alert
}

/// Used by the CLI's `sweep`: list, then check, like the Lambda but printing instead of publishing.
pub async fn sweep_report(doctor: &Doctor) -> Result<Report, AwsError> {
    let arns = acm::list(&doctor.acm, &[CertificateStatus::PendingValidation]).await?;
    Ok(doctor.check(&arns).await)
}

/// A deadline `d` from now (for callers without a Lambda context).
pub fn deadline_in(d: Duration) -> SystemTime {
    SystemTime::now() + d
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
            status: Some("PENDING_VALIDATION".into()),
            domains: vec![],
            created_at: Some(crate::report::time(created)),
            findings: codes.iter().map(|c| Finding::new(*c, "", "")).collect(),
            error: None,
            not_found: false,
        }
    }
    fn work(new_request: bool, attempt: u32) -> Work {
        Work {
            arn: "arn".into(),
            message_id: None,
            issued: None,
            attempt,
            new_request,
        }
    }

    #[test]
    fn grace_rule() {
        let now = 10_000;
        let young = now - 60;
        let old = now - 3600;
        let c = config(true);
        assert_eq!(
            decide(&c, &report(&[Code::RecordOk], young), &work(true, 0), now),
            Decision::Quiet
        );
        assert_eq!(
            decide(
                &c,
                &report(&[Code::RecordMissing], young),
                &work(true, 0),
                now
            ),
            Decision::Recheck(840)
        );
        assert_eq!(
            decide(
                &c,
                &report(&[Code::RecordMissing], old),
                &work(true, 3),
                now
            ),
            Decision::Alert
        );
        // Definite misconfigurations alert at once.
        assert_eq!(
            decide(
                &c,
                &report(&[Code::DoubledDomain], young),
                &work(true, 0),
                now
            ),
            Decision::Alert
        );
        // A sweep leaves a young request to its own re-check.
        assert_eq!(
            decide(
                &c,
                &report(&[Code::RecordMissing], young),
                &work(false, 0),
                now
            ),
            Decision::Quiet
        );
        // No queue: no way to look again, so alert now rather than miss it.
        assert_eq!(
            decide(
                &config(false),
                &report(&[Code::RecordMissing], young),
                &work(true, 0),
                now
            ),
            Decision::Alert
        );
        // Bounded: after MAX_RECHECKS, alert.
        assert_eq!(
            decide(
                &c,
                &report(&[Code::RecordMissing], young),
                &work(true, MAX_RECHECKS),
                now
            ),
            Decision::Alert
        );
    }
}
