//! `AUTO_FIX`: for a record that a Route 53 zone of this account should hold, the plan goes in
//! the alert (`plan`), or is sent at once for a new request or a renewal at risk (`apply`).

use super::State;
use super::work::Work;
use crate::config::AutoFix;
use crate::evidence::{CertificateStatus, Evidence};
use crate::finding::Code;
use crate::fix::{self, CertificatePlan, Refusal};
use crate::remedy::{self, Applied};
use crate::report::CertificateReport;
use std::time::Duration;

/// How long `apply` follows a change batch to INSYNC.
const INSYNC_WAIT: Duration = Duration::from_secs(30);

/// What `AUTO_FIX` did for one certificate.
#[derive(Debug)]
pub enum AutoFixed {
    /// Nothing (off, nothing fixable, or only shown in the alert).
    Nothing,
    /// Route 53 has the change (INSYNC): the plan and one line per batch sent.
    Fixed(CertificatePlan, Vec<String>),
}

/// Plans, and with `apply` sends, the fix of one certificate; the plan (and a failure) is put in
/// the report, so that the alert shows it.
pub async fn auto_fix(
    state: &State,
    _w: &Work,
    report: &mut CertificateReport,
    evidence: Option<&Evidence>,
) -> AutoFixed {
    let mode = state.config.auto_fix;
    let Some(ev) = evidence else {
        return AutoFixed::Nothing;
    };
    if mode == AutoFix::Off {
        return AutoFixed::Nothing;
    }
    let mut plan = fix::plan(ev, &report.findings, false);
    if plan.batches.is_empty() {
        return AutoFixed::Nothing;
    }
    // Applied only when the change answers everything: a record it cannot fix is alerted as
    // usual, with the plan.
    let member = state
        .doctor
        .fleet
        .scope_of(&report.certificate_arn)
        .ok()
        .and_then(|s| s.account);
    let wanted = report.status == Some(CertificateStatus::PendingValidation)
        || report
            .findings
            .iter()
            .any(|f| f.code == Code::RenewalAtRisk);
    if mode == AutoFix::Plan || !wanted || member.is_some() || !plan.refused.is_empty() {
        if member.is_some() && mode == AutoFix::Apply {
            plan.refused.push(refusal(
                "the zone is in a member account: AUTO_FIX changes only this account's zones",
            ));
        }
        report.fix = Some(plan);
        return AutoFixed::Nothing;
    }
    let applied = remedy::apply(
        &state.doctor,
        remedy::by_zone(&[(None, &plan)]),
        INSYNC_WAIT,
    )
    .await;
    // Accepted is enough: Route 53 puts a change in sync within about a minute, and the
    // re-check confirms it.
    if applied.iter().all(Applied::accepted) {
        let lines = applied.iter().map(sent_line).collect();
        return AutoFixed::Fixed(plan, lines);
    }
    for a in applied.iter().filter(|a| !a.accepted()) {
        plan.refused.push(refusal(&format!(
            "AUTO_FIX could not apply the change to {}: {}",
            a.zone_name,
            a.error.as_deref().unwrap_or("not sent")
        )));
    }
    report.fix = Some(plan);
    AutoFixed::Nothing
}

fn refusal(why: &str) -> Refusal {
    Refusal {
        record_name: None,
        codes: Vec::new(),
        why: why.to_owned(),
        instead: None,
    }
}

/// `zone example.com. (Z1): change C2 INSYNC, 1 change(s)`
fn sent_line(a: &Applied) -> String {
    format!(
        "zone {} ({}): change {} {}, {} change(s)",
        a.zone_name,
        a.zone_id,
        a.change_id.as_deref().unwrap_or("?"),
        a.status,
        a.changes.len()
    )
}
