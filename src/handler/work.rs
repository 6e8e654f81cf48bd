//! The work list: which certificates an event asks to check, and how.

use super::{HandlerError, State};
use crate::trigger::{Rejected, Trigger};

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
        }
    }
}

/// What a trigger asks for: the certificates to check, and the messages that could not be read.
pub async fn work_list(
    state: &State,
    trigger: &Trigger,
) -> Result<(Vec<Work>, Vec<Rejected>), HandlerError> {
    let each = |arns: &[String], new_request: bool| -> Vec<Work> {
        arns.iter()
            .map(|a| Work {
                new_request,
                ..Work::new(a)
            })
            .collect()
    };
    Ok(match trigger {
        Trigger::Requested { arn } => (each(std::slice::from_ref(arn), true), Vec::new()),
        Trigger::Acm {
            arns,
            detail_type,
            action,
        } => {
            let mut work = each(arns, false);
            for w in &mut work {
                w.prompted_by = Some(detail_type.clone());
            }
            if detail_type == "ACM Certificate Available"
                && let Some(a @ ("ISSUANCE" | "RENEWAL")) = action.as_deref()
            {
                for w in &mut work {
                    w.issued = Some(a.to_owned());
                }
            }
            (work, Vec::new())
        }
        Trigger::Direct { arns } => (each(arns, false), Vec::new()),
        Trigger::Recheck { items, rejected } => (
            items
                .iter()
                .map(|r| Work {
                    attempt: r.attempt,
                    message_id: r.message_id.clone(),
                    new_request: true,
                    ..Work::new(&r.certificate_arn)
                })
                .collect(),
            rejected.clone(),
        ),
        Trigger::Sweep => {
            let arns = state
                .doctor
                .swept()
                .await
                .map_err(HandlerError::SweepFailed)?;
            (each(&arns, false), Vec::new())
        }
        Trigger::Nothing { reason } => {
            tracing::info!(%reason, "nothing to check");
            (Vec::new(), Vec::new())
        }
    })
}
