//! One certificate's outcome: record it, then alert, re-check, announce the all-clear, or nothing.

use super::State;
use super::policy::{Decision, decide};
use super::response::Summary;
use super::work::Work;
use crate::alert::{self, Alert};
use crate::aws::{AwsError, acm, sns, sqs};
use crate::report::CertificateReport;
use crate::time::rfc3339;
use crate::trigger::Recheck;

/// Whether one certificate's work is done, or must come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Done (nothing to retry).
    Done,
    /// Failed: retry the message or the event.
    Failed,
}

/// Records, alerts on or re-schedules one certificate's result. `publish_errors` collects what
/// could not be sent, so that the invocation fails and nothing is lost.
pub async fn handle_one(
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
    summary.certificates_checked += 1;
    for f in &report.findings {
        *summary.findings.entry(f.code.to_string()).or_default() += 1;
    }
    let decision = decide(&state.config, &report, w, now);
    let outcome = match decision {
        Decision::Quiet => match &w.issued {
            // Issued or renewed, and nothing to say: announce it if we had alerted.
            Some(action) => announce_issued(state, summary, w, &report, action).await,
            None => Handled::Done,
        },
        Decision::Recheck(delay) => recheck(state, summary, publish_errors, w, delay).await,
        Decision::Alert => {
            let a = alert::alert(&report, state.config.min_severity, &state.region, now);
            match publish(state, &a).await {
                Ok(()) => {
                    summary.alerts_published += 1;
                    // Remember it on the certificate, so that its issuance can be announced.
                    if let Err(e) =
                        acm::mark_alerted(&state.doctor.acm, &w.arn, &rfc3339(now)).await
                    {
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
    summary.report.certificates.push(report);
    outcome
}

/// Schedules a re-check of a new request after `delay` seconds.
async fn recheck(
    state: &State,
    summary: &mut Summary,
    publish_errors: &mut Vec<String>,
    w: &Work,
    delay: i32,
) -> Handled {
    let Some(url) = &state.config.recheck_queue_url else {
        return Handled::Done;
    };
    let r = Recheck {
        certificate_arn: w.arn.clone(),
        attempt: w.attempt + 1,
        message_id: None,
    };
    let body = serde_json::to_string(&r).unwrap_or_default();
    match sqs::send_delayed(&state.sqs, url, &body, delay).await {
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

async fn publish(state: &State, a: &Alert) -> Result<(), AwsError> {
    sns::publish(
        &state.sns,
        &state.config.topic_arn,
        &a.subject,
        &a.message,
        a.attribute_triples(),
    )
    .await
    .map(|_| ())
}

/// After `ACM Certificate Available` for a certificate with nothing left to alert on: if we had
/// alerted about it, say it is resolved and forget the alert.
async fn announce_issued(
    state: &State,
    summary: &mut Summary,
    w: &Work,
    report: &CertificateReport,
    action: &str,
) -> Handled {
    let alerted = match acm::alerted_at(&state.doctor.acm, &w.arn).await {
        Ok(Some(at)) => at,
        Ok(None) => return Handled::Done,
        Err(e) => {
            tracing::warn!(certificate_arn = %w.arn, error = %e, "could not read the certificate's tags");
            return Handled::Done;
        }
    };
    let message = alert::resolved(report, action, &alerted);
    if let Err(e) = publish(state, &message).await {
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
