//! The Lambda handler: trigger → work list → engine → outcome (alerts, re-checks) → summary.
//!
//! `work` turns an event into certificates to check, `policy` decides (pure) what a report calls
//! for, `outcome` does it, `response` is what the invocation answers and logs.

mod outcome;
mod policy;
mod response;
mod work;

pub use policy::{Decision, MAX_RECHECKS, decide};
pub use response::Summary;
pub use work::Work;

use crate::aws::AwsError;
use crate::config::Config;
use crate::engine::{self, Doctor};
use crate::finding::Code;
use crate::report::CertificateReport;
use crate::trigger::{self, TriggerError, TriggerKind};
use futures::StreamExt;
use lambda_runtime::{Diagnostic, LambdaEvent};
use outcome::{Handled, handle_one};
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
        let mut doctor = Doctor::new(sdk, config.dns.clone());
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
    let trigger = match trigger::parse(payload) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "rejected event");
            return Err(e.into());
        }
    };
    let kind = trigger.kind();
    let (work, rejected) = work::work_list(state, &trigger).await?;
    let mut summary = Summary {
        trigger: kind,
        rejected: rejected
            .iter()
            .map(|r| (r.message_id.clone(), r.why.clone()))
            .collect(),
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
    // A message that cannot be read now never will: it goes back, and after the queue's
    // maxReceiveCount to the failure queue, where it can be looked at. It is never dropped.
    let mut failed_messages: Vec<String> = rejected.into_iter().map(|r| r.message_id).collect();
    for (w, report) in results {
        if handle_one(state, &mut summary, &mut publish_errors, &w, report, now).await
            == Handled::Failed
        {
            failed_messages.extend(w.message_id.clone());
        }
    }
    summary.report.not_reached = summary.not_reached.clone();
    if kind == TriggerKind::Recheck {
        // Partial batch response: only the failed messages come back (ReportBatchItemFailures).
        summary.batch_item_failures = failed_messages
            .into_iter()
            .map(batch_item_failure)
            .collect();
        log_summary(&summary);
        return Ok(summary);
    }
    log_summary(&summary);
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
