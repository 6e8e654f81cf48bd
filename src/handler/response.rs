//! What an invocation answers and logs: one summary (with the SQS partial batch response).

use crate::report::{Report, ScopeFailure};
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
    /// Certificates fixed in Route 53 by `AUTO_FIX=apply` (a notice each, `event` `fixed`).
    pub fixed: usize,
    /// Certificates whose problems were alerted recently and are unchanged: not alerted again.
    pub unchanged: usize,
    /// Re-checks scheduled (new requests within the grace period).
    pub rechecks_scheduled: usize,
    /// Certificates not reached before the deadline (and not handed on).
    pub not_reached: Vec<String>,
    /// Certificates not reached before the deadline, handed on to the re-check queue.
    pub handed_on: usize,
    /// Scopes (account, Region) sent to the queue to be swept each in its own invocation.
    pub fanned_out: usize,
    /// Scopes that could not be listed.
    pub scopes_failed: Vec<ScopeFailure>,
    /// Throttled AWS calls seen (retries included).
    pub throttles: u64,
    /// How long the invocation took, milliseconds.
    pub duration_ms: u64,
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
    /// Per (account, Region): what was checked there (the metrics' dimensions).
    #[serde(skip)]
    pub scopes: BTreeMap<(String, String), Tally>,
}

/// What one account and Region saw in an invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Certificates checked, by ACM status.
    pub by_status: BTreeMap<String, usize>,
    /// Findings per code.
    pub findings: BTreeMap<String, usize>,
    /// Alerts published.
    pub alerts: usize,
    /// All-clears published.
    pub resolved: usize,
    /// Certificates that could not be checked.
    pub not_checked: usize,
    /// Certificates handed on.
    pub handed_on: usize,
}

impl Summary {
    /// Counts one certificate checked, and its findings.
    pub fn checked(&mut self, report: &crate::report::CertificateReport) {
        self.certificates_checked += 1;
        for f in &report.findings {
            *self.findings.entry(f.code.to_string()).or_default() += 1;
        }
    }

    /// Adds one certificate's outcome (a summary of its own) to this one, under its scope.
    pub fn absorb(&mut self, one: Summary, account: String, region: String) {
        let tally = self.scopes.entry((account, region)).or_default();
        for c in one.report.certificates.iter().filter(|c| c.error.is_none()) {
            let status = c.status.as_ref().map_or("UNKNOWN", |s| s.as_str());
            *tally.by_status.entry(status.to_owned()).or_default() += 1;
        }
        for (code, n) in &one.findings {
            *tally.findings.entry(code.clone()).or_default() += n;
            *self.findings.entry(code.clone()).or_default() += n;
        }
        tally.alerts += one.alerts_published;
        tally.resolved += one.resolved_published;
        tally.not_checked += one.failed.len() + one.not_reached.len();
        self.certificates_checked += one.certificates_checked;
        self.alerts_published += one.alerts_published;
        self.resolved_published += one.resolved_published;
        self.unchanged += one.unchanged;
        self.fixed += one.fixed;
        self.rechecks_scheduled += one.rechecks_scheduled;
        self.not_reached.extend(one.not_reached);
        self.failed.extend(one.failed);
        self.gone.extend(one.gone);
        self.report.certificates.extend(one.report.certificates);
    }

    /// Counts `n` certificates of a scope handed on.
    pub fn handed_on(&mut self, account: String, region: String, n: usize) {
        self.scopes.entry((account, region)).or_default().handed_on += n;
        self.handed_on += n;
    }
}

/// One entry of a partial batch response.
pub fn batch_item_failure(message_id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = message_id;
    f
}

/// The one summary line of an invocation (with its metrics, in the Embedded Metric Format), a
/// metrics line per account and Region, and a line per certificate or message not checked.
pub fn log_summary(summary: &Summary, now_ms: i64) {
    for doc in super::metrics::documents(summary, now_ms) {
        // Straight to stdout: CloudWatch reads EMF only from a JSON object at the line's root.
        println!("{doc}");
    }
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
