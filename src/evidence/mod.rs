//! Evidence: plain data gathered by the adapters, judged by the checks.
//!
//! Nothing here does I/O and nothing here depends on an adapter. Every type serialises both ways,
//! so what a run gathered can be written to a file (`check --dump-evidence`) and judged again
//! later, without a world: a puzzling case becomes a regression test.

mod acm;
mod dns;
mod route53;

pub use acm::{
    AlertState, Certificate, CertificateStatus, CertificateType, DomainValidation,
    RenewalEligibility, RenewalStatus, Target, ValidationMethod, ValidationRecord,
    ValidationStatus,
};
pub use dns::{
    Answer, Authoritative, Caa, CaaRecord, Dnskey, Dnssec, Ds, Ede, Live, MAX_CHAIN, Rr, RrData,
    Rrsig, ServerAnswer, Soa,
};
pub use route53::{RecordSet, Route53Evidence, Zone, ZoneRecords};

use serde::{Deserialize, Serialize};

/// Everything known about one validation record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEvidence {
    /// The record and the domains it serves.
    pub target: Target,
    /// Route 53's view.
    pub route53: Route53Evidence,
    /// The live DNS view.
    pub live: Live,
}

/// Everything known about one certificate: the input of the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
