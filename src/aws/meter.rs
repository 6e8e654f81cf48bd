//! What the SDK really sent: attempts per API and the throttles among them (retries included),
//! counted by an interceptor on every client. The summary and the benchmark read it.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Counts shared by every client of a process (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<Mutex<Counts>>);

/// Attempts and throttles per API action (`acm:DescribeCertificate`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Attempts sent, retries included.
    pub attempts: BTreeMap<String, u64>,
    /// Attempts answered with a throttling error.
    pub throttles: BTreeMap<String, u64>,
}

impl Counts {
    /// Throttled attempts, all APIs.
    pub fn throttles(&self) -> u64 {
        self.throttles.values().sum()
    }
}

impl Meter {
    /// What was counted so far.
    pub fn counts(&self) -> Counts {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The interceptor for one service's client (`service` is the IAM prefix, e.g. `acm`).
    pub fn interceptor(&self, service: &'static str) -> MeterInterceptor {
        MeterInterceptor {
            meter: self.clone(),
            service,
        }
    }
}

/// The interceptor of one client.
#[derive(Debug, Clone)]
pub struct MeterInterceptor {
    meter: Meter,
    service: &'static str,
}

/// True when an HTTP answer is a throttle: 429, or a 400/503 whose error type (JSON protocols'
/// `x-amzn-ErrorType`, or the XML and query protocols' `<Code>`) says so.
pub fn is_throttle(status: u16, error_type: Option<&str>, body: &[u8]) -> bool {
    const WORDS: [&str; 4] = [
        "Throttl",
        "TooManyRequests",
        "RequestLimitExceeded",
        "PriorRequestNotComplete",
    ];
    if status == 429 {
        return true;
    }
    if !matches!(status, 400 | 503) {
        return false;
    }
    let has = |text: &str| WORDS.iter().any(|w| text.contains(w));
    error_type.is_some_and(has) || has(&String::from_utf8_lossy(&body[..body.len().min(2048)]))
}

fn throttled(response: &HttpResponse) -> bool {
    let error_type = response.headers().get("x-amzn-errortype");
    let body = response.body().bytes().unwrap_or_default();
    is_throttle(response.status().as_u16(), error_type, body)
}

impl Intercept for MeterInterceptor {
    fn name(&self) -> &'static str {
        "acm-dns-doctor meter"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map_or("Unknown", Metadata::name);
        let action = format!("{}:{operation}", self.service);
        let throttle = context.response().is_some_and(throttled);
        let mut counts = self
            .meter
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.attempts.entry(action.clone()).or_default() += 1;
        if throttle {
            *counts.throttles.entry(action).or_default() += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::is_throttle;

    #[test]
    fn throttles_in_every_protocol() {
        assert!(is_throttle(429, None, b""));
        assert!(is_throttle(
            400,
            Some("ThrottlingException:http://x"),
            b"{}"
        ));
        assert!(is_throttle(
            400,
            None,
            b"<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"
        ));
        assert!(is_throttle(
            400,
            None,
            b"{\"__type\":\"ThrottlingException\"}"
        ));
        assert!(!is_throttle(400, Some("ResourceNotFoundException"), b"{}"));
        assert!(!is_throttle(500, None, b"Throttling"));
        assert!(!is_throttle(200, None, b"Throttling"));
    }
}
