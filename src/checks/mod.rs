//! The checks: pure functions from evidence to findings. This file lists them all.
//!
//! Each check is a small function with a one-line doc comment. A check that finds nothing returns
//! nothing; a finding is data, never an error.

mod certificate;
pub use certificate::{DEADLINE_WARNING_SECS, VALIDATION_WINDOW_SECS};
pub mod facts;
mod record;
pub mod similar;

use crate::evidence::{Certificate, Evidence, RecordEvidence};
use crate::finding::Finding;
use facts::Facts;

/// A check over the whole certificate.
pub type CertificateCheck = fn(&Evidence, i64) -> Vec<Finding>;

/// Everything a record check may look at.
pub struct RecordContext<'a> {
    /// The certificate.
    pub cert: &'a Certificate,
    /// The record's evidence.
    pub ev: &'a RecordEvidence,
    /// Facts derived from it.
    pub facts: Facts<'a>,
}

/// A check over one validation record.
pub type RecordCheck = fn(&RecordContext) -> Option<Finding>;

/// Certificate-level checks, in report order.
pub const CERTIFICATE_CHECKS: &[(&str, CertificateCheck)] = &[
    ("certificate_failed", certificate::certificate_failed),
    ("validation_timed_out", certificate::validation_timed_out),
    ("deadline_near", certificate::deadline_near),
    (
        "resource_record_not_ready",
        certificate::resource_record_not_ready,
    ),
    ("caa_forbids_amazon", certificate::caa_forbids_amazon),
    ("caa_lookup_failed", certificate::caa_lookup_failed),
];

/// Record-level checks, in report order.
pub const RECORD_CHECKS: &[(&str, RecordCheck)] = &[
    ("private_zone_only", record::private_zone_only),
    ("undelegated_zone", record::undelegated_zone),
    ("doubled_domain", record::doubled_domain),
    ("name_mismatch", record::name_mismatch),
    ("value_mismatch", record::value_mismatch),
    ("wrong_record_type", record::wrong_record_type),
    ("cname_and_txt_conflict", record::cname_and_txt_conflict),
    (
        "authoritative_inconsistent",
        record::authoritative_inconsistent,
    ),
    ("not_propagated", record::not_propagated),
    ("lookup_failed", record::lookup_failed),
    ("record_missing", record::record_missing),
    ("route53_unavailable", record::route53_unavailable),
    ("record_ok", record::record_ok),
];

/// Statuses whose validation records matter (pending issuance, renewal of an issued one, or the post-mortem).
const RECORDS_MATTER: &[&str] = &["PENDING_VALIDATION", "ISSUED", "VALIDATION_TIMED_OUT"];

/// Runs every check over one certificate's evidence; `now` is seconds since the epoch.
pub fn run(ev: &Evidence, now: i64) -> Vec<Finding> {
    if let Some(f) = certificate::not_dns_validated(ev) {
        return vec![f];
    }
    let mut out: Vec<Finding> = CERTIFICATE_CHECKS
        .iter()
        .flat_map(|(_, check)| check(ev, now))
        .collect();
    if RECORDS_MATTER.contains(&ev.certificate.status.as_str()) {
        for rec in &ev.records {
            let ctx = RecordContext {
                cert: &ev.certificate,
                ev: rec,
                facts: Facts::of(rec),
            };
            out.extend(RECORD_CHECKS.iter().filter_map(|(_, check)| check(&ctx)));
        }
    }
    out
}

#[cfg(test)]
mod tests;
