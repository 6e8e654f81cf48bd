//! Evidence: plain data gathered by the adapters, judged by the checks.
//!
//! Nothing here does I/O. Every type serialises, so a run's evidence can be printed with `--format json`
//! and a check can be unit-tested by writing the evidence by hand.

use crate::dns::Answer;
use serde::Serialize;

/// What ACM says about one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// The certificate ARN.
    pub arn: String,
    /// The certificate's primary domain name.
    pub domain_name: String,
    /// ACM `Status` (PENDING_VALIDATION, ISSUED, VALIDATION_TIMED_OUT, FAILED, ...).
    pub status: String,
    /// ACM `Type` (AMAZON_ISSUED, IMPORTED, PRIVATE).
    pub cert_type: String,
    /// When it was requested, seconds since the epoch.
    pub created_at: Option<i64>,
    /// When it expires, seconds since the epoch (issued certificates).
    pub not_after: Option<i64>,
    /// Whether any AWS resource uses it (managed renewal needs it).
    pub in_use: bool,
    /// ACM `FailureReason`, only when FAILED.
    pub failure_reason: Option<String>,
    /// `RenewalSummary.RenewalStatus`, when a renewal is under way.
    pub renewal_status: Option<String>,
    /// One entry per domain name on the certificate.
    pub validations: Vec<DomainValidation>,
}

/// One `DomainValidationOptions` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DomainValidation {
    /// The domain name on the certificate (may be `*.example.com`).
    pub domain: String,
    /// PENDING_VALIDATION, SUCCESS or FAILED.
    pub status: Option<String>,
    /// DNS, EMAIL or HTTP.
    pub method: Option<String>,
    /// The CNAME ACM wants, once ACM has produced it.
    pub record: Option<ValidationRecord>,
}

/// The CNAME ACM checks: `name` → `value`, both lowercase absolute names with a trailing dot.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ValidationRecord {
    /// `_<token>.<domain>.`
    pub name: String,
    /// `_<token>.<x>.acm-validations.aws.`
    pub value: String,
}

impl Certificate {
    /// True when ACM validates this certificate through DNS records we can check.
    pub fn is_dns_validated(&self) -> bool {
        self.cert_type == "AMAZON_ISSUED"
            && self
                .validations
                .iter()
                .any(|v| v.method.as_deref() == Some("DNS"))
    }

    /// The unique validation records, each with every domain it serves, in first-seen order.
    /// Apex and `*.apex` share one record: it is checked once.
    pub fn targets(&self) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        for v in &self.validations {
            if v.method.as_deref() != Some("DNS") {
                continue;
            }
            let Some(rec) = &v.record else { continue };
            match out.iter_mut().find(|t| t.record == *rec) {
                Some(t) => t.domains.push(v.domain.clone()),
                None => out.push(Target {
                    record: rec.clone(),
                    domains: vec![v.domain.clone()],
                }),
            }
        }
        out
    }

    /// Domains validated by DNS whose record ACM has not produced yet.
    pub fn domains_without_record(&self) -> Vec<String> {
        self.validations
            .iter()
            .filter(|v| v.method.as_deref() == Some("DNS") && v.record.is_none())
            .map(|v| v.domain.clone())
            .collect()
    }

    /// Every domain on the certificate.
    pub fn domains(&self) -> Vec<String> {
        self.validations.iter().map(|v| v.domain.clone()).collect()
    }
}

/// One validation record to check and the domains it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The record ACM wants.
    pub record: ValidationRecord,
    /// The certificate's domains that this record validates.
    pub domains: Vec<String>,
}

/// A Route 53 hosted zone that could hold a validation record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Zone {
    /// `Z123...` (without `/hostedzone/`).
    pub id: String,
    /// Lowercase absolute name with a trailing dot.
    pub name: String,
    /// A private hosted zone (visible only inside its VPCs; ACM cannot see it).
    pub private: bool,
    /// The zone's delegation set (public zones), lowercase absolute names.
    pub name_servers: Vec<String>,
}

/// A Route 53 record set, values as Route 53 returns them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordSet {
    /// Lowercase absolute name with a trailing dot.
    pub name: String,
    /// CNAME, TXT, ...
    pub rtype: String,
    /// The values (for TXT, with their quotes).
    pub values: Vec<String>,
}

/// What Route 53 shows near one validation record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Route53Evidence {
    /// Route 53 could not be listed (no permission, throttled past retries, ...).
    Unavailable {
        /// Why.
        reason: String,
    },
    /// The zones that could hold the record, with the record sets near it.
    Listed {
        /// Zones whose name is a suffix of the validation name.
        zones: Vec<ZoneRecords>,
    },
}

/// A candidate zone and the record sets in it near the validation name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneRecords {
    /// The zone.
    pub zone: Zone,
    /// Record sets at the validation name, at the name with the apex appended, and near misses.
    pub records: Vec<RecordSet>,
}

/// One DNS server's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerAnswer {
    /// Who answered: `ns1.example.net (192.0.2.1)` or `1.1.1.1:53`.
    pub server: String,
    /// What it said.
    pub answer: Answer,
}

/// What the authoritative servers of the validation name's zone say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Authoritative {
    /// The live zone apex holding the validation name (found by walking SOA answers).
    pub apex: Option<String>,
    /// The live `NS` set of that apex as the resolvers see it (possibly from cache), lowercase absolute names.
    pub name_servers: Vec<String>,
    /// How long resolvers may keep that `NS` set (its TTL), seconds.
    pub ns_ttl: Option<u32>,
    /// The delegation as the parent zone states it now (asked of a parent server directly); empty
    /// when unknown. Differs from `name_servers` while a change of DNS provider propagates.
    pub parent_name_servers: Vec<String>,
    /// The negative-caching time of the zone (SOA minimum, capped by the SOA TTL), seconds.
    pub negative_ttl: Option<u32>,
    /// Why the apex or its servers could not be found, if so.
    pub error: Option<String>,
    /// `CNAME` at the validation name, per authoritative server address.
    pub cname: Vec<ServerAnswer>,
    /// `TXT` at the validation name, per server.
    pub txt: Vec<ServerAnswer>,
    /// `CNAME` at the validation name with the apex appended, per server.
    pub doubled_cname: Vec<ServerAnswer>,
    /// `CNAME` at the validation name without its leading underscore, per server.
    pub bare_cname: Vec<ServerAnswer>,
    /// A name that cannot exist beside the validation name (`_acm-dns-doctor-probe-<random>.<parent>`),
    /// asked for its `CNAME` per server: an answer means a wildcard CNAME, which answers for every
    /// missing name and must not be mistaken for a published record.
    pub wildcard_probe: Vec<ServerAnswer>,
}

/// The public view of one validation record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Live {
    /// `CNAME` at the validation name from each configured recursive resolver.
    pub recursive: Vec<ServerAnswer>,
    /// Straight from the zone's authoritative servers (recursion not desired).
    pub authoritative: Authoritative,
    /// For each other CNAME target found at the name, the chain of CNAME targets that follows it
    /// (first element: that target). ACM follows up to five chained CNAMEs, so a record may point
    /// at another name that leads to the value ACM gave (CNAME delegation of validation).
    pub chains: Vec<Vec<String>>,
}

/// CAA records that govern one domain (RFC 8659 tree climbing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caa {
    /// The certificate domain (may be `*.example.com`).
    pub domain: String,
    /// The name where the relevant CAA set was found (None: no CAA anywhere, any CA may issue).
    pub found_at: Option<String>,
    /// `(tag, value)` pairs of that set.
    pub records: Vec<(String, String)>,
    /// Why the lookup failed, if it did.
    pub error: Option<String>,
}

/// Everything known about one validation record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordEvidence {
    /// The record and the domains it serves.
    pub target: Target,
    /// Route 53's view.
    pub route53: Route53Evidence,
    /// The live DNS view.
    pub live: Live,
}

/// Everything known about one certificate: the input of the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// ACM's view.
    pub certificate: Certificate,
    /// One entry per unique validation record.
    pub records: Vec<RecordEvidence>,
    /// CAA per domain (empty when not looked up).
    pub caa: Vec<Caa>,
    /// When the evidence was gathered, seconds since the epoch.
    pub gathered_at: i64,
}

/// Lowercase, absolute (trailing dot) form of a DNS name as typed by a person or an API.
pub fn normalize_name(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase();
    let n = n.trim_end_matches('.');
    format!("{n}.")
}
