//! What an invocation answers and logs: one summary (with the SQS partial batch response).

use crate::report::Report;
use crate::trigger::TriggerKind;
use aws_lambda_events::sqs::BatchItemFailure;
use serde::Serialize;
use std::collections::BTreeMap;

/// What an invocation did (returned, and logged as one line).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The trigger, in a word.
    pub trigger: TriggerKind,
    /// Certificates checked.
    pub certificates_checked: usize,
    /// Findings per code.
    pub findings: BTreeMap<String, usize>,
    /// SNS messages published.
    pub alerts_published: usize,
    /// All-clear messages published (issued, renewed or fixed after an alert).
    pub resolved_published: usize,
    /// Certificates whose problems were alerted recently and are unchanged: not alerted again.
    pub unchanged: usize,
    /// Re-checks scheduled (new requests within the grace period).
    pub rechecks_scheduled: usize,
    /// Certificates not reached before the deadline.
    pub not_reached: Vec<String>,
    /// Certificates that could not be checked, with why.
    pub failed: Vec<(String, String)>,
    /// Re-checked or just-requested certificates that no longer exist.
    pub gone: Vec<String>,
    /// Re-check messages that could not be read (message id, why).
    pub rejected: Vec<(String, String)>,
    /// Re-check messages to retry (SQS partial batch response): only these come back, not the batch.
    #[serde(rename = "batchItemFailures", skip_serializing_if = "Vec::is_empty")]
    pub batch_item_failures: Vec<BatchItemFailure>,
    /// The JSON report of what was checked.
    #[serde(skip)]
    pub report: Report,
}

/// One entry of a partial batch response.
pub fn batch_item_failure(message_id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = message_id;
    f
}

/// The one summary line of an invocation, and a line per certificate or message not checked.
pub fn log_summary(summary: &Summary) {
    tracing::info!(
        trigger = %serde_json::to_string(&summary.trigger).unwrap_or_default().trim_matches('"'),
        certificates_checked = summary.certificates_checked,
        findings = %serde_json::to_string(&summary.findings).unwrap_or_default(),
        alerts_published = summary.alerts_published,
        resolved_published = summary.resolved_published,
        unchanged = summary.unchanged,
        rechecks_scheduled = summary.rechecks_scheduled,
        not_reached = summary.not_reached.len(),
        failed = summary.failed.len(),
        rejected = summary.rejected.len(),
        "invocation summary"
    );
    for (arn, e) in &summary.failed {
        tracing::error!(certificate_arn = %arn, error = %e, "certificate not checked");
    }
    for arn in &summary.not_reached {
        tracing::warn!(certificate_arn = %arn, "not reached before the deadline");
    }
    for (id, why) in &summary.rejected {
        tracing::error!(message_id = %id, error = %why, "re-check message rejected");
    }
}
