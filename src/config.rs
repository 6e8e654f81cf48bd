//! Configuration: every default in one place, read by the Lambda from its environment and by the
//! CLI from its flags (which fall back to the same environment variables). A bad value fails at
//! start, naming the variable.

use crate::aws::fleet::parse_roles;
use crate::aws::pace::Quotas;
use crate::dns::{DnsConfig, parse_server};
use crate::finding::Severity;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Recursive resolvers for the public view (`RESOLVERS`, `--resolver`).
pub const DEFAULT_RESOLVERS: &str = "1.1.1.1,8.8.8.8";
/// Port of the authoritative servers found through `NS` (`DNS_PORT`, `--dns-port`).
pub const DEFAULT_DNS_PORT: u16 = 53;
/// Timeout of one DNS question, milliseconds (`DNS_TIMEOUT_MS`, `--dns-timeout-ms`).
pub const DEFAULT_DNS_TIMEOUT_MS: u64 = 1500;
/// How many times a UDP question is sent before giving up.
pub const DNS_ATTEMPTS: u8 = 2;
/// The Region every sweep covers besides the function's own (`REGIONS`): CloudFront's certificates live there.
pub const ALWAYS_SWEPT_REGION: &str = "us-east-1";
/// Alert on findings at or above this (`MIN_SEVERITY`).
pub const DEFAULT_MIN_SEVERITY: Severity = Severity::Warning;
/// After a request, how long a missing record only schedules a re-check (`GRACE_MINUTES`).
pub const DEFAULT_GRACE_MINUTES: u64 = 15;
/// First back-off while ACM has not produced the records (`RECORD_WAIT_MS`).
pub const DEFAULT_RECORD_WAIT_MS: u64 = 2000;
/// While a certificate's problems are unchanged, remind at most this often (`REMIND_HOURS`; 0: every run).
pub const DEFAULT_REMIND_HOURS: u64 = 24;
/// Time kept before the Lambda deadline to publish (`DEADLINE_RESERVE_MS`).
pub const DEFAULT_DEADLINE_RESERVE_MS: u64 = 15_000;

/// Parses a comma-separated list of `IP` or `IP:PORT`.
pub fn parse_resolvers(list: &str) -> Result<Vec<SocketAddr>, String> {
    list.split(',').map(parse_server).collect()
}

/// The DNS settings from their three values.
pub fn dns_config(resolvers: Vec<SocketAddr>, port: u16, timeout_ms: u64) -> DnsConfig {
    DnsConfig {
        resolvers,
        auth_port: port,
        timeout: Duration::from_millis(timeout_ms),
        attempts: DNS_ATTEMPTS,
        ipv6: crate::dns::host_has_ipv6(),
    }
}

/// The run options of the CLI: flags, else the Lambda's environment variables, else the defaults.
#[derive(clap::Args, Debug, Clone)]
pub struct RunOptions {
    /// Recursive resolver for the public view, IP or IP:PORT (repeatable, or comma-separated).
    #[arg(long = "resolver", env = "RESOLVERS", value_delimiter = ',', value_parser = parse_server, default_value = DEFAULT_RESOLVERS)]
    pub resolvers: Vec<SocketAddr>,
    /// Port of the authoritative servers discovered through NS records.
    #[arg(long, env = "DNS_PORT", default_value_t = DEFAULT_DNS_PORT)]
    pub dns_port: u16,
    /// Timeout of one DNS question, milliseconds.
    #[arg(long, env = "DNS_TIMEOUT_MS", default_value_t = DEFAULT_DNS_TIMEOUT_MS)]
    pub dns_timeout_ms: u64,
    /// Certificates checked at once (default: as many as the API quotas keep busy).
    #[arg(long, env = "MAX_CONCURRENCY", value_parser = parse_concurrency)]
    pub max_concurrency: Option<Concurrency>,
    /// Calls per second per account and Region, overriding the documented quotas:
    /// API=RATE[/BURST], comma-separated (acm:DescribeCertificate=10,route53=10/50).
    #[arg(long = "api-rates", env = "API_RATES", value_parser = Quotas::parse, default_value = "")]
    pub quotas: Quotas,
}

/// `MAX_CONCURRENCY`: a number, or `auto` (from the quotas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency(pub Option<usize>);

/// Parses `MAX_CONCURRENCY`: `auto` (or empty), or a whole number ≥ 1.
pub fn parse_concurrency(v: &str) -> Result<Concurrency, String> {
    match v.trim() {
        "" | "auto" => Ok(Concurrency(None)),
        n => n
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .map(|n| Concurrency(Some(n)))
            .ok_or_else(|| "auto, or a whole number ≥ 1".to_owned()),
    }
}

/// Parses a comma-separated list of Region names (`us-east-1,eu-west-1`).
pub fn parse_regions(list: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for r in list.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        if !crate::arn::is_region(r) {
            return Err(format!("{r:?} is not a Region name (like eu-west-1)"));
        }
        if !out.iter().any(|o| o == r) {
            out.push(r.to_owned());
        }
    }
    Ok(out)
}

impl RunOptions {
    /// The DNS settings these options describe.
    pub fn dns_config(&self) -> DnsConfig {
        dns_config(self.resolvers.clone(), self.dns_port, self.dns_timeout_ms)
    }
}

/// What the Lambda does about a fixable record in a Route 53 zone of the account (`AUTO_FIX`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AutoFix {
    /// Nothing: alerts only.
    #[default]
    Off,
    /// The alert includes the exact change batch.
    Plan,
    /// New requests and broken renewals are fixed at once; a notice says what was changed.
    Apply,
}

impl std::str::FromStr for AutoFix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" | "off" => Ok(AutoFix::Off),
            "plan" => Ok(AutoFix::Plan),
            "apply" => Ok(AutoFix::Apply),
            _ => Err("off, plan or apply".into()),
        }
    }
}

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
    /// Certificates checked at once (`MAX_CONCURRENCY`; default `auto`: from the quotas).
    pub max_concurrency: Option<usize>,
    /// Regions swept (`REGIONS`; default the function's own and us-east-1).
    pub regions: Vec<String>,
    /// Member accounts: account id → role ARN (`ACCOUNT_ROLE_ARNS`, or `ACCOUNT_IDS` with `MEMBER_ROLE_NAME`).
    pub roles: BTreeMap<String, String>,
    /// External id passed when assuming a member role (`EXTERNAL_ID`).
    pub external_id: Option<String>,
    /// Calls per second per account and Region (`API_RATES` overrides the documented quotas).
    pub quotas: Quotas,
    /// What to do about a fixable record in a Route 53 zone (`AUTO_FIX`: off, plan, apply).
    pub auto_fix: AutoFix,
    /// How long ACM may take to show the record after a request: first back-off (`RECORD_WAIT_MS`, default 2000).
    pub record_wait: Duration,
    /// Time kept free before the invocation deadline to publish (`DEADLINE_RESERVE_MS`, default 15000).
    pub deadline_reserve: Duration,
    /// SNS topic of a chat channel (Amazon Q Developer in chat applications), `CHAT_TOPIC_ARN`;
    /// none: e-mail and machines only.
    pub chat_topic_arn: Option<String>,
    /// While a certificate's problems are unchanged, remind at most this often (`REMIND_HOURS`,
    /// default 24; zero: every run).
    pub remind: Duration,
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
        let resolvers = get("RESOLVERS")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_RESOLVERS.to_owned());
        let resolvers =
            parse_resolvers(&resolvers).map_err(|why| invalid("RESOLVERS", &resolvers, &why))?;
        let dns = dns_config(
            resolvers,
            number(&get, "DNS_PORT", DEFAULT_DNS_PORT)?,
            number(&get, "DNS_TIMEOUT_MS", DEFAULT_DNS_TIMEOUT_MS)?,
        );
        let min_severity = match get("MIN_SEVERITY") {
            Some(v) => v
                .parse()
                .map_err(|why: String| invalid("MIN_SEVERITY", &v, &why))?,
            None => DEFAULT_MIN_SEVERITY,
        };
        let max_concurrency = match get("MAX_CONCURRENCY") {
            Some(v) => {
                parse_concurrency(&v)
                    .map_err(|why| invalid("MAX_CONCURRENCY", &v, &why))?
                    .0
            }
            None => None,
        };
        let home = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| ALWAYS_SWEPT_REGION.to_owned());
        let regions_text = get("REGIONS")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("{home},{ALWAYS_SWEPT_REGION}"));
        let regions =
            parse_regions(&regions_text).map_err(|why| invalid("REGIONS", &regions_text, &why))?;
        let list = |k| -> Vec<String> {
            get(k)
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
                .unwrap_or_default()
        };
        let role_arns = list("ACCOUNT_ROLE_ARNS");
        let role_name = get("MEMBER_ROLE_NAME");
        let roles = parse_roles(
            &role_arns,
            &list("ACCOUNT_IDS"),
            role_name.as_deref(),
            "aws",
        )
        .map_err(|why| invalid("ACCOUNT_ROLE_ARNS", &role_arns.join(","), &why))?;
        let rates = get("API_RATES").unwrap_or_default();
        let quotas = Quotas::parse(&rates).map_err(|why| invalid("API_RATES", &rates, &why))?;
        let minutes: u64 = number(&get, "GRACE_MINUTES", DEFAULT_GRACE_MINUTES)?;
        let grace = minutes
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(|| invalid("GRACE_MINUTES", &minutes.to_string(), "too large"))?;
        let hours: u64 = number(&get, "REMIND_HOURS", DEFAULT_REMIND_HOURS)?;
        let remind = hours
            .checked_mul(3600)
            .map(Duration::from_secs)
            .ok_or_else(|| invalid("REMIND_HOURS", &hours.to_string(), "too large"))?;
        let chat_topic_arn = get("CHAT_TOPIC_ARN").filter(|v| !v.trim().is_empty());
        if let Some(v) = &chat_topic_arn
            && !v.starts_with("arn:")
        {
            return Err(invalid("CHAT_TOPIC_ARN", v, "an SNS topic ARN"));
        }
        let auto_fix = match get("AUTO_FIX") {
            Some(v) => v
                .parse()
                .map_err(|why: String| invalid("AUTO_FIX", &v, &why))?,
            None => AutoFix::Off,
        };
        Ok(Config {
            auto_fix,
            regions,
            roles,
            external_id: get("EXTERNAL_ID").filter(|v| !v.trim().is_empty()),
            quotas,
            chat_topic_arn,
            remind,
            topic_arn,
            dns,
            min_severity,
            grace,
            recheck_queue_url: get("RECHECK_QUEUE_URL").filter(|v| !v.trim().is_empty()),
            max_concurrency,
            record_wait: Duration::from_millis(number(
                &get,
                "RECORD_WAIT_MS",
                DEFAULT_RECORD_WAIT_MS,
            )?),
            deadline_reserve: Duration::from_millis(number(
                &get,
                "DEADLINE_RESERVE_MS",
                DEFAULT_DEADLINE_RESERVE_MS,
            )?),
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
        assert_eq!(c.grace, Duration::from_mins(15));
        assert_eq!(c.dns.resolvers.len(), 2);
        assert_eq!(c.regions, ["us-east-1"]);
        assert_eq!(c.max_concurrency, None);
        let c = cfg(&[
            ("TOPIC_ARN", "arn:aws:sns:us-east-1:1:t"),
            ("AWS_REGION", "eu-west-1"),
            ("MAX_CONCURRENCY", "12"),
            ("ACCOUNT_IDS", "444455556666"),
            ("MEMBER_ROLE_NAME", "acm-dns-doctor-member"),
        ])
        .unwrap();
        assert_eq!(c.regions, ["eu-west-1", "us-east-1"]);
        assert_eq!(c.max_concurrency, Some(12));
        assert_eq!(
            c.roles["444455556666"],
            "arn:aws:iam::444455556666:role/acm-dns-doctor-member"
        );
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
            ("REGIONS", "eu-west-1,Frankfurt"),
            ("ACCOUNT_ROLE_ARNS", "arn:aws:iam::1:role/x"),
            ("API_RATES", "acm:DescribeCertificate=0"),
            ("AUTO_FIX", "yes"),
            ("GRACE_MINUTES", "-1"),
            ("GRACE_MINUTES", "307445734561825861"),
        ] {
            let e = cfg(&[t, (k, v)]).unwrap_err().to_string();
            assert!(e.starts_with(k), "{e}");
        }
    }
}
