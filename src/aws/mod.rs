//! AWS adapters: reads return plain data from `evidence`, writes (publish, send, tag) return what
//! they did; every failure is an `AwsError` whose message is one actionable line.

pub mod acm;
pub mod fleet;
pub mod meter;
pub mod pace;
pub mod route53;
pub mod sns;
pub mod sqs;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_acm::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_smithy_runtime_api::client::result::SdkError;
use pace::Pace;
use std::sync::Arc;

/// A client and the pace of its quotas: every call waits for its slot first.
#[derive(Debug, Clone)]
pub struct Paced<C> {
    client: C,
    pace: Arc<Pace>,
}

impl<C> Paced<C> {
    /// `client`, paced by `pace`.
    pub fn new(client: C, pace: Arc<Pace>) -> Self {
        Paced { client, pace }
    }

    /// `client`, paced by fresh buckets at the documented quotas.
    pub fn with_default_quotas(client: C) -> Self {
        Paced::new(client, Arc::new(Pace::new(pace::Quotas::default())))
    }

    /// The client, once a call of `action` is within its quota.
    pub async fn ready(&self, action: &'static str) -> &C {
        self.pace.wait(action).await;
        &self.client
    }
}

/// Why an AWS call failed: one actionable line (`Display`). The SDK's whole error chain, for
/// `--verbose` and debug logs, is `detail()`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AwsError {
    /// ACM has no certificate with this ARN (in this account and Region).
    #[error("certificate not found: {0} (check the ARN, the account and the Region)")]
    NotFound(String),
    /// ACM rejected the ARN.
    #[error("invalid certificate ARN {0:?}")]
    InvalidArn(String),
    /// No credentials anywhere the SDK looks.
    #[error(
        "no AWS credentials found (environment, profile, SSO, web identity, container, instance metadata) for {action}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials {
        /// The API action.
        action: &'static str,
        /// The SDK's error chain.
        detail: String,
    },
    /// The endpoint could not be reached (connection refused, DNS, TLS).
    #[error("cannot reach {} for {action}{}: {cause}", service(action), at(endpoint.as_ref()))]
    Unreachable {
        /// The API action.
        action: &'static str,
        /// The endpoint asked, when known.
        endpoint: Option<String>,
        /// The innermost cause, e.g. `Connection refused (os error 111)`.
        cause: String,
        /// The SDK's error chain.
        detail: String,
    },
    /// No answer within the call's timeouts (3 s to connect, 10 s an attempt, 40 s in all).
    #[error("{action} timed out{}", at(endpoint.as_ref()))]
    Timeout {
        /// The API action.
        action: &'static str,
        /// The endpoint asked, when known.
        endpoint: Option<String>,
        /// The SDK's error chain.
        detail: String,
    },
    /// Throttled, and the SDK's retries did not get through.
    #[error(
        "throttled by {action} ({code}) after the SDK's retries: run again later, or check fewer certificates at once"
    )]
    Throttled {
        /// The API action.
        action: &'static str,
        /// The error code (`ThrottlingException`, `Throttling`, `PriorRequestNotComplete`, ...).
        code: String,
    },
    /// A member account's role could not be assumed: nothing in that account can be checked.
    #[error(
        "cannot assume {role}: {message} (the member role must trust this function's role, with the external id if one is set)"
    )]
    AssumeRole {
        /// The role ARN.
        role: String,
        /// STS's answer.
        message: String,
    },
    /// The caller's role may not make this call.
    #[error("AccessDenied for {action}: the role needs {action} ({message})")]
    AccessDenied {
        /// The API action.
        action: &'static str,
        /// AWS's message.
        message: String,
    },
    /// AWS answered with another error.
    #[error("{action} failed: {code}: {message}")]
    Service {
        /// The API action.
        action: &'static str,
        /// The error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// Anything else (an unreadable response, a request that could not be built).
    #[error("{action} failed: {message}")]
    Other {
        /// The API action.
        action: &'static str,
        /// The innermost cause.
        message: String,
        /// The SDK's error chain.
        detail: String,
    },
}

/// `acm:DescribeCertificate` -> `ACM`.
fn service(action: &str) -> String {
    let prefix = action.split(':').next().unwrap_or(action);
    match prefix {
        "route53" => "Route 53".to_owned(),
        other => other.to_ascii_uppercase(),
    }
}

fn at(endpoint: Option<&String>) -> String {
    endpoint.map(|e| format!(" at {e}")).unwrap_or_default()
}

impl AwsError {
    /// The SDK's whole error chain, for `--verbose` and debug logs (else the message itself).
    pub fn detail(&self) -> String {
        match self {
            AwsError::NoCredentials { detail, .. }
            | AwsError::Unreachable { detail, .. }
            | AwsError::Timeout { detail, .. }
            | AwsError::Other { detail, .. } => detail.clone(),
            other => other.to_string(),
        }
    }

    /// The same error, naming the endpoint that was asked (connection failures and timeouts).
    pub fn at(mut self, url: &str) -> Self {
        if let AwsError::Unreachable { endpoint, .. } | AwsError::Timeout { endpoint, .. } =
            &mut self
        {
            *endpoint = Some(url.to_owned());
        }
        self
    }

    /// A request that could not be built (a builder refused a value).
    pub(crate) fn invalid_request(action: &'static str, e: impl std::error::Error) -> Self {
        AwsError::Other {
            action,
            message: format!("invalid request: {e}"),
            detail: format!("{e:?}"),
        }
    }
}

/// Error codes AWS services use for throttling.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "PriorRequestNotComplete",
];

/// The innermost error of a chain: the one that says what actually happened.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Maps an SDK error to an `AwsError` for `action`.
pub(crate) fn api_error<E, R>(action: &'static str, err: &SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(err).to_string();
    match err {
        SdkError::ServiceError(_) => {
            let service = err.as_service_error();
            let code = service
                .and_then(|e| e.code())
                .unwrap_or("Unknown")
                .to_owned();
            let message = service
                .and_then(|e| e.message())
                .unwrap_or_default()
                .to_owned();
            if code.starts_with("AccessDenied")
                || matches!(
                    code.as_str(),
                    "AuthorizationError" | "KMSAccessDenied" | "KMSAccessDeniedException"
                )
            {
                AwsError::AccessDenied { action, message }
            } else if THROTTLING.contains(&code.as_str()) {
                AwsError::Throttled { action, code }
            } else {
                AwsError::Service {
                    action,
                    code,
                    message,
                }
            }
        }
        SdkError::TimeoutError(_) => AwsError::Timeout {
            action,
            endpoint: None,
            detail,
        },
        SdkError::DispatchFailure(d) if d.is_timeout() => AwsError::Timeout {
            action,
            endpoint: None,
            detail,
        },
        SdkError::DispatchFailure(d) if d.is_io() => AwsError::Unreachable {
            action,
            endpoint: None,
            cause: root_cause(err),
            detail,
        },
        _ if is_credentials_error(err) => AwsError::NoCredentials { action, detail },
        _ => AwsError::Other {
            action,
            message: root_cause(err),
            detail,
        },
    }
}

/// True when the chain says no credentials could be loaded.
fn is_credentials_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string().to_ascii_lowercase();
        if text.contains("credentials") || text.contains("no identity") {
            return true;
        }
        cur = err.source();
    }
    false
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
