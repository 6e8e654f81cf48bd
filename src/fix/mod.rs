//! The fix: for each certificate, the Route 53 change batches that make ACM's validation
//! succeed, or why a change cannot help. Pure: computed from the evidence and the findings
//! (`plan`); sending it is `remedy`'s.

mod plan;

pub use plan::{FIXABLE, plan};

use crate::finding::Code;
use serde::Serialize;
use std::fmt::Write as _;

/// The TTL of a record the fix creates.
pub const TTL: i64 = 300;

/// A Route 53 change action (only these two are ever sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    /// Removes a wrong record (only one that carries the certificate's own token).
    Delete,
    /// Creates or replaces the validation CNAME.
    Upsert,
}

impl Action {
    /// Route 53's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "DELETE",
            Action::Upsert => "UPSERT",
        }
    }
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// What to do.
    pub action: Action,
    /// The record's name (absolute, lowercase).
    pub name: String,
    /// Its type (`CNAME`, `TXT`, `A`, ...).
    #[serde(rename = "type")]
    pub rtype: String,
    /// Its TTL (a DELETE names the record's own).
    pub ttl: i64,
    /// Its values.
    pub values: Vec<String>,
}

/// The changes to one hosted zone, and the findings they answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneBatch {
    /// The hosted zone id (`Z...`).
    pub zone_id: String,
    /// Its name.
    pub zone_name: String,
    /// Deletes first, then upserts (Route 53 applies a batch in order, all or nothing).
    pub changes: Vec<Change>,
    /// The findings answered, per record name.
    pub answers: Vec<(String, Vec<Code>)>,
}

/// A record (or a certificate) the fix will not touch, with why and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The validation record, when the refusal is about one.
    pub record_name: Option<String>,
    /// The findings that called for a fix.
    pub codes: Vec<Code>,
    /// Why not, in one line.
    pub why: String,
    /// What to do instead, when there is something (the record to create at another provider).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instead: Option<String>,
}

/// What the fix would do for one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificatePlan {
    /// The certificate.
    pub certificate_arn: String,
    /// One batch per hosted zone.
    pub batches: Vec<ZoneBatch>,
    /// What it will not do, and why.
    pub refused: Vec<Refusal>,
}

impl CertificatePlan {
    /// True when there is nothing to change and nothing refused.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty() && self.refused.is_empty()
    }
}

/// A change in Route 53's own line format: `UPSERT _x.example.com. 300 CNAME _y.acm-validations.aws.`
pub fn change_line(c: &Change) -> String {
    format!(
        "{} {} {} {} {}",
        c.action.as_str(),
        c.name,
        c.ttl,
        c.rtype,
        c.values.join(" ")
    )
}

/// The plan of one certificate, for people.
pub fn plan_text(p: &CertificatePlan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.certificate_arn);
    if p.is_empty() {
        let _ = writeln!(out, "  nothing to fix");
    }
    for b in &p.batches {
        let _ = writeln!(
            out,
            "  Route 53 zone {} ({}), one change batch:",
            b.zone_name, b.zone_id
        );
        for c in &b.changes {
            let _ = writeln!(out, "    {}", change_line(c));
        }
        for (name, codes) in &b.answers {
            let codes: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
            let _ = writeln!(out, "    answers {} for {name}", codes.join(", "));
        }
    }
    for r in &p.refused {
        let codes: Vec<&str> = r.codes.iter().map(|c| c.as_str()).collect();
        let about = r.record_name.as_deref().unwrap_or("the certificate");
        let _ = writeln!(
            out,
            "  not fixed ({}): {about}: {}",
            codes.join(", "),
            r.why
        );
        if let Some(i) = &r.instead {
            let _ = writeln!(out, "    instead: {i}");
        }
    }
    out
}
