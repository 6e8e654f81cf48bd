//! AWS adapters: each call returns plain data from `evidence`, or an `AwsError`.

pub mod acm;
pub mod route53;
pub mod sns;
pub mod sqs;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Why an AWS call failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AwsError {
    /// ACM has no certificate with this ARN (in this account and Region).
    #[error("certificate not found: {0} (check the ARN, the account and AWS_REGION)")]
    NotFound(String),
    /// The ARN is not a valid ACM certificate ARN.
    #[error("invalid certificate ARN {0:?}")]
    InvalidArn(String),
    /// The caller's role may not make this call.
    #[error("access denied for {action}: {message}")]
    AccessDenied {
        /// The API action.
        action: &'static str,
        /// AWS's message.
        message: String,
    },
    /// Any other failure (throttled past retries, endpoint unreachable, no credentials, ...).
    #[error("{action} failed: {message}")]
    Api {
        /// The API action.
        action: &'static str,
        /// What went wrong, with its causes.
        message: String,
    },
}

/// Maps an SDK error to an `AwsError` for `action`.
#[allow(unused_imports)]
pub(crate) fn api_error<E, R>(
    action: &'static str,
    err: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> AwsError
where
    E: aws_sdk_acm::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let service = err.as_service_error();
    let code = service.and_then(|e| e.code()).map(str::to_owned);
    let message = service
        .and_then(|e| e.message())
        .map(str::to_owned)
        .unwrap_or_else(|| aws_sdk_acm::error::DisplayErrorContext(&err).to_string());
    match code.as_deref() {
        Some("AccessDeniedException" | "AccessDenied") => {
            AwsError::AccessDenied { action, message }
        }
        Some(c) => AwsError::Api {
            action,
            message: format!("{c}: {message}"),
        },
        None => AwsError::Api { action, message },
    }
}

/// The shared SDK configuration: standard environment (region, credentials, `AWS_ENDPOINT_URL`),
/// one rustls+ring HTTPS client, standard retries with backoff for throttling.
pub async fn load_config() -> SdkConfig {
    config_loader().load().await
}

/// The loader behind `load_config`, for callers (tests, the demo) that override parts of it.
pub fn config_loader() -> aws_config::ConfigLoader {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    // Bounded: a hung endpoint fails one certificate's check, it does not eat the Lambda's time.
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .operation_attempt_timeout(std::time::Duration::from_secs(10))
        .operation_timeout(std::time::Duration::from_secs(40))
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(5))
}
