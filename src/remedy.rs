//! Applying a fix: the plans' change batches sent to Route 53 (one per zone, all or nothing),
//! each followed to `INSYNC` (bounded). What happened is data, like a finding.

use crate::aws::route53::{self, RecordChange};
use crate::engine::Doctor;
use crate::fix::{CertificatePlan, Change};
use serde::Serialize;
use std::time::Duration;

/// The comment of every change batch (Route 53's change history shows it).
pub const COMMENT: &str = "acm-dns-doctor fix";
/// How often a change's status is read while it is PENDING.
const POLL: Duration = Duration::from_secs(1);

/// What became of one zone's batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The account of the zone (`None`: the caller's own).
    pub account: Option<String>,
    /// The hosted zone id.
    pub zone_id: String,
    /// Its name.
    pub zone_name: String,
    /// The changes sent.
    pub changes: Vec<Change>,
    /// Route 53's change id, when it accepted the batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    /// `INSYNC`, `PENDING` (not in sync within the wait), or `FAILED`.
    pub status: String,
    /// Why it failed (nothing was changed: Route 53 applies a batch entirely or not at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Applied {
    /// True when the batch is in every Route 53 server.
    pub fn in_sync(&self) -> bool {
        self.status == "INSYNC"
    }
}

/// One batch per (account, zone) over every plan: the same change asked by two certificates
/// is sent once.
pub fn by_zone(plans: &[(Option<String>, &CertificatePlan)]) -> Vec<Applied> {
    let mut out: Vec<Applied> = Vec::new();
    for (account, p) in plans {
        for b in &p.batches {
            let found = out
                .iter()
                .position(|a| a.account == *account && a.zone_id == b.zone_id);
            let i = if let Some(i) = found {
                i
            } else {
                out.push(Applied {
                    account: account.clone(),
                    zone_id: b.zone_id.clone(),
                    zone_name: b.zone_name.clone(),
                    changes: Vec::new(),
                    change_id: None,
                    status: "NOT_SENT".into(),
                    error: None,
                });
                out.len() - 1
            };
            out[i].changes.extend(b.changes.iter().cloned());
        }
    }
    for a in &mut out {
        a.changes.sort();
        a.changes.dedup();
    }
    out
}

/// Sends each batch and follows it to `INSYNC` for at most `wait`.
pub async fn apply(doctor: &Doctor, batches: Vec<Applied>, wait: Duration) -> Vec<Applied> {
    let mut done = Vec::new();
    for mut a in batches {
        let result = send(doctor, &a, wait).await;
        match result {
            Ok((id, status)) => {
                a.change_id = Some(id);
                a.status = status;
            }
            Err(e) => {
                a.status = "FAILED".into();
                a.error = Some(e);
            }
        }
        tracing::info!(zone = %a.zone_name, status = %a.status, change_id = ?a.change_id, error = ?a.error, "fix: change batch");
        done.push(a);
    }
    done
}

async fn send(doctor: &Doctor, a: &Applied, wait: Duration) -> Result<(String, String), String> {
    let client = doctor
        .fleet
        .route53(a.account.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let changes: Vec<RecordChange> = a
        .changes
        .iter()
        .map(|c| RecordChange {
            action: c.action.as_str(),
            name: c.name.clone(),
            rtype: c.rtype.clone(),
            ttl: c.ttl,
            values: c.values.clone(),
        })
        .collect();
    let id = route53::change(&client, &a.zone_id, COMMENT, &changes)
        .await
        .map_err(|e| e.to_string())?;
    let until = tokio::time::Instant::now() + wait;
    loop {
        // A status that cannot be read is not a failed change: it was accepted.
        let status = route53::change_status(&client, &id)
            .await
            .unwrap_or_else(|_| "PENDING".into());
        if status == "INSYNC" || tokio::time::Instant::now() + POLL > until {
            return Ok((id, status));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// What `fix` did: the plans, the batches sent (with `apply`), and the verdict after.
#[derive(Debug, Clone, Serialize)]
pub struct FixOutcome {
    /// One plan per certificate, in the order asked.
    pub plans: Vec<CertificatePlan>,
    /// The batches sent, one per zone (empty without `apply`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<Applied>,
    /// The certificates checked again after the changes (with `apply`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<crate::report::Report>,
}

/// Plans the fix of `arns`; with `apply`, sends it, waits for `INSYNC`, then checks again until
/// no fixable finding is left or `wait` is over (DNS caches may lag behind Route 53).
pub async fn fix(
    doctor: &Doctor,
    arns: &[String],
    apply: bool,
    delete_wrong: bool,
    wait: Duration,
) -> FixOutcome {
    let (report, evidence) = doctor.examine(arns, |_, _| ()).await;
    let mut plans = Vec::new();
    let mut scoped = Vec::new();
    for c in &report.certificates {
        let ev = evidence
            .iter()
            .find(|e| e.certificate.arn == c.certificate_arn);
        let plan = match (ev, &c.error) {
            (Some(ev), None) => crate::fix::plan(ev, &c.findings, delete_wrong),
            (_, error) => CertificatePlan {
                certificate_arn: c.certificate_arn.clone(),
                batches: Vec::new(),
                refused: vec![crate::fix::Refusal {
                    record_name: None,
                    codes: Vec::new(),
                    why: format!("not checked: {}", error.as_deref().unwrap_or("no evidence")),
                    instead: None,
                }],
            },
        };
        let account = crate::arn::parse(&c.certificate_arn)
            .ok()
            .and_then(|a| doctor.fleet.scope_of(&a).account);
        scoped.push(account);
        plans.push(plan);
    }
    if !apply {
        return FixOutcome {
            plans,
            applied: Vec::new(),
            after: None,
        };
    }
    let pairs: Vec<(Option<String>, &CertificatePlan)> =
        scoped.into_iter().zip(plans.iter()).collect();
    let applied = self::apply(doctor, by_zone(&pairs), wait).await;
    // Wait only for what Route 53 took: a refused batch changed nothing.
    let taken = |zone: &str| {
        applied
            .iter()
            .any(|a| a.zone_id == zone && a.error.is_none())
    };
    let changed: Vec<String> = plans
        .iter()
        .filter(|p| !p.batches.is_empty() && p.batches.iter().all(|b| taken(&b.zone_id)))
        .map(|p| p.certificate_arn.clone())
        .collect();
    let until = tokio::time::Instant::now() + wait;
    let mut after = doctor.check(arns).await;
    while tokio::time::Instant::now() < until && still_broken(&after, &changed) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        after = doctor.check(arns).await;
    }
    FixOutcome {
        plans,
        applied,
        after: Some(after),
    }
}

/// True while a changed certificate still has a finding the change should have answered, or
/// resolvers still answer from before it.
fn still_broken(report: &crate::report::Report, changed: &[String]) -> bool {
    report
        .certificates
        .iter()
        .filter(|c| changed.contains(&c.certificate_arn))
        .any(|c| {
            c.error.is_some()
                || c.findings.iter().any(|f| {
                    crate::fix::FIXABLE.contains(&f.code)
                        || f.code == crate::finding::Code::RecordNotPropagated
                })
        })
}
