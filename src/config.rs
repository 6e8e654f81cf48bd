//! Configuration of the Lambda from its environment. A bad value fails at start, naming the variable.

use crate::dns::{DnsConfig, parse_server};
use crate::finding::Severity;
use std::time::Duration;

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{0} must be set")]
    Missing(&'static str),
    /// A variable has a value we cannot use.
    #[error("{name}={value:?} is invalid: {why}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is expected.
        why: String,
    },
}

/// The Lambda's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// SNS topic for alerts (`TOPIC_ARN`).
    pub topic_arn: String,
    /// DNS settings (`RESOLVERS`, `DNS_PORT`, `DNS_TIMEOUT_MS`).
    pub dns: DnsConfig,
    /// Alert on findings at or above this (`MIN_SEVERITY`, default warning).
    pub min_severity: Severity,
    /// Grace after a request before a missing record alerts (`GRACE_MINUTES`, default 15).
    pub grace: Duration,
    /// SQS queue for delayed re-checks (`RECHECK_QUEUE_URL`); none: alert at once.
    pub recheck_queue_url: Option<String>,
    /// Certificates checked at once (`MAX_CONCURRENCY`, default 4).
    pub max_concurrency: usize,
    /// How long ACM may take to show the record after a request: first back-off (`RECORD_WAIT_MS`, default 2000).
    pub record_wait: Duration,
    /// Time kept free before the invocation deadline to publish (`DEADLINE_RESERVE_MS`, default 15000).
    pub deadline_reserve: Duration,
}

impl Config {
    /// Reads the configuration through `get` (the process environment in production).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let topic_arn = get("TOPIC_ARN")
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing("TOPIC_ARN"))?;
        if !topic_arn.starts_with("arn:") {
            return Err(invalid("TOPIC_ARN", &topic_arn, "an SNS topic ARN"));
        }
        let mut dns = DnsConfig::default();
        if let Some(v) = get("RESOLVERS").filter(|v| !v.trim().is_empty()) {
            dns.resolvers = v
                .split(',')
                .map(|s| parse_server(s).map_err(|why| invalid("RESOLVERS", &v, &why)))
                .collect::<Result<_, _>>()?;
        }
        dns.auth_port = number(&get, "DNS_PORT", 53u16)?;
        dns.timeout = Duration::from_millis(number(&get, "DNS_TIMEOUT_MS", 1500u64)?);
        let min_severity = match get("MIN_SEVERITY") {
            Some(v) => v
                .parse()
                .map_err(|why: String| invalid("MIN_SEVERITY", &v, &why))?,
            None => Severity::Warning,
        };
        let max_concurrency = number(&get, "MAX_CONCURRENCY", 4usize)?;
        if max_concurrency == 0 {
            return Err(invalid("MAX_CONCURRENCY", "0", "at least 1"));
        }
        Ok(Config {
            topic_arn,
            dns,
            min_severity,
            grace: Duration::from_secs(60 * number(&get, "GRACE_MINUTES", 15u64)?),
            recheck_queue_url: get("RECHECK_QUEUE_URL").filter(|v| !v.trim().is_empty()),
            max_concurrency,
            record_wait: Duration::from_millis(number(&get, "RECORD_WAIT_MS", 2000u64)?),
            deadline_reserve: Duration::from_millis(number(&get, "DEADLINE_RESERVE_MS", 15000u64)?),
        })
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }
}

fn invalid(name: &'static str, value: &str, why: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: value.to_owned(),
        why: why.to_owned(),
    }
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) if v.trim().is_empty() => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| invalid(name, &v, "a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_overrides() {
        let c = cfg(&[("TOPIC_ARN", "arn:aws:sns:us-east-1:1:t")]).unwrap();
        assert_eq!(c.min_severity, Severity::Warning);
        assert_eq!(c.grace, Duration::from_secs(900));
        assert_eq!(c.dns.resolvers.len(), 2);
        let c = cfg(&[
            ("TOPIC_ARN", "arn:aws:sns:us-east-1:1:t"),
            ("RESOLVERS", "127.0.0.9:5353, 127.0.0.10"),
            ("DNS_PORT", "5300"),
            ("MIN_SEVERITY", "error"),
            ("GRACE_MINUTES", "0"),
        ])
        .unwrap();
        assert_eq!(c.dns.resolvers[0].to_string(), "127.0.0.9:5353");
        assert_eq!(c.dns.resolvers[1].to_string(), "127.0.0.10:53");
        assert_eq!(c.dns.auth_port, 5300);
        assert_eq!(c.min_severity, Severity::Error);
        assert_eq!(c.grace, Duration::ZERO);
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(cfg(&[]).unwrap_err(), ConfigError::Missing("TOPIC_ARN"));
        let t = ("TOPIC_ARN", "arn:aws:sns:us-east-1:1:t");
        for (k, v) in [
            ("RESOLVERS", "dns.google"),
            ("DNS_PORT", "70000"),
            ("MIN_SEVERITY", "loud"),
            ("MAX_CONCURRENCY", "0"),
            ("GRACE_MINUTES", "-1"),
        ] {
            let e = cfg(&[t, (k, v)]).unwrap_err().to_string();
            assert!(e.starts_with(k), "{e}");
        }
    }
}
