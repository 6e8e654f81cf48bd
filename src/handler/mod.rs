//! The Lambda handler: trigger → work list → engine → outcome (alerts, re-checks) → summary.
//!
//! `work` turns an event into certificates to check, `policy` decides (pure) what a report calls
//! for, `outcome` does it, `response` is what the invocation answers and logs.

mod autofix;
mod handing;
mod metrics;
mod outcome;
mod policy;
mod response;
mod work;

pub use metrics::{NAMESPACE, RENEWAL_AT_RISK};
pub use policy::{Decision, MAX_RECHECKS, decide};
pub use response::{Summary, Tally};
pub use work::Work;

use crate::aws::fleet::Fleet;
use crate::config::Config;
use crate::engine::{self, Doctor};
use crate::evidence::Evidence;
use crate::finding::Code;
use crate::report::CertificateReport;
use crate::trigger::{self, Trigger, TriggerError, TriggerKind};
use futures::StreamExt;
use lambda_runtime::{Diagnostic, LambdaEvent};
use outcome::Handled;
use response::{batch_item_failure, log_summary};
use serde_json::Value;
use std::time::SystemTime;

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
        // Fanned out, each Region of an account sweeps in an invocation of its own: Route 53's
        // quota, one per account, is shared among them.
        let regions = if config.recheck_queue_url.is_some() {
            config.regions.len()
        } else {
            1
        };
        let fleet = Fleet::new(
            sdk,
            config.roles.clone(),
            config.external_id.clone(),
            config.quotas.clone().shared("route53", regions),
        );
        let mut doctor = Doctor::with_fleet(fleet, config.dns.clone());
        doctor.max_concurrency = config.max_concurrency;
        State {
            doctor,
            sns: aws_sdk_sns::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            region: sdk
                .region()
                .map_or_else(|| "us-east-1".into(), std::string::ToString::to_string),
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
    /// The sweep could not list certificates in any scope.
    #[error("sweep: {0}")]
    SweepFailed(String),
    /// Messages (fanned-out scopes, handed-on certificates) could not be queued.
    #[error("{failed} message(s) could not be queued: {first}")]
    QueueFailed {
        /// How many.
        failed: usize,
        /// The first error.
        first: String,
    },
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
            HandlerError::QueueFailed { .. } => "QueueFailed",
            HandlerError::PublishFailed { .. } => "PublishFailed",
            HandlerError::CertificatesFailed(_) => "CertificatesFailed",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// The Lambda entry point.
pub async fn handler(state: &State, event: LambdaEvent<Value>) -> Result<Summary, HandlerError> {
    let deadline = event.context.deadline();
    handle(state, &event.payload, deadline, crate::time::now()).await
}

/// Handles one payload, stopping new work `deadline_reserve` before `deadline`.
pub async fn handle(
    state: &State,
    payload: &Value,
    deadline: SystemTime,
    now: i64,
) -> Result<Summary, HandlerError> {
    let started = std::time::Instant::now();
    let throttles_before = state.doctor.fleet.meter().counts().throttles();
    let trigger = match trigger::parse(payload) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "rejected event");
            return Err(e.into());
        }
    };
    let kind = trigger.kind();
    let mut summary = Summary {
        trigger: kind,
        ..Summary::default()
    };
    if let Trigger::Sweep { scope: None } = &trigger
        && let Some(url) = &state.config.recheck_queue_url
    {
        let scopes = state.doctor.fleet.scopes(&state.config.regions);
        if scopes.len() > 1 {
            // Lambda and SQS are the distributed engine: each scope in its own invocation.
            let result = handing::fan_out(state, url, &scopes).await;
            summary.fanned_out = scopes.len() - result.as_ref().err().map_or(0, |e| e.0);
            finish(state, &mut summary, started, throttles_before);
            return result
                .map(|()| summary)
                .map_err(|(failed, first)| HandlerError::QueueFailed { failed, first });
        }
    }
    let mut list = match work::work_list(state, &trigger).await {
        Ok(l) => l,
        Err(e) => {
            finish(state, &mut summary, started, throttles_before);
            return Err(e);
        }
    };
    // One certificate of each scope in turn, so that every scope's quota is busy at once.
    list.work = interleave_by_scope(list.work);
    summary.rejected = list
        .rejected
        .iter()
        .map(|r| (r.message_id.clone(), r.why.clone()))
        .collect();
    summary.scopes_failed.clone_from(&list.scopes_failed);
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
    let scopes: std::collections::BTreeSet<(String, String)> =
        list.work.iter().map(|w| scope_key(&w.arn)).collect();
    let concurrency = state.doctor.concurrency(scopes.len());
    // Each certificate's outcome (alert, tags, re-check) follows its check at once, so the
    // phases overlap and every API stays at its own pace; unordered, so one slow certificate
    // never holds back the others' slots.
    let mut results: Vec<(usize, Work, Option<outcome::Outcome>)> =
        futures::stream::iter(list.work.into_iter().enumerate())
            .map(|(i, w)| {
                let run = &run;
                async move {
                    if SystemTime::now() >= cutoff {
                        return (i, w, None);
                    }
                    let checked =
                        tokio::time::timeout_at(hard_stop, check_with_wait(state, run, &w, cutoff))
                            .await;
                    let Ok((report, evidence)) = checked else {
                        return (i, w, None);
                    };
                    // The outcome waits for its own API slots: it too stops at the hard stop
                    // (the certificate is then handed on, and checked again).
                    let out = tokio::time::timeout_at(
                        hard_stop,
                        Box::pin(outcome::outcome(state, &w, report, evidence.as_ref(), now)),
                    )
                    .await;
                    (i, w, out.ok())
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
    results.sort_by_key(|(i, _, _)| *i);

    let mut publish_errors = Vec::new();
    // A message that cannot be read now never will: it goes back, and after the queue's
    // maxReceiveCount to the failure queue, where it can be looked at. It is never dropped.
    let mut failed_messages: Vec<String> =
        list.rejected.into_iter().map(|r| r.message_id).collect();
    failed_messages.extend(list.failed_messages);
    let mut unreached: Vec<Work> = Vec::new();
    for (_, w, out) in results {
        let (account, region) = scope_key(&w.arn);
        let Some(out) = out else {
            unreached.push(w);
            continue;
        };
        // A sweep's certificate that cannot be checked is reported, and the next sweep tries
        // again; what could not be published is retried.
        let retry = out.handled == Handled::Failed && (!w.sweep || !out.publish_errors.is_empty());
        if retry {
            failed_messages.extend(w.message_id.clone());
        }
        publish_errors.extend(out.publish_errors);
        summary.absorb(out.summary, account, region);
    }
    let queue = state.config.recheck_queue_url.as_deref();
    let (hand_on, stay): (Vec<Work>, Vec<Work>) = unreached
        .into_iter()
        .partition(|w| w.sweep && queue.is_some());
    for w in stay {
        failed_messages.extend(w.message_id.clone());
        let (account, region) = scope_key(&w.arn);
        let one = Summary {
            not_reached: vec![w.arn],
            ..Summary::default()
        };
        summary.absorb(one, account, region);
    }
    if let (Some(url), false) = (queue, hand_on.is_empty()) {
        let scopes = by_scope(hand_on);
        match handing::hand_on(state, url, &scopes).await {
            Ok(()) => {
                for w in scopes.iter().flatten() {
                    let (account, region) = scope_key(&w.arn);
                    summary.handed_on(account, region, 1);
                }
            }
            Err(e) => {
                // Not handed on: the messages they came in are retried, and a scheduled sweep
                // reports them as not reached.
                tracing::error!(error = %e, "could not hand on the certificates not reached");
                for w in scopes.into_iter().flatten() {
                    failed_messages.extend(w.message_id.clone());
                    summary.not_reached.push(w.arn);
                }
            }
        }
    }
    failed_messages.sort();
    failed_messages.dedup();
    summary.report.not_reached = summary.not_reached.clone();
    summary.report.scopes_failed = summary.scopes_failed.clone();
    finish(state, &mut summary, started, throttles_before);
    if kind == TriggerKind::Queue {
        // Partial batch response: only the failed messages come back (ReportBatchItemFailures).
        summary.batch_item_failures = failed_messages
            .into_iter()
            .map(batch_item_failure)
            .collect();
        return Ok(summary);
    }
    if let Some(first) = publish_errors.first() {
        return Err(HandlerError::PublishFailed {
            failed: publish_errors.len(),
            first: first.clone(),
        });
    }
    if kind != TriggerKind::Sweep && (!summary.failed.is_empty() || !summary.not_reached.is_empty())
    {
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

/// The work reordered one certificate of each scope in turn (each scope in its first order).
fn interleave_by_scope(work: Vec<Work>) -> Vec<Work> {
    engine::interleave(by_scope(work))
}

/// The work grouped by account and Region, each group and each scope in its first order.
fn by_scope(work: Vec<Work>) -> Vec<Vec<Work>> {
    let mut groups: Vec<((String, String), Vec<Work>)> = Vec::new();
    for w in work {
        let key = scope_key(&w.arn);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(w),
            None => groups.push((key, vec![w])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// The account and Region of a certificate (from its ARN), the metrics' dimensions.
fn scope_key(arn: &str) -> (String, String) {
    let (account, region) = crate::report::account_and_region(arn);
    (account.unwrap_or_default(), region.unwrap_or_default())
}

/// Throttles and duration, then the summary line with its metrics.
fn finish(
    state: &State,
    summary: &mut Summary,
    started: std::time::Instant,
    throttles_before: u64,
) {
    summary.throttles = state
        .doctor
        .fleet
        .meter()
        .counts()
        .throttles()
        .saturating_sub(throttles_before);
    summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    log_summary(summary, crate::time::now() * 1000);
}

/// Checks one certificate; right after a request, waits (bounded) for ACM to show its records.
async fn check_with_wait(
    state: &State,
    run: &engine::Run<'_>,
    w: &Work,
    cutoff: SystemTime,
) -> (CertificateReport, Option<Evidence>) {
    let mut wait = state.config.record_wait;
    let mut checked = run.examine(&w.arn).await;
    for _ in 0..4 {
        let not_ready = checked
            .0
            .findings
            .iter()
            .any(|f| f.code == Code::ResourceRecordNotReady);
        if !(w.new_request && not_ready) || SystemTime::now() + wait >= cutoff {
            break;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        checked = run.examine(&w.arn).await;
    }
    checked
}
