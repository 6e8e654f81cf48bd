//! Work that goes on in other invocations, through the re-check queue: one message per scope of
//! a sweep (fan-out), and the certificates one invocation did not reach (hand-on).

use super::State;
use super::work::Work;
use crate::aws::fleet::Scope;
use crate::aws::{AwsError, sqs};
use crate::trigger::{Continued, QueueBody, SweepScope};

/// Certificates per hand-on message: at most ~93 bytes an ARN, 2,500 (ACM's default quota per
/// account and Region) stay below SQS's 256 KiB, so a scope is handed on as one message and
/// goes on in one invocation at a time: never two invocations sharing one scope's quota.
pub const HAND_ON_BATCH: usize = 2500;

/// Sends one `{"sweep": {...}}` message per scope. On failure: how many failed, and the first error.
pub async fn fan_out(state: &State, url: &str, scopes: &[Scope]) -> Result<(), (usize, String)> {
    let bodies = scopes.iter().map(|s| QueueBody::Sweep {
        sweep: SweepScope {
            account: s.account.clone(),
            region: s.region.clone(),
        },
    });
    send_all(state, url, bodies).await
}

/// Sends the certificates not reached, grouped by scope, as `{"continue": {...}}` messages: one
/// per scope (in batches of `HAND_ON_BATCH`).
pub async fn hand_on(state: &State, url: &str, scopes: &[Vec<Work>]) -> Result<(), String> {
    let bodies = scopes.iter().flat_map(|work| {
        work.chunks(HAND_ON_BATCH).map(|chunk| QueueBody::Continue {
            next: Continued {
                certificate_arns: chunk.iter().map(|w| w.arn.clone()).collect(),
            },
        })
    });
    send_all(state, url, bodies)
        .await
        .map_err(|(n, first)| format!("{n} message(s): {first}"))
}

async fn send_all(
    state: &State,
    url: &str,
    bodies: impl Iterator<Item = QueueBody>,
) -> Result<(), (usize, String)> {
    let sends = bodies.map(|b| async move {
        let body = serde_json::to_string(&b)
            .map_err(|e| AwsError::invalid_request("sqs:SendMessage", e))?;
        sqs::send_delayed(&state.sqs, url, &body, 0).await
    });
    let errors: Vec<AwsError> = futures::future::join_all(sends)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    match errors.first() {
        None => Ok(()),
        Some(first) => Err((errors.len(), first.to_string())),
    }
}
