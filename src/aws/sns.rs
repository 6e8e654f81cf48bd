//! SNS: publish one message (`MessageStructure=json`) with its attributes. What it says is built
//! by `alert`; this adapter only sends it.

use super::{AwsError, api_error};
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

/// Publishes one message: `subject`, the JSON envelope `message` (`MessageStructure=json`), and
/// `(name, data type, value)` attributes. Returns the message id.
pub async fn publish<'a>(
    client: &Client,
    topic_arn: &str,
    subject: &str,
    message: &str,
    attributes: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Result<String, AwsError> {
    let mut req = client
        .publish()
        .topic_arn(topic_arn)
        .subject(subject)
        .message(message)
        .message_structure("json");
    for (name, kind, value) in attributes {
        let v = MessageAttributeValue::builder()
            .data_type(kind)
            .string_value(value)
            .build()
            .map_err(|e| AwsError::invalid_request("sns:Publish", e))?;
        req = req.message_attributes(name, v);
    }
    let out = req.send().await.map_err(|e| api_error("sns:Publish", &e))?;
    Ok(out.message_id.unwrap_or_default())
}

/// Publishes one plain message (the same body for every protocol): what chat integrations read.
pub async fn publish_plain(
    client: &Client,
    topic_arn: &str,
    message: &str,
) -> Result<String, AwsError> {
    let out = client
        .publish()
        .topic_arn(topic_arn)
        .message(message)
        .send()
        .await
        .map_err(|e| api_error("sns:Publish", &e))?;
    Ok(out.message_id.unwrap_or_default())
}
