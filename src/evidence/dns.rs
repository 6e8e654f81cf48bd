//! What DNS servers said: answers classified and typed, per server, for one validation record.

use hickory_proto::rr::RecordType;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rr {
    /// Owner name, lowercase, absolute.
    pub name: String,
    /// Its type.
    pub rtype: RecordType,
    /// Time to live, seconds.
    pub ttl: u32,
    /// Its data, typed where a check reads it.
    pub data: RrData,
}

/// The data of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RrData {
    /// A target name (CNAME, NS, ...), lowercase, absolute.
    Name(String),
    /// TXT strings, joined.
    Text(String),
    /// An address (A, AAAA).
    Address(IpAddr),
    /// A zone's SOA.
    Soa(Soa),
    /// A CAA property (RFC 8659).
    Caa(CaaRecord),
    /// A delegation signer at the parent (RFC 4034 §5).
    Ds(Ds),
    /// A zone's public key (RFC 4034 §2).
    Dnskey(Dnskey),
    /// A signature over an RRset (RFC 4034 §3).
    Rrsig(Rrsig),
    /// Anything else, as presentation text.
    Other(String),
}

/// The parts of an SOA record the checks use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Soa {
    /// Primary name server.
    pub mname: String,
    /// Serial number.
    pub serial: u32,
    /// MINIMUM: the negative-caching time (RFC 2308), seconds.
    pub minimum: u32,
}

/// One CAA record: `flags tag value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaRecord {
    /// The issuer-critical flag (bit 128): a CA that does not understand `tag` must not issue.
    pub critical: bool,
    /// `issue`, `issuewild`, `iodef`, ... (lowercase).
    pub tag: String,
    /// The value, as text (for `issue`: `ca.example; key=value`).
    pub value: String,
}

impl RrData {
    /// The data as text: a name, the joined TXT strings, an address, or presentation text.
    pub fn text(&self) -> String {
        match self {
            RrData::Name(s) | RrData::Text(s) | RrData::Other(s) => s.clone(),
            RrData::Address(ip) => ip.to_string(),
            RrData::Soa(s) => format!("{} serial {} minimum {}", s.mname, s.serial, s.minimum),
            RrData::Caa(c) => format!("{} {} \"{}\"", u8::from(c.critical) * 128, c.tag, c.value),
            RrData::Ds(d) => format!(
                "key tag {} algorithm {} digest type {}",
                d.key_tag, d.algorithm, d.digest_type
            ),
            RrData::Dnskey(k) => format!(
                "key tag {} algorithm {} flags {}",
                k.key_tag, k.algorithm, k.flags
            ),
            RrData::Rrsig(r) => format!(
                "over {} by key tag {} of {}, valid {} to {}",
                r.type_covered, r.key_tag, r.signer, r.inception, r.expiration
            ),
        }
    }
}

/// A DS record's parts that name the key it vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ds {
    /// The key tag of the DNSKEY it designates.
    pub key_tag: u16,
    /// The key's algorithm number.
    pub algorithm: u8,
    /// The digest algorithm number.
    pub digest_type: u8,
}

/// A DNSKEY record's parts that identify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dnskey {
    /// Flags (256: zone key, 257: also a secure entry point).
    pub flags: u16,
    /// Algorithm number.
    pub algorithm: u8,
    /// Key tag (RFC 4034 appendix B).
    pub key_tag: u16,
}

/// An RRSIG record's parts that say when and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rrsig {
    /// The type of the RRset signed.
    pub type_covered: RecordType,
    /// Algorithm number.
    pub algorithm: u8,
    /// Valid from, seconds since the epoch.
    pub inception: i64,
    /// Valid until, seconds since the epoch.
    pub expiration: i64,
    /// The key tag of the signing key.
    pub key_tag: u16,
    /// The signer's name (the zone apex).
    pub signer: String,
}

/// An Extended DNS Error (RFC 8914): why a resolver failed, in a code and words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ede {
    /// The INFO-CODE.
    pub code: u16,
    /// The extra text the server gave (may be empty).
    pub text: String,
}

impl Ede {
    /// The code's name in the IANA registry, e.g. `DNSSEC Bogus`.
    pub fn name(&self) -> &'static str {
        match self.code {
            0 => "Other Error",
            1 => "Unsupported DNSKEY Algorithm",
            2 => "Unsupported DS Digest Type",
            3 => "Stale Answer",
            4 => "Forged Answer",
            5 => "DNSSEC Indeterminate",
            6 => "DNSSEC Bogus",
            7 => "Signature Expired",
            8 => "Signature Not Yet Valid",
            9 => "DNSKEY Missing",
            10 => "RRSIGs Missing",
            11 => "No Zone Key Bit Set",
            12 => "NSEC Missing",
            13 => "Cached Error",
            14 => "Not Ready",
            15 => "Blocked",
            16 => "Censored",
            17 => "Filtered",
            18 => "Prohibited",
            19 => "Stale NXDomain Answer",
            20 => "Not Authoritative",
            21 => "Not Supported",
            22 => "No Reachable Authority",
            23 => "Network Error",
            24 => "Invalid Data",
            25 => "Signature Expired before Valid",
            26 => "Too Early",
            27 => "Unsupported NSEC3 Iterations Value",
            28 => "Unable to conform to policy",
            29 => "Synthesized",
            30 => "Invalid Query Type",
            _ => "unassigned",
        }
    }

    /// True for the codes that say DNSSEC validation failed.
    pub fn is_dnssec(&self) -> bool {
        matches!(self.code, 1 | 2 | 5..=12 | 25 | 27)
    }
}

impl std::fmt::Display for Ede {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EDE {} {}", self.code, self.name())?;
        if !self.text.is_empty() {
            write!(f, ": {}", self.text)?;
        }
        Ok(())
    }
}

/// What a server said to one question, classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// NOERROR with records in the answer section.
    Records {
        /// The answer section.
        records: Vec<Rr>,
        /// The AA flag.
        authoritative: bool,
    },
    /// NOERROR, the name exists but has no data of that type.
    NoData {
        /// From the SOA in the authority section: how long resolvers may cache this.
        negative_ttl: Option<u32>,
        /// The SOA's owner: the zone apex that answered.
        soa_owner: Option<String>,
    },
    /// NXDOMAIN: the name does not exist.
    NxDomain {
        /// From the SOA in the authority section.
        negative_ttl: Option<u32>,
        /// The SOA's owner.
        soa_owner: Option<String>,
    },
    /// Not authoritative: a referral elsewhere (from a server we expected to be authoritative: a lame delegation).
    Referral {
        /// The NS names in the authority section.
        name_servers: Vec<String>,
    },
    /// No usable answer: SERVFAIL, REFUSED, timeout, malformed reply.
    Failed {
        /// Why, in a few words.
        reason: String,
        /// The Extended DNS Error the server gave with it (RFC 8914), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ede: Option<Ede>,
    },
}

impl Answer {
    /// The records of `rtype` owned by `owner` (absolute, lowercase).
    pub fn records_of<'s, 'o>(
        &'s self,
        owner: &'o str,
        rtype: RecordType,
    ) -> impl Iterator<Item = &'s Rr> + use<'s, 'o> {
        let records: &[Rr] = match self {
            Answer::Records { records, .. } => records,
            _ => &[],
        };
        records
            .iter()
            .filter(move |r| r.name == owner && r.rtype == rtype)
    }

    /// The data, as text, of the records of `rtype` owned by `owner`.
    pub fn values(&self, owner: &str, rtype: RecordType) -> Vec<String> {
        self.records_of(owner, rtype)
            .map(|r| r.data.text())
            .collect()
    }

    /// Every record of `rtype` in the answer, whatever its owner.
    pub fn all_of(&self, rtype: RecordType) -> impl Iterator<Item = &Rr> {
        let records: &[Rr] = match self {
            Answer::Records { records, .. } => records,
            _ => &[],
        };
        records.iter().filter(move |r| r.rtype == rtype)
    }

    /// True when the server answered, whatever it said (not a failure or a referral).
    pub fn is_definite(&self) -> bool {
        matches!(
            self,
            Answer::Records { .. } | Answer::NoData { .. } | Answer::NxDomain { .. }
        )
    }

    /// True for the failure a validating resolver gives when DNSSEC fails: SERVFAIL, with no
    /// Extended DNS Error or one about DNSSEC (a SERVFAIL for "no reachable authority" is not).
    pub fn is_validation_failure(&self) -> bool {
        matches!(self, Answer::Failed { reason, ede } if reason.starts_with("SERVFAIL")
            && ede.as_ref().is_none_or(Ede::is_dnssec))
    }

    /// True for NXDOMAIN or NODATA.
    pub fn is_negative(&self) -> bool {
        matches!(self, Answer::NoData { .. } | Answer::NxDomain { .. })
    }

    /// A short description for evidence lines.
    pub fn describe(&self) -> String {
        match self {
            Answer::Records { records, .. } => records
                .iter()
                .map(|r| format!("{} {} {}", r.name, r.rtype, r.data.text()))
                .collect::<Vec<_>>()
                .join("; "),
            Answer::NoData { .. } => "no data (NOERROR, empty answer)".into(),
            Answer::NxDomain { .. } => "NXDOMAIN (name does not exist)".into(),
            Answer::Referral { name_servers } => {
                format!("not authoritative: referral to {}", name_servers.join(", "))
            }
            Answer::Failed { reason, ede } => match ede {
                Some(e) => format!("failed: {reason}; {e}"),
                None => format!("failed: {reason}"),
            },
        }
    }
}

/// One DNS server's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerAnswer {
    /// Who answered: `ns1.example.net (192.0.2.1)` or `1.1.1.1:53`.
    pub server: String,
    /// What it said.
    pub answer: Answer,
}

/// What the authoritative servers of the validation name's zone say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Name servers of the zone that were not asked, with why (no address; IPv6 only, on a host
    /// without IPv6). Shown, never counted as failed lookups.
    #[serde(default)]
    pub not_asked: Vec<(String, String)>,
    /// `CNAME` at the validation name, per authoritative server address.
    pub cname: Vec<ServerAnswer>,
    /// `TXT` at the validation name, per server.
    pub txt: Vec<ServerAnswer>,
    /// `CNAME` at the validation name with the apex appended, per server.
    pub doubled_cname: Vec<ServerAnswer>,
    /// `CNAME` at the validation name without its leading underscore, per server.
    pub bare_cname: Vec<ServerAnswer>,
    /// `A` at the validation name, per server (a proxied or flattened record answers an address).
    #[serde(default)]
    pub address: Vec<ServerAnswer>,
    /// The names above, the address and the probe are asked only when the CNAME at the name is
    /// absent or wrong on some server: otherwise they cannot change the verdict.
    ///
    /// A name that cannot exist beside the validation name (`_acm-dns-doctor-probe-<random>.<parent>`),
    /// asked for its `A` per server: a CNAME or address in the answer means a wildcard, which answers
    /// for every missing name and must not be mistaken for a published record.
    pub wildcard_probe: Vec<ServerAnswer>,
}

/// The public view of one validation record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Live {
    /// `CNAME` at the validation name from each configured recursive resolver.
    pub recursive: Vec<ServerAnswer>,
    /// Straight from the zone's authoritative servers (recursion not desired).
    pub authoritative: Authoritative,
    /// For each other CNAME target found at the name, the chain of CNAME targets that follows it
    /// (first element: that target). ACM follows up to five chained CNAMEs, so a record may point
    /// at another name that leads to the value ACM gave (CNAME delegation of validation).
    pub chains: Vec<Vec<String>>,
    /// The zone's DNSSEC chain, when a validating resolver failed on the record.
    #[serde(default)]
    pub dnssec: Option<Dnssec>,
}

/// What the zone's DNSSEC chain shows, gathered when a validating resolver failed on the record:
/// enough to say why validation fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dnssec {
    /// The zone whose chain was looked at.
    pub apex: String,
    /// The record asked again with checking disabled (CD), per resolver: data here and a
    /// failure without CD is the mark of broken DNSSEC.
    pub unchecked: Vec<ServerAnswer>,
    /// `DS` for the zone, from a resolver with checking disabled (what the parent publishes).
    pub ds: Answer,
    /// `DNSKEY` at the apex, per authoritative server (DNSSEC OK).
    pub dnskey: Vec<ServerAnswer>,
    /// `CNAME` at the record's name with its signatures, per authoritative server (DNSSEC OK).
    pub signed: Vec<ServerAnswer>,
}

/// ACM follows at most this many chained CNAMEs; the gatherer looks one further to say so.
pub const MAX_CHAIN: usize = 5;

/// CAA records that govern one domain (RFC 8659 tree climbing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caa {
    /// The certificate domain (may be `*.example.com`).
    pub domain: String,
    /// The name where the relevant CAA set was found (None: no CAA anywhere, any CA may issue).
    pub found_at: Option<String>,
    /// The name asked, when the set came from the target of a CNAME there (the name inherits
    /// its target's CAA: a hosting provider's, say).
    #[serde(default)]
    pub via_cname: Option<String>,
    /// That set.
    pub records: Vec<CaaRecord>,
    /// Why the lookup failed, if it did.
    pub error: Option<String>,
    /// After a failed lookup: whether the same question with checking disabled (CD) answered,
    /// the mark of broken DNSSEC.
    #[serde(default)]
    pub answers_unchecked: bool,
}
