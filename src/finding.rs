//! Findings: the stable contract between the checks and every output.
//!
//! As in Zonemaster, the stable `Code`, its default `Severity` and the text a person reads live apart:
//! the code and severity are here, the words are written by each check (they carry the specifics).

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing to fix; said so that silence is never ambiguous.
    Info,
    /// May still resolve itself, or makes a verdict impossible; look at it.
    Warning,
    /// Validation (or renewal) will not succeed until this is fixed.
    Error,
}

impl Severity {
    /// The lowercase name used in JSON, SNS attributes and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity {other:?} (expected info, warning or error)"
            )),
        }
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $text:literal => $sev:ident,)*) => {
        /// A stable finding code. Renaming one is a breaking change: alerts are filtered on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Code { $($(#[$doc])* #[serde(rename = $text)] $name,)* }

        impl Code {
            /// Every code, in the order of the README's table.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];
            /// The severity this code always carries.
            pub fn severity(self) -> Severity {
                match self { $(Code::$name => Severity::$sev,)* }
            }
            /// The code as it appears in JSON and alerts, e.g. `RECORD_MISSING`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => $text,)* }
            }
        }
    };
}

codes! {
    /// The CNAME resolves publicly with the right value; ACM will pick it up on its next check.
    RecordOk = "RECORD_OK" => Info,
    /// No record at the validation name anywhere we can see.
    RecordMissing = "RECORD_MISSING" => Error,
    /// The record exists only in a Route 53 private hosted zone, which ACM cannot see.
    RecordInPrivateZoneOnly = "RECORD_IN_PRIVATE_ZONE_ONLY" => Error,
    /// The record is in a Route 53 public zone that is not the one the domain is delegated to.
    RecordInUndelegatedZone = "RECORD_IN_UNDELEGATED_ZONE" => Error,
    /// A CNAME at the right name points at the wrong target.
    ValueMismatch = "VALUE_MISMATCH" => Error,
    /// The record sits at a near-miss name (extra or missing characters).
    NameMismatch = "NAME_MISMATCH" => Error,
    /// The record exists at the name with the apex appended (`_x.example.com.example.com`).
    DoubledDomain = "DOUBLED_DOMAIN" => Error,
    /// A TXT and the CNAME at one name (RFC 1034: a CNAME excludes other data).
    CnameAndTxtConflict = "CNAME_AND_TXT_CONFLICT" => Error,
    /// The value is published at the right name as another type (TXT, ...) and there is no CNAME.
    WrongRecordType = "WRONG_RECORD_TYPE" => Error,
    /// Every authoritative server has it and a resolver does not yet (negative caching), or the live
    /// Route 53 zone has it and its name servers do not serve it yet.
    RecordNotPropagated = "RECORD_NOT_PROPAGATED" => Warning,
    /// Some authoritative servers serve the record and others don't.
    AuthoritativeInconsistent = "AUTHORITATIVE_INCONSISTENT" => Warning,
    /// SERVFAIL, REFUSED, a timeout or a broken answer made a verdict impossible.
    DnsLookupFailed = "DNS_LOOKUP_FAILED" => Warning,
    /// A validating resolver fails on the record (or a CAA name) that is there with checking
    /// disabled: the zone's DNSSEC chain is broken, and CAs must validate it.
    DnssecBroken = "DNSSEC_BROKEN" => Error,
    /// A name server of the zone does not answer for it while the others do.
    LameNameServer = "LAME_NAME_SERVER" => Warning,
    /// CAA records at or above the domain forbid Amazon's CA.
    CaaForbidsAmazon = "CAA_FORBIDS_AMAZON" => Error,
    /// Pending for more than 48 of ACM's 72 hours.
    ValidationDeadlineNear = "VALIDATION_DEADLINE_NEAR" => Warning,
    /// ACM gave up after 72 hours; a new request is needed.
    ValidationTimedOut = "VALIDATION_TIMED_OUT" => Error,
    /// ACM marked the request FAILED (CAA, domain not allowed, ...); a new request is needed.
    CertificateFailed = "CERTIFICATE_FAILED" => Error,
    /// ACM has not produced the validation record yet (seconds after a request).
    ResourceRecordNotReady = "RESOURCE_RECORD_NOT_READY" => Info,
    /// E-mail or HTTP validation, or an imported/private certificate: nothing to check.
    NotDnsValidated = "NOT_DNS_VALIDATED" => Info,
    /// An issued certificate whose managed renewal will fail: a validation record is not in
    /// public DNS as ACM needs it, or ACM's renewal is pending validation or failed.
    RenewalAtRisk = "RENEWAL_AT_RISK" => Error,
    /// Issued, not in use and not exported: ACM will not renew it.
    RenewalNotEligible = "RENEWAL_NOT_ELIGIBLE" => Warning,
    /// Route 53 could not be listed, so zone-level causes were not looked for.
    Route53Unavailable = "ROUTE53_UNAVAILABLE" => Warning,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem (or reassurance) about one validation record of one certificate. Its severity is
/// its code's: written in JSON beside the code, never stored apart from it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// The certificate's domains this finding concerns (apex and wildcard share one record).
    pub domains: Vec<String>,
    /// The validation record name ACM checks, when the finding is about a record.
    pub record_name: Option<String>,
    /// One line: what is wrong.
    pub summary: String,
    /// What to change, and where, with exact names and values.
    pub remedy: String,
    /// What we saw that led here, one fact a line.
    pub evidence: Vec<String>,
}

impl Finding {
    /// A finding with the code's severity and no evidence yet.
    pub fn new(code: Code, summary: impl Into<String>, remedy: impl Into<String>) -> Self {
        Finding {
            code,
            domains: Vec::new(),
            record_name: None,
            summary: summary.into(),
            remedy: remedy.into(),
            evidence: Vec::new(),
        }
    }

    /// The severity, always the code's.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Sets the domains and record name.
    pub fn about(mut self, domains: &[String], record_name: Option<&str>) -> Self {
        self.domains = domains.to_vec();
        self.record_name = record_name.map(str::to_owned);
        self
    }

    /// Appends evidence lines.
    pub fn with_evidence(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(lines);
        self
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Finding", 7)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("severity", &self.severity())?;
        st.serialize_field("domains", &self.domains)?;
        st.serialize_field("record_name", &self.record_name)?;
        st.serialize_field("summary", &self.summary)?;
        st.serialize_field("remedy", &self.remedy)?;
        st.serialize_field("evidence", &self.evidence)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_screaming_snake_case() {
        assert_eq!(Code::RecordOk.to_string(), "RECORD_OK");
        assert_eq!(
            Code::CnameAndTxtConflict.to_string(),
            "CNAME_AND_TXT_CONFLICT"
        );
        assert_eq!(Code::DnsLookupFailed.as_str(), "DNS_LOOKUP_FAILED");
        let parsed: Code = serde_json::from_str("\"DOUBLED_DOMAIN\"").unwrap();
        assert_eq!(parsed, Code::DoubledDomain);
        // The severity is written beside the code, and read back from the code alone.
        let f = Finding::new(Code::RecordMissing, "s", "r");
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["severity"], "error");
        let back: Finding = serde_json::from_value(json).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn the_readme_documents_every_code_with_its_severity() {
        let readme = include_str!("../README.md");
        for code in Code::ALL {
            let row = format!("| `{code}` | {} |", code.severity());
            assert!(
                readme.contains(&row),
                "README's table lacks the row for {code}: {row}"
            );
        }
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!("WARNING".parse::<Severity>().unwrap(), Severity::Warning);
        assert!("fatal".parse::<Severity>().is_err());
    }
}
