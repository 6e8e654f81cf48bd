//! SQS: schedule a delayed re-check of a certificate.

use super::{AwsError, api_error};
use crate::trigger::Recheck;
use aws_sdk_sqs::Client;

/// SQS's largest per-message delay.
pub const MAX_DELAY_SECS: i32 = 900;

/// Sends a re-check message that becomes visible after `delay_secs` (capped at 15 minutes).
pub async fn schedule(
    client: &Client,
    queue_url: &str,
    recheck: &Recheck,
    delay_secs: i32,
) -> Result<(), AwsError> {
    let body = serde_json::to_string(recheck).map_err(|e| AwsError::Api {
        action: "sqs:SendMessage",
        message: e.to_string(),
    })?;
    client
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .delay_seconds(delay_secs.clamp(0, MAX_DELAY_SECS))
        .send()
        .await
        .map_err(|e| api_error("sqs:SendMessage", e))?;
    Ok(())
}
