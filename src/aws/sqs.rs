//! SQS: send a message that becomes visible after a delay (the handler's re-checks).

use super::{AwsError, api_error};
use aws_sdk_sqs::Client;

/// SQS's largest per-message delay.
pub const MAX_DELAY_SECS: i32 = 900;

/// Sends `body` to the queue, visible after `delay_secs` (clamped to 0..=15 minutes).
pub async fn send_delayed(
    client: &Client,
    queue_url: &str,
    body: &str,
    delay_secs: i32,
) -> Result<(), AwsError> {
    client
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .delay_seconds(delay_secs.clamp(0, MAX_DELAY_SECS))
        .send()
        .await
        .map_err(|e| api_error("sqs:SendMessage", &e))?;
    Ok(())
}
