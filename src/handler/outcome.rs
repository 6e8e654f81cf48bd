//! One certificate's outcome: record it, then alert, re-check, announce the all-clear, or nothing.

use super::State;
use super::autofix::{self, AutoFixed};
use super::policy::{self, Decision, Notify, decide};
use super::response::Summary;
use super::work::Work;
use crate::alert::{self, Alert};
use crate::aws::{AwsError, Paced, acm, sns, sqs};
use crate::evidence::Evidence;
use crate::evidence::{AlertState, CertificateStatus};
use crate::report::CertificateReport;
use crate::trigger::Recheck;

/// Whether one certificate's work is done, or must come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Done (nothing to retry).
    Done,
    /// Failed: retry the message or the event.
    Failed,
}

/// One certificate's outcome: its own summary (merged by the caller), what could not be sent,
/// and whether its message must come back.
#[derive(Debug)]
pub struct Outcome {
    /// What it adds to the invocation's summary.
    pub summary: Summary,
    /// Alerts or re-checks that could not be sent.
    pub publish_errors: Vec<String>,
    /// Done, or to be retried.
    pub handled: Handled,
}

/// Records, alerts on or re-schedules one certificate's result, on its own summary.
pub async fn outcome(
    state: &State,
    w: &Work,
    mut report: CertificateReport,
    evidence: Option<&Evidence>,
    now: i64,
) -> Outcome {
    let mut summary = Summary::default();
    let mut publish_errors = Vec::new();
    let handled = if report.error.is_none()
        && let AutoFixed::Fixed(plan, sent) =
            autofix::auto_fix(state, w, &mut report, evidence).await
    {
        announce_fixed(
            state,
            &mut summary,
            &mut publish_errors,
            w,
            report,
            &plan,
            &sent,
        )
        .await
    } else {
        handle_one(state, &mut summary, &mut publish_errors, w, report, now).await
    };
    Outcome {
        summary,
        publish_errors,
        handled,
    }
}

/// After `AUTO_FIX=apply`: one notice (`event` `fixed`) with what was changed, and a re-check
/// that confirms it.
async fn announce_fixed(
    state: &State,
    summary: &mut Summary,
    publish_errors: &mut Vec<String>,
    w: &Work,
    report: CertificateReport,
    plan: &crate::fix::CertificatePlan,
    sent: &[String],
) -> Handled {
    summary.checked(&report);
    let notice = alert::fixed::notice(&report, plan, sent);
    let handled = match publish(state, &notice).await {
        Ok(()) => {
            summary.fixed += 1;
            to_chat(state, &w.arn, &alert::chat::resolved(&report, "fixed")).await;
            recheck(state, summary, publish_errors, w, FIXED_RECHECK_SECS).await
        }
        Err(e) => {
            publish_errors.push(format!("{}: {e}", w.arn));
            Handled::Failed
        }
    };
    summary.report.certificates.push(report);
    handled
}

/// After a fix, the re-check that confirms it (resolvers may hold the old answer a while).
const FIXED_RECHECK_SECS: i32 = 120;

/// ACM in the certificate's own account and Region.
async fn acm_of(state: &State, arn: &str) -> Result<Paced<aws_sdk_acm::Client>, AwsError> {
    let scope = state.doctor.fleet.scope_of(arn)?;
    Ok(state.doctor.fleet.acm(&scope).await?.acm)
}

/// Records, alerts on or re-schedules one certificate's result. `publish_errors` collects what
/// could not be sent, so that the invocation fails and nothing is lost.
async fn handle_one(
    state: &State,
    summary: &mut Summary,
    publish_errors: &mut Vec<String>,
    w: &Work,
    report: CertificateReport,
    now: i64,
) -> Handled {
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
    summary.checked(&report);
    let decision = decide(&state.config, &report, w, now);
    let outcome = match decision {
        Decision::Recheck(delay) => recheck(state, summary, publish_errors, w, delay).await,
        Decision::Quiet | Decision::Alert => {
            notify_once(state, summary, publish_errors, w, &report, decision, now).await
        }
    };
    summary.report.certificates.push(report);
    outcome
}

/// Alerts, reminds, announces the all-clear or stays quiet, by what the certificate's tags
/// remember of the last alert (`policy::notify`).
async fn notify_once(
    state: &State,
    summary: &mut Summary,
    publish_errors: &mut Vec<String>,
    w: &Work,
    report: &CertificateReport,
    decision: Decision,
    now: i64,
) -> Handled {
    let min = state.config.min_severity;
    let acm = acm_of(state, &w.arn).await;
    let prior = match async { acm::alert_state(acm.as_ref().map_err(Clone::clone)?, &w.arn).await }
        .await
    {
        Ok(p) => p,
        Err(e) => {
            // Unknown: alert as if new rather than stay silent (a repeat, never a loss).
            tracing::warn!(certificate_arn = %w.arn, error = %e, "could not read the certificate's tags");
            None
        }
    };
    let fingerprint = policy::fingerprint(report, min);
    let alertable = report.at_least(min).next().is_some();
    let remind = i64::try_from(state.config.remind.as_secs()).unwrap_or(i64::MAX);
    match policy::notify(
        decision,
        alertable,
        prior.as_ref(),
        &fingerprint,
        now,
        remind,
    ) {
        Notify::Nothing => Handled::Done,
        Notify::Unchanged => {
            summary.unchanged += 1;
            Handled::Done
        }
        // Nothing found because nothing is checked any more (expired, revoked, inactive) is no
        // all-clear: that needs a certificate issued, renewed, or pending and fine now.
        Notify::Resolved
            if w.issued.is_none()
                && !matches!(
                    report.status,
                    Some(CertificateStatus::Issued | CertificateStatus::PendingValidation)
                ) =>
        {
            Handled::Done
        }
        Notify::Resolved => {
            let at = prior.map_or(now, |p| p.at);
            announce_resolved(state, summary, w, report, at, acm.ok()).await
        }
        Notify::Alert | Notify::Remind => {
            let new = AlertState {
                at: now,
                problems: fingerprint,
            };
            // Published first, remembered after: a publish that fails leaves the memory as it
            // was (the next run alerts again); a memory that cannot be written only makes the
            // next run repeat the alert. Neither loses it.
            let a = alert::alert(report, min, &state.region, now, w.prompted_by.as_deref());
            if let Err(e) = publish(state, &a).await {
                publish_errors.push(format!("{}: {e}", w.arn));
                return Handled::Failed;
            }
            summary.alerts_published += 1;
            let remembered = match &acm {
                Ok(acm) => acm::set_alert_state(acm, &w.arn, &new).await,
                Err(e) => Err(e.clone()),
            };
            if let Err(e) = remembered {
                tracing::warn!(certificate_arn = %w.arn, error = %e, "could not remember the alert on the certificate: the next run may repeat it");
            }
            let chat = alert::chat::alert(report, min, &state.region, w.prompted_by.as_deref());
            to_chat(state, &w.arn, &chat).await;
            Handled::Done
        }
    }
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

/// The same message to the chat topic, when there is one. A failure there is logged: the alert
/// itself went out on the main topic.
async fn to_chat(state: &State, arn: &str, message: &str) {
    if let Some(topic) = &state.config.chat_topic_arn
        && let Err(e) = sns::publish_plain(&state.sns, topic, message).await
    {
        tracing::warn!(certificate_arn = %arn, error = %e, "could not post to the chat topic");
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

/// A certificate alerted about has nothing alertable left: one all-clear, then forget the alert.
async fn announce_resolved(
    state: &State,
    summary: &mut Summary,
    w: &Work,
    report: &CertificateReport,
    alerted_at: i64,
    acm: Option<Paced<aws_sdk_acm::Client>>,
) -> Handled {
    let message = alert::resolved(report, w.issued.as_deref(), alerted_at);
    if let Err(e) = publish(state, &message).await {
        summary
            .failed
            .push((w.arn.clone(), format!("announcing the all-clear: {e}")));
        return Handled::Failed;
    }
    summary.resolved_published += 1;
    let verb = match w.issued.as_deref() {
        Some("RENEWAL") => "renewed",
        Some(_) => "issued",
        None => "fixed",
    };
    to_chat(state, &w.arn, &alert::chat::resolved(report, verb)).await;
    let forgotten = match &acm {
        Some(acm) => acm::clear_alert_state(acm, &w.arn).await,
        None => Err(AwsError::InvalidArn(w.arn.clone())),
    };
    if let Err(e) = forgotten {
        tracing::warn!(certificate_arn = %w.arn, error = %e, "could not forget the alert: the next run may announce it again");
    }
    Handled::Done
}
