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

    /// True when Route 53 took the batch (in sync, or on its way).
    pub fn accepted(&self) -> bool {
        self.error.is_none() && self.change_id.is_some()
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

/// Sends every batch, then follows them all to `INSYNC` until `wait` is over (one deadline).
pub async fn apply(doctor: &Doctor, batches: Vec<Applied>, wait: Duration) -> Vec<Applied> {
    let until = tokio::time::Instant::now() + wait;
    let mut sent = Vec::new();
    for mut a in batches {
        match send(doctor, &a).await {
            Ok(id) => {
                a.change_id = Some(id);
                a.status = "PENDING".into();
            }
            Err(e) => {
                a.status = "FAILED".into();
                a.error = Some(e);
            }
        }
        // Logged as soon as Route 53 answers: a change is never made without a trace.
        tracing::info!(zone = %a.zone_name, status = %a.status, change_id = ?a.change_id, error = ?a.error, "fix: change batch sent");
        sent.push(a);
    }
    loop {
        for a in sent.iter_mut().filter(|a| a.status == "PENDING") {
            let Some(id) = a.change_id.clone() else {
                continue;
            };
            // A status that cannot be read is not a failed change: it was accepted.
            if let Ok(client) = doctor.fleet.route53(a.account.as_deref()).await
                && let Ok(status) = route53::change_status(&client, &id).await
            {
                a.status = status;
            }
        }
        let pending = sent.iter().any(|a| a.status == "PENDING");
        if !pending || tokio::time::Instant::now() + POLL > until {
            return sent;
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn send(doctor: &Doctor, a: &Applied) -> Result<String, String> {
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
    route53::change(&client, &a.zone_id, COMMENT, &changes)
        .await
        .map_err(|e| e.to_string())
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
        let account = doctor
            .fleet
            .scope_of(&c.certificate_arn)
            .ok()
            .and_then(|s| s.account);
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
    // Wait only for what Route 53 took (a refused batch changed nothing), and only for the
    // records it answers (a refused record of the same certificate stays as it is).
    let taken = |zone: &str| applied.iter().any(|a| a.zone_id == zone && a.accepted());
    let changed: Vec<String> = plans
        .iter()
        .flat_map(|p| &p.batches)
        .filter(|b| taken(&b.zone_id))
        .flat_map(|b| b.answers.iter().map(|(name, _)| name.clone()))
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

/// True while a changed record still has a finding the change should have answered, or
/// resolvers still answer from before it.
fn still_broken(report: &crate::report::Report, changed: &[String]) -> bool {
    report.certificates.iter().any(|c| {
        c.findings.iter().any(|f| {
            f.record_name.as_ref().is_some_and(|n| changed.contains(n))
                && (crate::fix::FIXABLE.contains(&f.code)
                    || f.code == crate::finding::Code::RecordNotPropagated)
        })
    })
}
