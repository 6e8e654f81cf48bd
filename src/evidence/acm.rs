//! What ACM says about a certificate, typed: statuses and methods are enums, times are seconds.

use serde::{Deserialize, Serialize};

/// An ACM enumeration: the values we know as variants, anything newer kept as `Other`.
macro_rules! acm_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
            /// A value this version does not know (kept as ACM spelled it).
            #[serde(untagged)]
            Other(String),
        }

        impl $name {
            /// The value as ACM spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::Other(String::new())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

acm_enum! {
    /// ACM `Status` of a certificate.
    CertificateStatus {
        /// Waiting for its validation records (72 hours at most).
        PendingValidation = "PENDING_VALIDATION",
        /// Issued.
        Issued = "ISSUED",
        /// Not in use and not renewed.
        Inactive = "INACTIVE",
        /// Expired.
        Expired = "EXPIRED",
        /// ACM gave up after 72 hours.
        ValidationTimedOut = "VALIDATION_TIMED_OUT",
        /// Revoked.
        Revoked = "REVOKED",
        /// The request failed (`FailureReason` says why).
        Failed = "FAILED",
    }
}

acm_enum! {
    /// ACM `Type` of a certificate.
    CertificateType {
        /// Issued by Amazon's public CA.
        AmazonIssued = "AMAZON_ISSUED",
        /// Imported.
        Imported = "IMPORTED",
        /// Issued by a private CA.
        Private = "PRIVATE",
    }
}

acm_enum! {
    /// How a domain is validated.
    ValidationMethod {
        /// A CNAME in public DNS.
        Dns = "DNS",
        /// An e-mail to the domain's contacts.
        Email = "EMAIL",
        /// A file served over HTTP (CloudFront-managed certificates).
        Http = "HTTP",
    }
}

acm_enum! {
    /// The validation state of one domain.
    ValidationStatus {
        /// Not validated yet.
        PendingValidation = "PENDING_VALIDATION",
        /// Validated.
        Success = "SUCCESS",
        /// Validation failed.
        Failed = "FAILED",
    }
}

acm_enum! {
    /// Whether ACM will renew a certificate by itself.
    RenewalEligibility {
        /// ACM renews it (it is in use, or exported).
        Eligible = "ELIGIBLE",
        /// ACM will not renew it.
        Ineligible = "INELIGIBLE",
    }
}

acm_enum! {
    /// `RenewalSummary.RenewalStatus` of an issued certificate.
    RenewalStatus {
        /// ACM is renewing it without help.
        PendingAutoRenewal = "PENDING_AUTO_RENEWAL",
        /// ACM could not validate some domains yet.
        PendingValidation = "PENDING_VALIDATION",
        /// Renewed.
        Success = "SUCCESS",
        /// Renewal failed.
        Failed = "FAILED",
    }
}

/// What ACM says about one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The certificate ARN.
    pub arn: String,
    /// The certificate's primary domain name.
    pub domain_name: String,
    /// ACM `Status`.
    pub status: CertificateStatus,
    /// ACM `Type`.
    pub cert_type: CertificateType,
    /// When it was requested, seconds since the epoch.
    pub created_at: Option<i64>,
    /// When it expires, seconds since the epoch (issued certificates).
    pub not_after: Option<i64>,
    /// When it became valid, seconds since the epoch (issued certificates).
    #[serde(default)]
    pub not_before: Option<i64>,
    /// Whether any AWS resource uses it (managed renewal needs it).
    pub in_use: bool,
    /// The resources that use it (ARNs): what breaks if it expires.
    #[serde(default)]
    pub in_use_by: Vec<String>,
    /// ACM's `RenewalEligibility`.
    #[serde(default)]
    pub renewal_eligibility: Option<RenewalEligibility>,
    /// ACM `FailureReason`, only when FAILED.
    pub failure_reason: Option<String>,
    /// `RenewalSummary.RenewalStatus`, when a renewal is under way.
    pub renewal_status: Option<RenewalStatus>,
    /// `RenewalSummary.RenewalStatusReason` (a `FailureReason`), when ACM gave one.
    #[serde(default)]
    pub renewal_reason: Option<String>,
    /// Domains of the renewal still waiting for validation (`RenewalSummary.DomainValidationOptions`).
    #[serde(default)]
    pub renewal_pending: Vec<String>,
    /// One entry per domain name on the certificate.
    pub validations: Vec<DomainValidation>,
}

/// One `DomainValidationOptions` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainValidation {
    /// The domain name on the certificate (may be `*.example.com`).
    pub domain: String,
    /// Its validation state.
    pub status: Option<ValidationStatus>,
    /// How it is validated.
    pub method: Option<ValidationMethod>,
    /// The CNAME ACM wants, once ACM has produced it.
    pub record: Option<ValidationRecord>,
}

/// The CNAME ACM checks: `name` → `value`, both lowercase absolute names with a trailing dot.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ValidationRecord {
    /// `_<token>.<domain>.`
    pub name: String,
    /// `_<token>.<x>.acm-validations.aws.`
    pub value: String,
}

/// What a certificate's tags remember of the last alert about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    /// When it was sent, seconds since the epoch.
    pub at: i64,
    /// A fingerprint of the problems it was about (codes and record names).
    pub problems: String,
}

/// One validation record to check and the domains it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The record ACM wants.
    pub record: ValidationRecord,
    /// The certificate's domains that this record validates.
    pub domains: Vec<String>,
}

impl DomainValidation {
    /// True when this domain is validated through a DNS record.
    pub fn by_dns(&self) -> bool {
        self.method == Some(ValidationMethod::Dns)
    }
}

impl Certificate {
    /// True when ACM validates this certificate through DNS records we can check.
    pub fn is_dns_validated(&self) -> bool {
        self.cert_type == CertificateType::AmazonIssued
            && self.validations.iter().any(DomainValidation::by_dns)
    }

    /// The unique validation records, each with every domain it serves, in first-seen order.
    /// Apex and `*.apex` share one record: it is checked once.
    pub fn targets(&self) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        for v in self.validations.iter().filter(|v| v.by_dns()) {
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
            .filter(|v| v.by_dns() && v.record.is_none())
            .map(|v| v.domain.clone())
            .collect()
    }

    /// Every domain on the certificate.
    pub fn domains(&self) -> Vec<String> {
        self.validations.iter().map(|v| v.domain.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_keep_acm_spelling_and_unknown_values() {
        assert_eq!(
            CertificateStatus::from("PENDING_VALIDATION"),
            CertificateStatus::PendingValidation
        );
        let new = CertificateStatus::from("SOMETHING_NEW");
        assert_eq!(new.as_str(), "SOMETHING_NEW");
        let json = serde_json::to_string(&vec![CertificateStatus::Issued, new.clone()]).unwrap();
        assert_eq!(json, r#"["ISSUED","SOMETHING_NEW"]"#);
        let back: Vec<CertificateStatus> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![CertificateStatus::Issued, new]);
    }
}
