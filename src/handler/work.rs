//! The work list: which certificates an event asks to check, and how.

use super::{HandlerError, State};
use crate::aws::fleet::Scope;
use crate::report::ScopeFailure;
use crate::trigger::{QueueBody, Rejected, SweepScope, Trigger};

/// One certificate to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// The certificate.
    pub arn: String,
    /// The re-check message it came in, if any.
    pub message_id: Option<String>,
    /// `ACM Certificate Available` said it was issued or renewed (the `Action`): announce it if we alerted.
    pub issued: Option<String>,
    /// How many checks were made before this one (re-checks).
    pub attempt: u32,
    /// A request made moments ago (the grace rule applies).
    pub new_request: bool,
    /// The event that asked for this check, named in the alert.
    pub prompted_by: Option<String>,
    /// Part of a sweep: handed on when not reached, and a certificate that cannot be checked is
    /// reported (the next sweep tries again), not retried.
    pub sweep: bool,
}

impl Work {
    /// Work for `arn`, with nothing special about it.
    pub fn new(arn: &str) -> Self {
        Work {
            arn: arn.to_owned(),
            message_id: None,
            issued: None,
            attempt: 0,
            new_request: false,
            prompted_by: None,
            sweep: false,
        }
    }

    /// Work for `arn` as part of a sweep.
    pub fn swept(arn: &str) -> Self {
        Work {
            sweep: true,
            ..Work::new(arn)
        }
    }
}

/// What an event asks for.
#[derive(Debug, Default)]
pub struct WorkList {
    /// Certificates to check.
    pub work: Vec<Work>,
    /// Messages that could not be read.
    pub rejected: Vec<Rejected>,
    /// Scopes that could not be listed.
    pub scopes_failed: Vec<ScopeFailure>,
    /// Messages that asked for a scope that could not be listed (retried).
    pub failed_messages: Vec<String>,
}

/// The scope a sweep message names.
pub fn scope(s: &SweepScope) -> Scope {
    Scope {
        account: s.account.clone(),
        region: s.region.clone(),
    }
}

/// Every certificate of `scopes`, as sweep work; the scopes that could not be listed.
async fn sweep(state: &State, scopes: &[Scope]) -> (Vec<Work>, Vec<ScopeFailure>) {
    let (arns, failed) = state.doctor.swept_all(scopes).await;
    for f in &failed {
        tracing::error!(account = ?f.account, region = %f.region, error = %f.error, "sweep: scope not listed");
    }
    (arns.iter().map(|a| Work::swept(a)).collect(), failed)
}

/// What a trigger asks for: the certificates to check, and the messages that could not be read.
pub async fn work_list(state: &State, trigger: &Trigger) -> Result<WorkList, HandlerError> {
    let each = |arns: &[String], new_request: bool| -> Vec<Work> {
        arns.iter()
            .map(|a| Work {
                new_request,
                ..Work::new(a)
            })
            .collect()
    };
    let work = |work| WorkList {
        work,
        ..WorkList::default()
    };
    Ok(match trigger {
        Trigger::Requested { arn } => work(each(std::slice::from_ref(arn), true)),
        Trigger::Acm {
            arns,
            detail_type,
            action,
        } => {
            let mut w = each(arns, false);
            for w in &mut w {
                w.prompted_by = Some(detail_type.clone());
            }
            if detail_type == "ACM Certificate Available"
                && let Some(a @ ("ISSUANCE" | "RENEWAL")) = action.as_deref()
            {
                for w in &mut w {
                    w.issued = Some(a.to_owned());
                }
            }
            work(w)
        }
        Trigger::Direct { arns } => work(each(arns, false)),
        Trigger::Queue { messages, rejected } => {
            let mut list = WorkList {
                rejected: rejected.clone(),
                ..WorkList::default()
            };
            for m in messages {
                match &m.body {
                    QueueBody::Recheck(r) => list.work.push(Work {
                        attempt: r.attempt,
                        message_id: m.message_id.clone(),
                        new_request: true,
                        ..Work::new(&r.certificate_arn)
                    }),
                    QueueBody::Continue { next } => {
                        list.work.extend(next.certificate_arns.iter().map(|a| Work {
                            message_id: m.message_id.clone(),
                            ..Work::swept(a)
                        }));
                    }
                    QueueBody::Sweep { sweep: s } => {
                        let (w, failed) = sweep(state, &[scope(s)]).await;
                        if failed.is_empty() {
                            list.work.extend(w.into_iter().map(|w| Work {
                                message_id: m.message_id.clone(),
                                ..w
                            }));
                        } else {
                            // Retried by the queue (then its failure queue): a scope is never dropped.
                            list.failed_messages.extend(m.message_id.clone());
                        }
                        list.scopes_failed.extend(failed);
                    }
                }
            }
            list
        }
        Trigger::Sweep { scope: only } => {
            let scopes = match only {
                Some(s) => vec![scope(s)],
                None => state.doctor.fleet.scopes(&state.config.regions),
            };
            let (w, failed) = sweep(state, &scopes).await;
            if w.is_empty()
                && let Some(first) = failed.first()
                && failed.len() == scopes.len()
            {
                return Err(HandlerError::SweepFailed(first.error.clone()));
            }
            WorkList {
                work: w,
                scopes_failed: failed,
                ..WorkList::default()
            }
        }
        Trigger::Nothing { reason } => {
            tracing::info!(%reason, "nothing to check");
            WorkList::default()
        }
    })
}
