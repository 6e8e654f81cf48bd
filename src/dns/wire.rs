//! DNS messages without sockets: build a question, classify a reply.

use crate::evidence::{Answer, CaaRecord, Dnskey, Ds, Ede, Rr, RrData, Rrsig, Soa};
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// Why a question could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// The name is not a valid DNS name.
    #[error("invalid DNS name {0:?}")]
    BadName(String),
}

/// EDNS payload we advertise: large enough for any validation answer, small enough to avoid fragments.
pub const EDNS_PAYLOAD: u16 = 1232;

/// How a question is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flags {
    /// To an authoritative server: recursion not desired.
    Authoritative,
    /// To a recursive resolver, validating DNSSEC as ACM's resolvers do.
    Recursive,
    /// To a recursive resolver with checking disabled (CD): finding zones and servers even when
    /// DNSSEC is broken, so the failure can be diagnosed instead of hiding everything.
    RecursiveUnchecked,
    /// To an authoritative server, with DNSSEC OK (DO): the signatures and keys come too.
    AuthoritativeDnssec,
}

impl Flags {
    /// True for questions to an authoritative server (recursion not desired).
    pub fn to_authority(self) -> bool {
        matches!(self, Flags::Authoritative | Flags::AuthoritativeDnssec)
    }
}

/// Builds one question.
pub fn build_query(
    id: u16,
    name: &str,
    rtype: RecordType,
    flags: Flags,
) -> Result<Message, WireError> {
    let qname = parse_name(name)?;
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = !flags.to_authority();
    msg.metadata.checking_disabled = flags == Flags::RecursiveUnchecked;
    msg.add_query(Query::query(qname, rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    edns.set_dnssec_ok(flags == Flags::AuthoritativeDnssec);
    msg.set_edns(edns);
    Ok(msg)
}

fn parse_name(name: &str) -> Result<Name, WireError> {
    let mut n = Name::from_ascii(name).map_err(|_| WireError::BadName(name.to_owned()))?;
    n.set_fqdn(true);
    Ok(n)
}

/// Classifies a reply: records, no data, no such name, a referral, or a failure.
pub fn classify(msg: &Message) -> Answer {
    let rcode = msg.metadata.response_code;
    // NXDOMAIN with an answer section: a CNAME chain whose end does not exist. The asked name exists.
    if rcode == ResponseCode::NXDomain && !msg.answers.is_empty() {
        return Answer::Records {
            records: msg.answers.iter().map(rr).collect(),
            authoritative: msg.metadata.authoritative,
        };
    }
    if rcode == ResponseCode::NXDomain {
        let (negative_ttl, soa_owner) = soa_of(&msg.authorities);
        return Answer::NxDomain {
            negative_ttl,
            soa_owner,
        };
    }
    if rcode != ResponseCode::NoError {
        let mnemonic = match rcode {
            ResponseCode::ServFail => "SERVFAIL",
            ResponseCode::Refused => "REFUSED",
            ResponseCode::FormErr => "FORMERR",
            ResponseCode::NotImp => "NOTIMP",
            _ => "rcode",
        };
        return Answer::Failed {
            reason: format!("{mnemonic} ({})", rcode.to_str()),
            ede: ede(msg),
        };
    }
    if msg.metadata.truncation {
        return Answer::Failed {
            reason: "truncated reply".into(),
            ede: None,
        };
    }
    if !msg.answers.is_empty() {
        return Answer::Records {
            records: msg.answers.iter().map(rr).collect(),
            authoritative: msg.metadata.authoritative,
        };
    }
    let (negative_ttl, soa_owner) = soa_of(&msg.authorities);
    if soa_owner.is_none() {
        let name_servers: Vec<String> = msg
            .authorities
            .iter()
            .filter_map(|r| match &r.data {
                RData::NS(ns) => Some(name_text(&ns.0)),
                _ => None,
            })
            .collect();
        if !name_servers.is_empty() && !msg.metadata.authoritative {
            return Answer::Referral { name_servers };
        }
    }
    Answer::NoData {
        negative_ttl,
        soa_owner,
    }
}

/// The negative-caching TTL (RFC 2308: min of SOA TTL and MINIMUM) and owner of an SOA in `section`.
fn soa_of(section: &[Record]) -> (Option<u32>, Option<String>) {
    section
        .iter()
        .find_map(|r| match &r.data {
            RData::SOA(soa) => Some((Some(r.ttl.min(soa.minimum)), Some(name_text(&r.name)))),
            _ => None,
        })
        .unwrap_or((None, None))
}

/// A name as lowercase absolute text.
pub fn name_text(n: &Name) -> String {
    let mut s = n.to_lowercase().to_ascii();
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// One record, typed where a check reads it.
pub fn rr(r: &Record) -> Rr {
    let data = match &r.data {
        RData::CNAME(c) => RrData::Name(name_text(&c.0)),
        RData::NS(n) => RrData::Name(name_text(&n.0)),
        RData::TXT(t) => RrData::Text(
            t.txt_data
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<String>(),
        ),
        RData::A(a) => RrData::Address(a.0.into()),
        RData::AAAA(a) => RrData::Address(a.0.into()),
        RData::SOA(s) => RrData::Soa(Soa {
            mname: name_text(&s.mname),
            serial: s.serial,
            minimum: s.minimum,
        }),
        RData::CAA(c) => RrData::Caa(CaaRecord {
            critical: c.issuer_critical,
            tag: c.tag.to_ascii_lowercase(),
            value: String::from_utf8_lossy(&c.value).into_owned(),
        }),
        RData::Unknown { code, rdata } => dnssec_data(*code, &rdata.anything)
            .unwrap_or_else(|| RrData::Other(format!("{code} ({} bytes)", rdata.anything.len()))),
        other => RrData::Other(other.to_string()),
    };
    Rr {
        name: name_text(&r.name),
        rtype: r.record_type(),
        ttl: r.ttl,
        data,
    }
}

/// The Extended DNS Error of a reply (EDNS option 15), if it has one.
fn ede(msg: &Message) -> Option<Ede> {
    let edns = msg.edns.as_ref()?;
    edns.options().options.iter().find_map(|(_, o)| match o {
        EdnsOption::Unknown(15, data) if data.len() >= 2 => Some(Ede {
            code: u16::from_be_bytes([data[0], data[1]]),
            text: String::from_utf8_lossy(&data[2..])
                .trim_end_matches('\0')
                .to_owned(),
        }),
        _ => None,
    })
}

/// DS, DNSKEY and RRSIG data (RFC 4034), read from their wire form: only the parts the checks use.
fn dnssec_data(rtype: RecordType, b: &[u8]) -> Option<RrData> {
    let u16_at = |i: usize| Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
    let u32_at = |i: usize| {
        Some(u32::from_be_bytes([
            *b.get(i)?,
            *b.get(i + 1)?,
            *b.get(i + 2)?,
            *b.get(i + 3)?,
        ]))
    };
    match rtype {
        RecordType::DS => Some(RrData::Ds(Ds {
            key_tag: u16_at(0)?,
            algorithm: *b.get(2)?,
            digest_type: *b.get(3)?,
        })),
        RecordType::DNSKEY => Some(RrData::Dnskey(Dnskey {
            flags: u16_at(0)?,
            algorithm: *b.get(3)?,
            key_tag: key_tag(b),
        })),
        RecordType::RRSIG => {
            let mut signer = String::new();
            let mut i = 18;
            loop {
                let len = usize::from(*b.get(i)?);
                if len == 0 {
                    break;
                }
                let label = b.get(i + 1..i + 1 + len)?;
                signer.push_str(&String::from_utf8_lossy(label).to_ascii_lowercase());
                signer.push('.');
                i += 1 + len;
            }
            if signer.is_empty() {
                signer.push('.');
            }
            Some(RrData::Rrsig(Rrsig {
                type_covered: RecordType::from(u16_at(0)?),
                algorithm: *b.get(2)?,
                expiration: i64::from(u32_at(8)?),
                inception: i64::from(u32_at(12)?),
                key_tag: u16_at(16)?,
                signer,
            }))
        }
        _ => None,
    }
}

/// A DNSKEY's key tag (RFC 4034 appendix B).
fn key_tag(rdata: &[u8]) -> u16 {
    let mut ac: u32 = 0;
    for (i, b) in rdata.iter().enumerate() {
        ac += if i % 2 == 0 {
            u32::from(*b) << 8
        } else {
            u32::from(*b)
        };
    }
    ac += (ac >> 16) & 0xffff;
    u16::try_from(ac & 0xffff).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{CNAME, NS, SOA, TXT};

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn reply(rcode: ResponseCode) -> Message {
        let mut m = Message::new(7, MessageType::Response, OpCode::Query);
        m.metadata.response_code = rcode;
        m
    }

    fn soa(owner: &str, ttl: u32, minimum: u32) -> Record {
        Record::from_rdata(
            name(owner),
            ttl,
            RData::SOA(SOA::new(name("ns1.x."), name("h.x."), 1, 2, 3, 4, minimum)),
        )
    }

    #[test]
    fn builds_a_question_that_round_trips() {
        let m = build_query(
            42,
            "_A.Example.com",
            RecordType::CNAME,
            Flags::Authoritative,
        )
        .unwrap();
        let m = Message::from_vec(&m.to_vec().unwrap()).unwrap();
        assert_eq!(m.metadata.id, 42);
        assert!(!m.metadata.recursion_desired);
        assert_eq!(m.queries[0].query_type(), RecordType::CNAME);
        assert_eq!(name_text(m.queries[0].name()), "_a.example.com.");
        assert_eq!(
            m.edns.as_ref().map(hickory_proto::op::Edns::max_payload),
            Some(EDNS_PAYLOAD)
        );
        let m = build_query(1, "a.", RecordType::SOA, Flags::RecursiveUnchecked).unwrap();
        assert!(m.metadata.recursion_desired && m.metadata.checking_disabled);
        let m = build_query(1, "a.", RecordType::SOA, Flags::Recursive).unwrap();
        assert!(m.metadata.recursion_desired && !m.metadata.checking_disabled);
        let m = build_query(1, "a.", RecordType::DNSKEY, Flags::AuthoritativeDnssec).unwrap();
        assert!(!m.metadata.recursion_desired);
        assert!(m.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok));
    }

    #[test]
    fn rejects_a_bad_name() {
        let long = "a".repeat(70);
        assert!(matches!(
            build_query(1, &long, RecordType::A, Flags::Recursive),
            Err(WireError::BadName(_))
        ));
    }

    #[test]
    fn classifies_records_nodata_nxdomain_referral_and_failure() {
        let mut m = reply(ResponseCode::NoError);
        m.metadata.authoritative = true;
        m.add_answer(Record::from_rdata(
            name("_x.Example.com."),
            300,
            RData::CNAME(CNAME(name("_Y.acm-validations.aws."))),
        ));
        let a = classify(&m);
        assert_eq!(
            a.values("_x.example.com.", RecordType::CNAME),
            vec!["_y.acm-validations.aws."]
        );
        assert!(matches!(
            a,
            Answer::Records {
                authoritative: true,
                ..
            }
        ));

        let mut m = reply(ResponseCode::NXDomain);
        m.add_authority(soa("example.com.", 3600, 300));
        assert_eq!(
            classify(&m),
            Answer::NxDomain {
                negative_ttl: Some(300),
                soa_owner: Some("example.com.".into())
            }
        );

        // A CNAME chain ending in NXDOMAIN: the asked name exists (it is the CNAME).
        let mut m = reply(ResponseCode::NXDomain);
        m.add_answer(Record::from_rdata(
            name("_x.example.com."),
            300,
            RData::CNAME(CNAME(name("_y.acm-validations.aws."))),
        ));
        m.add_authority(soa(".", 60, 300));
        assert!(matches!(classify(&m), Answer::Records { .. }));

        let mut m = reply(ResponseCode::NoError);
        m.add_authority(soa("example.com.", 60, 300));
        assert_eq!(
            classify(&m),
            Answer::NoData {
                negative_ttl: Some(60),
                soa_owner: Some("example.com.".into())
            }
        );

        let mut m = reply(ResponseCode::NoError);
        m.add_authority(Record::from_rdata(
            name("example.com."),
            300,
            RData::NS(NS(name("ns1.other.net."))),
        ));
        assert_eq!(
            classify(&m),
            Answer::Referral {
                name_servers: vec!["ns1.other.net.".into()]
            }
        );

        assert_eq!(
            classify(&reply(ResponseCode::ServFail)),
            Answer::Failed {
                reason: "SERVFAIL (Server Failure)".into(),
                ede: None,
            }
        );
    }

    #[test]
    fn txt_strings_are_joined() {
        let r = Record::from_rdata(
            name("a.example."),
            1,
            RData::TXT(TXT::new(vec!["ab".into(), "cd".into()])),
        );
        assert_eq!(rr(&r).data, RrData::Text("abcd".into()));
        assert_eq!(rr(&r).rtype, RecordType::TXT);
    }
}
