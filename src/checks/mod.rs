//! The checks: pure functions from evidence to findings. `CHECKS` lists them all.
//!
//! Each check is a small function with a one-line doc comment, and declares the codes it may emit
//! (a test fails when one emits another). A check that finds nothing returns nothing; a finding is
//! data, never an error.

mod caa;
mod certificate;
mod dnssec;
pub mod facts;
mod name;
mod placement;
mod propagation;
mod renewal;
mod text;
mod value;
mod verdict;

pub use certificate::{DEADLINE_WARNING_SECS, VALIDATION_WINDOW_SECS};

use crate::evidence::{Certificate, CertificateStatus, Evidence, RecordEvidence};
use crate::finding::{Code, Finding};
use facts::Facts;

/// Everything a record check may look at.
pub struct RecordContext<'a> {
    /// The certificate.
    pub cert: &'a Certificate,
    /// The record's evidence.
    pub ev: &'a RecordEvidence,
    /// Facts derived from it.
    pub facts: Facts<'a>,
    /// Now, seconds since the epoch (signatures expire).
    pub now: i64,
}

/// How a check runs, and over what.
#[derive(Clone, Copy)]
pub enum Run {
    /// Decides whether there is anything to check at all; when it speaks, nothing else runs.
    Gate(fn(&Evidence) -> Option<Finding>),
    /// Over the whole certificate; `i64` is now, seconds since the epoch.
    Certificate(fn(&Evidence, i64) -> Vec<Finding>),
    /// Over one validation record.
    Record(fn(&RecordContext) -> Option<Finding>),
    /// Over one validation record, after the record checks, given what they found.
    Final(fn(&RecordContext, &[Finding]) -> Option<Finding>),
    /// Over the whole certificate, after every other check, given what they found.
    After(fn(&Evidence, i64, &[Finding]) -> Vec<Finding>),
}

/// One check: a stable id, the codes it may emit, and the function.
#[derive(Clone, Copy)]
pub struct Check {
    /// Stable identifier (snake_case).
    pub id: &'static str,
    /// Every code this check may emit.
    pub emits: &'static [Code],
    /// The function.
    pub run: Run,
}

const fn check(id: &'static str, emits: &'static [Code], run: Run) -> Check {
    Check { id, emits, run }
}

use Code::{
    AuthoritativeInconsistent, CaaForbidsAmazon, CertificateFailed, CnameAndTxtConflict,
    DnsLookupFailed, DnssecBroken, DoubledDomain, LameNameServer, NameMismatch, NotDnsValidated,
    RecordInPrivateZoneOnly, RecordInUndelegatedZone, RecordMissing, RecordNotPropagated, RecordOk,
    RenewalAtRisk, RenewalNotEligible, ResourceRecordNotReady, Route53Unavailable,
    ValidationDeadlineNear, ValidationTimedOut, ValueMismatch, WrongRecordType,
};
use Run::{After, Certificate as Cert, Final, Gate, Record};

/// Every check, in report order.
#[rustfmt::skip]
pub const CHECKS: &[Check] = &[
    check("not_dns_validated", &[NotDnsValidated], Gate(certificate::not_dns_validated)),
    check("certificate_failed", &[CertificateFailed], Cert(certificate::certificate_failed)),
    check("validation_timed_out", &[ValidationTimedOut], Cert(certificate::validation_timed_out)),
    check("deadline_near", &[ValidationDeadlineNear], Cert(certificate::deadline_near)),
    check("resource_record_not_ready", &[ResourceRecordNotReady], Cert(certificate::resource_record_not_ready)),
    check("caa_forbids_amazon", &[CaaForbidsAmazon], Cert(caa::caa_forbids_amazon)),
    check("caa_unknown_critical", &[CaaForbidsAmazon], Cert(caa::caa_unknown_critical)),
    check("caa_lookup_failed", &[DnsLookupFailed, DnssecBroken], Cert(caa::caa_lookup_failed)),
    check("dnssec_broken", &[DnssecBroken], Record(dnssec::dnssec_broken)),
    check("private_zone_only", &[RecordInPrivateZoneOnly], Record(placement::private_zone_only)),
    check("undelegated_zone", &[RecordInUndelegatedZone, RecordNotPropagated], Record(placement::undelegated_zone)),
    check("doubled_domain", &[DoubledDomain], Record(name::doubled_domain)),
    check("name_mismatch", &[NameMismatch], Record(name::name_mismatch)),
    check("value_mismatch", &[ValueMismatch], Record(value::value_mismatch)),
    check("wrong_record_type", &[WrongRecordType], Record(value::wrong_record_type)),
    check("cname_and_txt_conflict", &[CnameAndTxtConflict], Record(value::cname_and_txt_conflict)),
    check("authoritative_inconsistent", &[AuthoritativeInconsistent], Record(propagation::authoritative_inconsistent)),
    check("lame_name_server", &[LameNameServer], Record(propagation::lame_name_server)),
    check("not_propagated", &[RecordNotPropagated], Record(propagation::not_propagated)),
    check("lookup_failed", &[DnsLookupFailed], Record(verdict::lookup_failed)),
    check("route53_unavailable", &[Route53Unavailable], Record(verdict::route53_unavailable)),
    check("record_ok", &[RecordOk], Record(verdict::record_ok)),
    check("record_missing", &[RecordMissing], Final(verdict::record_missing)),
    check("renewal_not_eligible", &[RenewalNotEligible], Cert(renewal::renewal_not_eligible)),
    check("renewal_at_risk", &[RenewalAtRisk], After(renewal::renewal_at_risk)),
];

/// Statuses whose validation records matter (pending issuance, renewal of an issued one, or the post-mortem).
pub(crate) fn records_matter(status: &CertificateStatus) -> bool {
    matches!(
        status,
        CertificateStatus::PendingValidation
            | CertificateStatus::Issued
            | CertificateStatus::ValidationTimedOut
    )
}

/// Runs `checks` over one certificate's evidence; `now` is seconds since the epoch.
pub fn run_checks(checks: &[Check], ev: &Evidence, now: i64) -> Vec<Finding> {
    for c in checks {
        if let Run::Gate(gate) = c.run
            && let Some(f) = gate(ev)
        {
            return vec![f];
        }
    }
    let mut out: Vec<Finding> = checks
        .iter()
        .filter_map(|c| match c.run {
            Run::Certificate(f) => Some(f(ev, now)),
            _ => None,
        })
        .flatten()
        .collect();
    if records_matter(&ev.certificate.status) {
        for rec in &ev.records {
            let ctx = RecordContext {
                cert: &ev.certificate,
                ev: rec,
                facts: Facts::of(rec),
                now,
            };
            let mut found: Vec<Finding> = checks
                .iter()
                .filter_map(|c| match c.run {
                    Run::Record(f) => f(&ctx),
                    _ => None,
                })
                .collect();
            let last: Vec<Finding> = checks
                .iter()
                .filter_map(|c| match c.run {
                    Run::Final(f) => f(&ctx, &found),
                    _ => None,
                })
                .collect();
            found.extend(last);
            out.extend(found);
        }
    }
    let after: Vec<Finding> = checks
        .iter()
        .filter_map(|c| match c.run {
            Run::After(f) => Some(f(ev, now, &out)),
            _ => None,
        })
        .flatten()
        .collect();
    out.extend(after);
    out
}

/// Runs every check over one certificate's evidence; `now` is seconds since the epoch.
pub fn run(ev: &Evidence, now: i64) -> Vec<Finding> {
    run_checks(CHECKS, ev, now)
}

#[cfg(test)]
mod tests;
