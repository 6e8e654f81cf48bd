//! Table-driven tests of the checks over hand-built evidence (no network).

use super::{CHECKS, run, run_checks};
use crate::evidence::*;
use crate::finding::{Code, Finding};

const NAME: &str = "_abc.example.com.";
const VALUE: &str = "_def.xyzxyzxyzx.acm-validations.aws.";
const NOW: i64 = 1_800_000_000;

fn records(name: &str, rtype: &str, data: &str) -> Answer {
    let data = match rtype {
        "TXT" => RrData::Text(data.into()),
        "CNAME" => RrData::Name(data.into()),
        other => panic!("no helper for {other} data"),
    };
    Answer::Records {
        records: vec![Rr {
            name: name.into(),
            rtype: rtype.parse().unwrap(),
            ttl: 300,
            data,
        }],
        authoritative: true,
    }
}
fn caa(tag: &str, value: &str) -> CaaRecord {
    CaaRecord {
        critical: false,
        tag: tag.into(),
        value: value.into(),
    }
}
fn cname(v: &str) -> Answer {
    records(NAME, "CNAME", v)
}
fn nx() -> Answer {
    Answer::NxDomain {
        negative_ttl: Some(300),
        soa_owner: Some("example.com.".into()),
    }
}
fn failed() -> Answer {
    Answer::Failed {
        reason: "timed out".into(),
        ede: None,
    }
}
fn sa(server: &str, answer: Answer) -> ServerAnswer {
    ServerAnswer {
        server: server.into(),
        answer,
    }
}
fn both(a: Answer) -> Vec<ServerAnswer> {
    vec![
        sa("ns1.example.net (127.0.0.1)", a.clone()),
        sa("ns2.example.net (127.0.0.2)", a),
    ]
}
fn zone(id: &str, name: &str, private: bool, ns: &[&str], sets: Vec<RecordSet>) -> ZoneRecords {
    ZoneRecords {
        zone: Zone {
            id: id.into(),
            name: name.into(),
            private,
            name_servers: ns.iter().map(std::string::ToString::to_string).collect(),
        },
        records: sets,
    }
}
fn set(name: &str, rtype: &str, v: &str) -> RecordSet {
    RecordSet {
        name: name.into(),
        rtype: rtype.parse().unwrap(),
        values: vec![v.into()],
        ttl: Some(300),
        routed: false,
    }
}
const LIVE_NS: &[&str] = &["ns1.example.net.", "ns2.example.net."];
const R53_NS: &[&str] = &["ns-2048.awsdns-64.com.", "ns-2049.awsdns-65.net."];

/// A pending certificate for example.com and *.example.com whose record is nowhere.
fn base() -> Evidence {
    let record = ValidationRecord {
        name: NAME.into(),
        value: VALUE.into(),
    };
    let v = |d: &str| DomainValidation {
        domain: d.into(),
        status: Some("PENDING_VALIDATION".into()),
        method: Some("DNS".into()),
        record: Some(record.clone()),
    };
    let certificate = Certificate {
        arn: "arn:aws:acm:us-east-1:123456789012:certificate/t".into(),
        domain_name: "example.com".into(),
        status: "PENDING_VALIDATION".into(),
        cert_type: "AMAZON_ISSUED".into(),
        created_at: Some(NOW - 3600),
        validations: vec![v("example.com"), v("*.example.com")],
        ..Certificate::default()
    };
    let target = certificate.targets().remove(0);
    Evidence {
        records: vec![RecordEvidence {
            target,
            route53: Route53Evidence::Listed { zones: vec![] },
            live: Live {
                chains: vec![],
                dnssec: None,
                recursive: vec![sa("192.0.2.53:53", nx())],
                authoritative: Authoritative {
                    apex: Some("example.com.".into()),
                    name_servers: LIVE_NS
                        .iter()
                        .map(std::string::ToString::to_string)
                        .collect(),
                    negative_ttl: Some(300),
                    ns_ttl: Some(3600),
                    parent_name_servers: vec![],
                    error: None,
                    cname: both(nx()),
                    txt: both(nx()),
                    doubled_cname: both(nx()),
                    bare_cname: both(nx()),
                    address: both(nx()),
                    not_asked: vec![],
                    wildcard_probe: both(nx()),
                },
            },
        }],
        certificate,
        caa: vec![],
        gathered_at: NOW,
    }
}

fn live(ev: &mut Evidence) -> &mut Live {
    &mut ev.records[0].live
}
fn healthy(ev: &mut Evidence) {
    live(ev).recursive = vec![sa("192.0.2.53:53", cname(VALUE))];
    live(ev).authoritative.cname = both(cname(VALUE));
}
fn r53(ev: &mut Evidence, zones: Vec<ZoneRecords>) {
    ev.records[0].route53 = Route53Evidence::Listed { zones };
}

struct Case {
    name: &'static str,
    setup: fn(&mut Evidence),
    expect: &'static [Code],
}

fn refused() -> Answer {
    Answer::Failed {
        reason: "REFUSED (Query Refused)".into(),
        ede: None,
    }
}
fn referral() -> Answer {
    Answer::Referral {
        name_servers: vec!["ns.elsewhere.net.".into()],
    }
}
fn address(ip: &str) -> Answer {
    Answer::Records {
        records: vec![Rr {
            name: NAME.into(),
            rtype: hickory_proto::rr::RecordType::A,
            ttl: 300,
            data: RrData::Address(ip.parse().unwrap()),
        }],
        authoritative: true,
    }
}
fn nodata() -> Answer {
    Answer::NoData {
        negative_ttl: Some(300),
        soa_owner: Some("example.com.".into()),
    }
}

fn rr(name: &str, rtype: hickory_proto::rr::RecordType, data: RrData) -> Rr {
    Rr {
        name: name.into(),
        rtype,
        ttl: 300,
        data,
    }
}
fn servfail(ede: u16) -> Answer {
    Answer::Failed {
        reason: "SERVFAIL (Server Failure)".into(),
        ede: Some(Ede {
            code: ede,
            text: "validation failure".into(),
        }),
    }
}
/// A validating resolver fails on the record; with checking disabled it is there. The parent
/// publishes DS key tag `ds`; the zone serves DNSKEY key tags `keys`; the CNAME is signed until
/// `expires` (no signature when `None`).
fn bogus(ev: &mut Evidence, ds: Option<u16>, keys: &[u16], expires: Option<i64>) {
    use hickory_proto::rr::RecordType;
    healthy(ev);
    live(ev).recursive = vec![sa("r", servfail(6))];
    let ds = match ds {
        Some(tag) => Answer::Records {
            records: vec![rr(
                "example.com.",
                RecordType::DS,
                RrData::Ds(Ds {
                    key_tag: tag,
                    algorithm: 13,
                    digest_type: 2,
                }),
            )],
            authoritative: false,
        },
        None => nodata(),
    };
    let dnskey = if keys.is_empty() {
        nodata()
    } else {
        Answer::Records {
            records: keys
                .iter()
                .map(|k| {
                    rr(
                        "example.com.",
                        RecordType::DNSKEY,
                        RrData::Dnskey(Dnskey {
                            flags: 257,
                            algorithm: 13,
                            key_tag: *k,
                        }),
                    )
                })
                .collect(),
            authoritative: true,
        }
    };
    let mut signed = vec![rr(NAME, RecordType::CNAME, RrData::Name(VALUE.into()))];
    if let Some(expiration) = expires {
        signed.push(rr(
            NAME,
            RecordType::RRSIG,
            RrData::Rrsig(Rrsig {
                type_covered: RecordType::CNAME,
                algorithm: 13,
                inception: expiration - 30 * 86_400,
                expiration,
                key_tag: keys.first().copied().unwrap_or(1),
                signer: "example.com.".into(),
            }),
        ));
    }
    live(ev).dnssec = Some(Dnssec {
        apex: "example.com.".into(),
        unchecked: vec![sa("r", cname(VALUE))],
        ds,
        dnskey: both(dnskey),
        signed: both(Answer::Records {
            records: signed,
            authoritative: true,
        }),
    });
}

/// The certificate issued 100 days ago for 198 days, in use.
fn issued(ev: &mut Evidence) {
    let c = &mut ev.certificate;
    c.status = "ISSUED".into();
    c.not_before = Some(NOW - 100 * 86_400);
    c.not_after = Some(NOW + 98 * 86_400);
    c.in_use = true;
    c.in_use_by = vec!["arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE".into()];
    c.renewal_eligibility = Some(RenewalEligibility::Eligible);
}

const CASES: &[Case] = &[
    Case {
        name: "issued, its validation record removed: renewal at risk",
        setup: issued,
        expect: &[Code::RecordMissing, Code::RenewalAtRisk],
    },
    Case {
        name: "issued and healthy",
        setup: |ev| {
            issued(ev);
            healthy(ev);
        },
        expect: &[Code::RecordOk],
    },
    Case {
        name: "issued, ACM's renewal failed",
        setup: |ev| {
            issued(ev);
            healthy(ev);
            ev.certificate.renewal_status = Some(RenewalStatus::Failed);
            ev.certificate.renewal_reason = Some("CAA_ERROR".into());
        },
        expect: &[Code::RecordOk, Code::RenewalAtRisk],
    },
    Case {
        name: "issued, not in use: ACM will not renew it",
        setup: |ev| {
            issued(ev);
            healthy(ev);
            ev.certificate.in_use = false;
            ev.certificate.in_use_by = vec![];
            ev.certificate.renewal_eligibility = Some(RenewalEligibility::Ineligible);
        },
        expect: &[Code::RecordOk, Code::RenewalNotEligible],
    },
    Case {
        name: "DNSSEC: a DS left at the parent for a zone no longer signed",
        setup: |ev| bogus(ev, Some(4242), &[], None),
        expect: &[Code::DnssecBroken],
    },
    Case {
        name: "DNSSEC: signatures expired",
        setup: |ev| bogus(ev, Some(7), &[7], Some(NOW - 3600)),
        expect: &[Code::DnssecBroken],
    },
    Case {
        name: "DNSSEC: the DS names a key the zone no longer serves",
        setup: |ev| bogus(ev, Some(7), &[8], Some(NOW + 86_400)),
        expect: &[Code::DnssecBroken],
    },
    Case {
        name: "a SERVFAIL for an unreachable authority is not DNSSEC",
        setup: |ev| {
            bogus(ev, Some(7), &[7], Some(NOW + 86_400));
            live(ev).recursive = vec![sa("r", servfail(22))];
        },
        expect: &[Code::DnsLookupFailed],
    },
    Case {
        name: "one resolver fails, another answers with checking disabled: no DNSSEC verdict",
        setup: |ev| {
            bogus(ev, Some(7), &[7], Some(NOW + 86_400));
            live(ev).dnssec.as_mut().unwrap().unchecked =
                vec![sa("r", failed()), sa("other", cname(VALUE))];
        },
        expect: &[Code::DnsLookupFailed],
    },
    Case {
        name: "a resolver timed out while every authority says the name is missing",
        setup: |ev| live(ev).recursive = vec![sa("r", failed())],
        expect: &[Code::RecordMissing, Code::DnsLookupFailed],
    },
    Case {
        name: "every name server IPv6-only on a host without IPv6: the resolvers' view stands",
        setup: |ev| {
            let auth = &mut live(ev).authoritative;
            auth.cname = vec![];
            auth.txt = vec![];
            auth.not_asked = vec![("ns1.v6.net".into(), "has only IPv6 addresses".into())];
        },
        expect: &[Code::RecordMissing],
    },
    Case {
        name: "a name server with no address beside one that serves the record",
        setup: |ev| {
            healthy(ev);
            live(ev).authoritative.cname = vec![
                sa("ns1", cname(VALUE)),
                sa(
                    "ns2.typo.net",
                    Answer::Failed {
                        reason: "no address for this name server (NXDOMAIN)".into(),
                        ede: None,
                    },
                ),
            ];
        },
        expect: &[Code::RecordOk, Code::LameNameServer],
    },
    Case {
        name: "a FAILED request whose CAA lookup fails DNSSEC says so",
        setup: |ev| {
            bogus(ev, Some(4242), &[], None);
            ev.certificate.status = "FAILED".into();
            ev.certificate.failure_reason = Some("CAA_ERROR".into());
            ev.caa = vec![Caa {
                domain: "example.com".into(),
                found_at: None,
                records: vec![],
                error: Some("CAA lookup of example.com. failed: SERVFAIL".into()),
                via_cname: None,
                answers_unchecked: true,
            }];
        },
        expect: &[Code::CertificateFailed, Code::DnssecBroken],
    },
    Case {
        name: "a CAA lookup that fails validation and answers with checking disabled",
        setup: |ev| {
            healthy(ev);
            ev.caa = vec![Caa {
                domain: "example.com".into(),
                found_at: None,
                records: vec![],
                error: Some("CAA lookup of example.com. failed: SERVFAIL".into()),
                via_cname: None,
                answers_unchecked: true,
            }];
        },
        expect: &[Code::DnssecBroken, Code::RecordOk],
    },
    Case {
        name: "healthy",
        setup: healthy,
        expect: &[Code::RecordOk],
    },
    Case {
        name: "a lame server beside one that serves the record",
        setup: |ev| {
            healthy(ev);
            live(ev).authoritative.cname = vec![sa("ns1", cname(VALUE)), sa("ns2", refused())];
        },
        expect: &[Code::RecordOk, Code::LameNameServer],
    },
    Case {
        name: "a server that refers elsewhere beside one that says the name is missing",
        setup: |ev| {
            live(ev).authoritative.cname = vec![sa("ns1", nx()), sa("ns2", referral())];
        },
        expect: &[Code::RecordMissing, Code::LameNameServer],
    },
    Case {
        name: "every server lame: no verdict",
        setup: |ev| {
            live(ev).authoritative.cname = vec![sa("ns1", refused()), sa("ns2", referral())];
        },
        expect: &[Code::DnsLookupFailed],
    },
    Case {
        name: "proxied: the name answers an address and no CNAME",
        setup: |ev| {
            live(ev).recursive = vec![sa("r", nodata())];
            live(ev).authoritative.cname = both(nodata());
            live(ev).authoritative.address = both(address("192.0.2.80"));
        },
        expect: &[Code::WrongRecordType],
    },
    Case {
        name: "an address from a wildcard is not a proxied record",
        setup: |ev| {
            live(ev).authoritative.address = both(address("192.0.2.80"));
            live(ev).authoritative.wildcard_probe = both(Answer::Records {
                records: vec![Rr {
                    name: "_probe.example.com.".into(),
                    rtype: hickory_proto::rr::RecordType::A,
                    ttl: 300,
                    data: RrData::Address("192.0.2.80".parse().unwrap()),
                }],
                authoritative: true,
            });
        },
        expect: &[Code::RecordMissing],
    },
    Case {
        name: "an IPv6-only server not asked does not make the verdict a failed lookup",
        setup: |ev| {
            live(ev).authoritative.not_asked = vec![(
                "ns3.example.net".into(),
                "has only IPv6 addresses, and this host has no IPv6".into(),
            )];
        },
        expect: &[Code::RecordMissing],
    },
    Case {
        name: "missing",
        setup: |_| {},
        expect: &[Code::RecordMissing],
    },
    Case {
        name: "value without its leading underscore is accepted",
        setup: |ev| {
            let bare = VALUE.trim_start_matches('_');
            live(ev).recursive = vec![sa("r", cname(bare))];
            live(ev).authoritative.cname = both(cname(bare));
        },
        expect: &[Code::RecordOk],
    },
    Case {
        name: "private zone only",
        setup: |ev| {
            r53(
                ev,
                vec![zone(
                    "ZPRIV",
                    "example.com.",
                    true,
                    &[],
                    vec![set(NAME, "CNAME", VALUE)],
                )],
            );
        },
        expect: &[Code::RecordInPrivateZoneOnly],
    },
    Case {
        name: "public zone not delegated (registrar points elsewhere)",
        setup: |ev| {
            r53(
                ev,
                vec![zone(
                    "ZPUB",
                    "example.com.",
                    false,
                    R53_NS,
                    vec![set(NAME, "CNAME", VALUE)],
                )],
            );
        },
        expect: &[Code::RecordInUndelegatedZone],
    },
    Case {
        name: "moving to Route 53: the parent delegates to the zone, resolvers still cache the old NS",
        setup: |ev| {
            live(ev).authoritative.parent_name_servers = R53_NS
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            r53(
                ev,
                vec![zone(
                    "ZPUB",
                    "example.com.",
                    false,
                    R53_NS,
                    vec![set(NAME, "CNAME", VALUE)],
                )],
            );
        },
        expect: &[Code::RecordNotPropagated],
    },
    Case {
        name: "subdomain zone with no delegation",
        setup: |ev| {
            r53(
                ev,
                vec![zone(
                    "ZSUB",
                    "sub.example.com.",
                    false,
                    R53_NS,
                    vec![set("_abc.sub.example.com.", "CNAME", VALUE)],
                )],
            );
            // Evidence is about NAME; make the stray zone hold it by naming it so.
            if let Route53Evidence::Listed { zones } = &mut ev.records[0].route53 {
                zones[0].zone.name = "abc.example.com.".into();
                zones[0].records[0].name = NAME.into();
            }
        },
        expect: &[Code::RecordInUndelegatedZone],
    },
    Case {
        name: "record in the live Route 53 zone, not served yet (not called undelegated)",
        setup: |ev| {
            live(ev).authoritative.name_servers = R53_NS
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            r53(
                ev,
                vec![zone(
                    "ZPUB",
                    "example.com.",
                    false,
                    R53_NS,
                    vec![set(NAME, "CNAME", VALUE)],
                )],
            );
        },
        expect: &[Code::RecordNotPropagated],
    },
    Case {
        name: "value mismatch",
        setup: |ev| {
            let wrong = "_def.xyzxyzxyzq.acm-validations.aws.";
            live(ev).recursive = vec![sa("r", cname(wrong))];
            live(ev).authoritative.cname = both(cname(wrong));
        },
        expect: &[Code::ValueMismatch],
    },
    Case {
        name: "name mismatch in Route 53",
        setup: |ev| {
            live(ev).authoritative.name_servers = R53_NS
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            r53(
                ev,
                vec![zone(
                    "ZPUB",
                    "example.com.",
                    false,
                    R53_NS,
                    vec![set("_abcc.example.com.", "CNAME", VALUE)],
                )],
            );
        },
        expect: &[Code::NameMismatch],
    },
    Case {
        name: "name without underscore, live",
        setup: |ev| {
            live(ev).authoritative.bare_cname = both(records("abc.example.com.", "CNAME", VALUE));
        },
        expect: &[Code::NameMismatch],
    },
    Case {
        name: "doubled domain",
        setup: |ev| {
            live(ev).authoritative.doubled_cname =
                both(records("_abc.example.com.example.com.", "CNAME", VALUE));
        },
        expect: &[Code::DoubledDomain],
    },
    Case {
        name: "cname and txt at one name",
        setup: |ev| {
            healthy(ev);
            live(ev).authoritative.txt = both(records(NAME, "TXT", "some-verification=1"));
        },
        expect: &[Code::CnameAndTxtConflict],
    },
    Case {
        name: "value published as TXT",
        setup: |ev| live(ev).authoritative.txt = both(records(NAME, "TXT", VALUE)),
        expect: &[Code::WrongRecordType],
    },
    Case {
        name: "not propagated",
        setup: |ev| live(ev).authoritative.cname = both(cname(VALUE)),
        expect: &[Code::RecordNotPropagated],
    },
    Case {
        name: "authoritative servers disagree",
        setup: |ev| {
            live(ev).recursive = vec![sa("r", cname(VALUE))];
            live(ev).authoritative.cname = vec![sa("ns1", cname(VALUE)), sa("ns2", nx())];
        },
        expect: &[Code::AuthoritativeInconsistent],
    },
    Case {
        name: "a server times out: never RECORD_MISSING",
        setup: |ev| live(ev).authoritative.cname = vec![sa("ns1", nx()), sa("ns2", failed())],
        expect: &[Code::DnsLookupFailed],
    },
    Case {
        name: "zone apex not found",
        setup: |ev| {
            let a = &mut live(ev).authoritative;
            *a = Authoritative {
                error: Some("finding the zone: SERVFAIL".into()),
                ..Authoritative::default()
            };
            live(ev).recursive = vec![sa("r", failed())];
        },
        expect: &[Code::DnsLookupFailed],
    },
    Case {
        name: "lame server (a referral) beside one that serves the record: the record is fine",
        setup: |ev| {
            healthy(ev);
            live(ev).authoritative.cname = vec![
                sa("ns1", cname(VALUE)),
                sa(
                    "ns2",
                    Answer::Referral {
                        name_servers: vec!["x.".into()],
                    },
                ),
            ];
        },
        expect: &[Code::RecordOk, Code::LameNameServer],
    },
    Case {
        name: "deadline near",
        setup: |ev| ev.certificate.created_at = Some(NOW - 50 * 3600),
        expect: &[Code::ValidationDeadlineNear, Code::RecordMissing],
    },
    Case {
        name: "timed out",
        setup: |ev| ev.certificate.status = "VALIDATION_TIMED_OUT".into(),
        expect: &[Code::ValidationTimedOut, Code::RecordMissing],
    },
    Case {
        name: "record not ready",
        setup: |ev| {
            for v in &mut ev.certificate.validations {
                v.record = None;
            }
            ev.records.clear();
        },
        expect: &[Code::ResourceRecordNotReady],
    },
    Case {
        name: "e-mail validation",
        setup: |ev| {
            for v in &mut ev.certificate.validations {
                v.method = Some("EMAIL".into());
            }
        },
        expect: &[Code::NotDnsValidated],
    },
    Case {
        name: "imported",
        setup: |ev| ev.certificate.cert_type = "IMPORTED".into(),
        expect: &[Code::NotDnsValidated],
    },
    Case {
        name: "failed for CAA",
        setup: |ev| {
            ev.certificate.status = "FAILED".into();
            ev.certificate.failure_reason = Some("CAA_ERROR".into());
        },
        expect: &[Code::CertificateFailed],
    },
    Case {
        name: "CAA forbids Amazon",
        setup: |ev| {
            healthy(ev);
            ev.caa = vec![Caa {
                domain: "example.com".into(),
                found_at: Some("example.com.".into()),
                records: vec![caa("issue", "letsencrypt.org")],
                error: None,
                via_cname: None,
                answers_unchecked: false,
            }];
        },
        expect: &[Code::CaaForbidsAmazon, Code::RecordOk],
    },
    Case {
        name: "CAA allows Amazon; issuewild governs the wildcard",
        setup: |ev| {
            healthy(ev);
            ev.caa = vec![
                Caa {
                    domain: "example.com".into(),
                    found_at: Some("example.com.".into()),
                    records: vec![caa("issue", "amazon.com"), caa("issuewild", ";")],
                    error: None,
                    via_cname: None,
                    answers_unchecked: false,
                },
                Caa {
                    domain: "*.example.com".into(),
                    found_at: Some("example.com.".into()),
                    records: vec![caa("issue", "amazon.com"), caa("issuewild", ";")],
                    error: None,
                    via_cname: None,
                    answers_unchecked: false,
                },
            ];
        },
        expect: &[Code::CaaForbidsAmazon, Code::RecordOk],
    },
    Case {
        name: "CAA with an unknown property marked critical forbids every CA",
        setup: |ev| {
            healthy(ev);
            let mut critical = caa("tbs", "x");
            critical.critical = true;
            ev.caa = vec![Caa {
                domain: "example.com".into(),
                found_at: Some("example.com.".into()),
                records: vec![caa("issue", "amazon.com"), critical],
                error: None,
                via_cname: None,
                answers_unchecked: false,
            }];
        },
        expect: &[Code::CaaForbidsAmazon, Code::RecordOk],
    },
    Case {
        name: "a known property marked critical is fine",
        setup: |ev| {
            healthy(ev);
            let mut critical = caa("issue", "amazon.com");
            critical.critical = true;
            ev.caa = vec![Caa {
                domain: "example.com".into(),
                found_at: Some("example.com.".into()),
                records: vec![critical],
                error: None,
                via_cname: None,
                answers_unchecked: false,
            }];
        },
        expect: &[Code::RecordOk],
    },
    Case {
        name: "CAA lookup fails",
        setup: |ev| {
            healthy(ev);
            ev.caa = vec![Caa {
                domain: "example.com".into(),
                found_at: None,
                records: vec![],
                error: Some("CAA lookup of example.com. failed: SERVFAIL (Server Failure)".into()),
                via_cname: None,
                answers_unchecked: false,
            }];
        },
        expect: &[Code::DnsLookupFailed, Code::RecordOk],
    },
    Case {
        name: "Route 53 unreadable",
        setup: |ev| {
            ev.records[0].route53 = Route53Evidence::Unavailable {
                reason: "AccessDenied".into(),
            }
        },
        expect: &[Code::RecordMissing, Code::Route53Unavailable],
    },
    Case {
        name: "issued certificate, healthy record",
        setup: |ev| {
            healthy(ev);
            ev.certificate.status = "ISSUED".into();
        },
        expect: &[Code::RecordOk],
    },
    Case {
        name: "a wildcard CNAME is not the record",
        setup: |ev| {
            let w = "lb.example.net.";
            live(ev).authoritative.wildcard_probe =
                both(records("_probe.example.com.", "CNAME", w));
            live(ev).authoritative.cname = both(cname(w));
            live(ev).authoritative.doubled_cname =
                both(records("_abc.example.com.example.com.", "CNAME", w));
            live(ev).authoritative.bare_cname = both(records("abc.example.com.", "CNAME", w));
            live(ev).recursive = vec![sa("r", cname(w))];
        },
        expect: &[Code::RecordMissing],
    },
    Case {
        name: "a wildcard does not hide the real record",
        setup: |ev| {
            healthy(ev);
            live(ev).authoritative.wildcard_probe =
                both(records("_probe.example.com.", "CNAME", "lb.example.net."));
        },
        expect: &[Code::RecordOk],
    },
    Case {
        name: "value fixed at the authorities, resolvers still hold the old one",
        setup: |ev| {
            live(ev).authoritative.cname = both(cname(VALUE));
            live(ev).recursive = vec![sa("r", cname("_old.acm-validations.aws."))];
        },
        expect: &[Code::RecordNotPropagated],
    },
    Case {
        name: "record deleted at the authorities, resolvers still hold it",
        setup: |ev| live(ev).recursive = vec![sa("r", cname(VALUE))],
        expect: &[Code::RecordMissing],
    },
    Case {
        name: "TXT at the provider, the CNAME only in a stray Route 53 zone",
        setup: |ev| {
            live(ev).authoritative.txt = both(records(NAME, "TXT", VALUE));
            r53(
                ev,
                vec![zone(
                    "ZSTRAY",
                    "example.com.",
                    false,
                    R53_NS,
                    vec![set(NAME, "CNAME", VALUE)],
                )],
            );
        },
        expect: &[Code::RecordInUndelegatedZone, Code::WrongRecordType],
    },
    Case {
        name: "healthy record, a TXT only in a private zone",
        setup: |ev| {
            healthy(ev);
            r53(
                ev,
                vec![zone(
                    "ZPRIV",
                    "example.com.",
                    true,
                    &[],
                    vec![set(NAME, "TXT", "\"x\"")],
                )],
            );
        },
        expect: &[Code::RecordOk],
    },
    Case {
        name: "wrong value live, right value in a private zone",
        setup: |ev| {
            live(ev).authoritative.cname = both(cname("_zzz.acm-validations.aws."));
            live(ev).recursive = vec![sa("r", cname("_zzz.acm-validations.aws."))];
            r53(
                ev,
                vec![zone(
                    "ZPRIV",
                    "example.com.",
                    true,
                    &[],
                    vec![set(NAME, "CNAME", VALUE)],
                )],
            );
        },
        expect: &[Code::ValueMismatch],
    },
    Case {
        name: "a name server without an address",
        setup: |ev| {
            live(ev)
                .authoritative
                .cname
                .push(sa("ns3.example.org", failed()));
        },
        expect: &[Code::DnsLookupFailed],
    },
    Case {
        name: "CNAME delegation: the record points at a name that leads to the value",
        setup: |ev| {
            let hop = "_abc.validations.example.net.";
            live(ev).authoritative.cname = both(cname(hop));
            live(ev).recursive = vec![sa("r", cname(hop))];
            ev.records[0].live.chains = vec![vec![hop.into(), VALUE.into()]];
        },
        expect: &[Code::RecordOk],
    },
    Case {
        name: "CNAME chain longer than ACM follows",
        setup: |ev| {
            let hops: Vec<String> = (0..5).map(|i| format!("_h{i}.example.net.")).collect();
            live(ev).authoritative.cname = both(cname(&hops[0]));
            live(ev).recursive = vec![sa("r", cname(&hops[0]))];
            let mut chain = hops.clone();
            chain.push(VALUE.into());
            ev.records[0].live.chains = vec![chain];
        },
        expect: &[Code::ValueMismatch],
    },
    Case {
        name: "expired: records not judged",
        setup: |ev| ev.certificate.status = "EXPIRED".into(),
        expect: &[],
    },
];

fn codes(findings: &[Finding]) -> Vec<Code> {
    let mut c: Vec<Code> = findings.iter().map(|f| f.code).collect();
    c.sort();
    c
}

#[test]
fn every_case_yields_exactly_its_codes() {
    let mut failures = Vec::new();
    for case in CASES {
        let mut ev = base();
        (case.setup)(&mut ev);
        let got = codes(&run(&ev, NOW));
        let mut want = case.expect.to_vec();
        want.sort();
        if got != want {
            failures.push(format!("{}: want {:?}, got {:?}", case.name, want, got));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_check_emits_only_the_codes_it_declares() {
    let mut failures = Vec::new();
    for case in CASES {
        let mut ev = base();
        (case.setup)(&mut ev);
        for check in CHECKS {
            for f in run_checks(std::slice::from_ref(check), &ev, NOW) {
                if !check.emits.contains(&f.code) {
                    failures.push(format!("{}: {} emitted {}", case.name, check.id, f.code));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_catalogue_declares_every_code_once_per_id() {
    let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CHECKS.len(), "check ids repeat");
    for code in Code::ALL {
        assert!(
            CHECKS.iter().any(|c| c.emits.contains(code)),
            "no check declares {code}"
        );
    }
}

#[test]
fn a_judged_record_is_never_silent() {
    // Whatever the evidence, a record of a pending certificate gets at least one finding.
    for case in CASES {
        let mut ev = base();
        (case.setup)(&mut ev);
        if ev.certificate.status != CertificateStatus::PendingValidation
            || !ev.certificate.is_dns_validated()
        {
            continue;
        }
        for rec in &ev.records {
            let found = run(&ev, NOW)
                .iter()
                .any(|f| f.record_name.as_deref() == Some(rec.target.record.name.as_str()));
            assert!(
                found,
                "{}: no finding for {}",
                case.name, rec.target.record.name
            );
        }
    }
}

#[test]
fn every_code_is_exercised_by_a_case() {
    for code in Code::ALL {
        assert!(
            CASES.iter().any(|c| c.expect.contains(code)),
            "no unit case yields {code}"
        );
    }
}

fn only(ev: &Evidence, code: Code) -> Finding {
    run(ev, NOW)
        .into_iter()
        .find(|f| f.code == code)
        .expect("finding")
}

#[test]
fn remedies_name_the_place_and_the_exact_record() {
    let ev = base();
    let f = only(&ev, Code::RecordMissing);
    assert!(
        f.remedy.contains(&format!("{NAME} CNAME {VALUE}")),
        "{}",
        f.remedy
    );
    assert!(
        f.remedy.contains("ns1.example.net, ns2.example.net"),
        "{}",
        f.remedy
    );
    assert_eq!(f.domains, vec!["example.com", "*.example.com"]);
    assert_eq!(f.record_name.as_deref(), Some(NAME));

    let mut ev = base();
    r53(
        &mut ev,
        vec![zone(
            "ZPUB",
            "example.com.",
            false,
            R53_NS,
            vec![set(NAME, "CNAME", VALUE)],
        )],
    );
    let f = only(&ev, Code::RecordInUndelegatedZone);
    assert!(f.summary.contains("ZPUB"), "{}", f.summary);
    assert!(f.remedy.contains("ns-2048.awsdns-64.com"), "{}", f.remedy);
    assert!(f.summary.contains("ns1.example.net"), "{}", f.summary);

    let mut ev = base();
    live(&mut ev).authoritative.name_servers = R53_NS
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    r53(
        &mut ev,
        vec![zone("ZLIVE", "example.com.", false, R53_NS, vec![])],
    );
    let f = only(&ev, Code::RecordMissing);
    assert!(
        f.remedy.contains("Route 53 public hosted zone ZLIVE"),
        "{}",
        f.remedy
    );
}

#[test]
fn a_record_left_in_the_parent_zone_of_a_delegated_subzone() {
    // dev.example.com is delegated elsewhere; the CNAME went into example.com's Route 53 zone.
    let mut ev = base();
    live(&mut ev).authoritative.apex = Some("abc.example.com.".into());
    r53(
        &mut ev,
        vec![zone(
            "ZPARENT",
            "example.com.",
            false,
            R53_NS,
            vec![set(NAME, "CNAME", VALUE)],
        )],
    );
    let f = only(&ev, Code::RecordInUndelegatedZone);
    assert!(
        f.summary
            .contains("abc.example.com. is delegated to its own name servers"),
        "{}",
        f.summary
    );
    assert!(
        f.remedy.contains("delete the copy in ZPARENT"),
        "{}",
        f.remedy
    );
    assert!(!f.remedy.contains("adding NS records"), "{}", f.remedy);
}

#[test]
fn proxied_and_not_asked_say_what_they_saw() {
    let mut ev = base();
    live(&mut ev).recursive = vec![sa("r", nodata())];
    live(&mut ev).authoritative.cname = both(nodata());
    live(&mut ev).authoritative.address = both(address("192.0.2.80"));
    let f = only(&ev, Code::WrongRecordType);
    assert!(f.remedy.contains("DNS-only"), "{}", f.remedy);
    assert!(
        f.evidence.iter().any(|e| e.contains("A 192.0.2.80")),
        "{:?}",
        f.evidence
    );

    let mut ev = base();
    live(&mut ev).authoritative.not_asked =
        vec![("ns3.example.net".into(), "has only IPv6 addresses".into())];
    let f = only(&ev, Code::RecordMissing);
    assert!(
        f.evidence
            .iter()
            .any(|e| e == "ns3.example.net was not asked: it has only IPv6 addresses"),
        "{:?}",
        f.evidence
    );
}

#[test]
fn dnssec_says_why_the_chain_breaks() {
    let why = |ds, keys: &[u16], expires| {
        let mut ev = base();
        bogus(&mut ev, ds, keys, expires);
        only(&ev, Code::DnssecBroken)
    };
    let f = why(Some(4242), &[], None);
    assert!(
        f.summary
            .contains("still publishes a DS record for example.com."),
        "{}",
        f.summary
    );
    assert!(
        f.remedy
            .starts_with("Remove the DS record for example.com. at the registrar"),
        "{}",
        f.remedy
    );
    assert!(
        f.evidence.iter().any(|e| e.contains("EDE 6 DNSSEC Bogus")),
        "{:?}",
        f.evidence
    );
    let f = why(Some(7), &[7], Some(NOW - 3600));
    assert!(f.summary.contains("expired on"), "{}", f.summary);
    assert!(
        f.remedy.starts_with("Sign example.com. again"),
        "{}",
        f.remedy
    );
    let f = why(Some(7), &[8], Some(NOW + 86_400));
    assert!(
        f.summary.contains("names key tag 7") && f.summary.contains("key tag 8"),
        "{}",
        f.summary
    );
    // DNSKEY lookups that failed do not make the zone "no longer signed".
    let mut ev = base();
    bogus(&mut ev, Some(4242), &[], None);
    live(&mut ev).dnssec.as_mut().unwrap().dnskey = both(failed());
    let f = only(&ev, Code::DnssecBroken);
    assert!(!f.remedy.contains("Remove the DS"), "{}", f.remedy);
    assert!(
        f.evidence.iter().any(|e| e.contains("could not be read")),
        "{:?}",
        f.evidence
    );
    // Resolvers failing with no answer with checking disabled either: no DNSSEC verdict.
    let mut ev = base();
    bogus(&mut ev, Some(7), &[7], Some(NOW + 86_400));
    live(&mut ev).dnssec.as_mut().unwrap().unchecked = vec![sa("r", failed())];
    assert!(!codes(&run(&ev, NOW)).contains(&Code::DnssecBroken));
}

#[test]
fn renewal_at_risk_gives_the_dates_and_the_reason() {
    let mut ev = base();
    issued(&mut ev);
    let f = only(&ev, Code::RenewalAtRisk);
    // 198-day certificate: renewal starts 45 days before expiry, 53 days from now.
    assert!(f.summary.contains("(RECORD_MISSING)"), "{}", f.summary);
    assert!(
        f.summary.contains("starts renewing it on") && f.summary.contains("(in 53 days)"),
        "{}",
        f.summary
    );
    assert!(f.summary.contains("(in 98 days)"), "{}", f.summary);
    healthy(&mut ev);
    ev.certificate.renewal_status = Some(RenewalStatus::PendingValidation);
    ev.certificate.renewal_pending = vec!["www.example.com".into()];
    let f = only(&ev, Code::RenewalAtRisk);
    assert!(
        f.summary.contains("renewal is PENDING_VALIDATION"),
        "{}",
        f.summary
    );
    assert!(
        f.evidence.iter().any(|e| e.contains("www.example.com")),
        "{:?}",
        f.evidence
    );
    // Past dates say how long ago.
    ev.certificate.not_after = Some(NOW - 3 * 86_400);
    let f = only(&ev, Code::RenewalAtRisk);
    assert!(f.summary.contains("(3 days ago)"), "{}", f.summary);
    // A 395-day certificate renews 60 days before expiry.
    assert_eq!(
        super::renewal::renewal_starts(Some(0), 395 * 86_400),
        335 * 86_400
    );
}

#[test]
fn value_mismatch_shows_the_diff() {
    let mut ev = base();
    live(&mut ev).authoritative.cname =
        both(cname("_def.xyzxyzxyzx.acm-validations.aws.example.com."));
    let f = only(&ev, Code::ValueMismatch);
    assert!(
        f.evidence.iter().any(|e| e.contains("[+example.com.]")),
        "{:?}",
        f.evidence
    );
}

#[test]
fn doubled_domain_says_what_name_to_type() {
    let mut ev = base();
    live(&mut ev).authoritative.doubled_cname =
        both(records("_abc.example.com.example.com.", "CNAME", VALUE));
    let f = only(&ev, Code::DoubledDomain);
    assert!(
        f.summary.contains("_abc.example.com.example.com."),
        "{}",
        f.summary
    );
    assert!(f.remedy.contains("`_abc`"), "{}", f.remedy);
}

#[test]
fn not_propagated_says_how_long() {
    let mut ev = base();
    live(&mut ev).authoritative.cname = both(cname(VALUE));
    let f = only(&ev, Code::RecordNotPropagated);
    assert!(f.remedy.contains("5 min"), "{}", f.remedy);
}

#[test]
fn resolvers_failing_while_authorities_answer_points_at_dnssec() {
    let mut ev = base();
    live(&mut ev).authoritative.cname = both(cname(VALUE));
    live(&mut ev).recursive = vec![sa(
        "r",
        Answer::Failed {
            reason: "SERVFAIL (Server Failure)".into(),
            ede: None,
        },
    )];
    let f = only(&ev, Code::DnsLookupFailed);
    assert!(f.summary.contains("DNSSEC"), "{}", f.summary);
    // A plain timeout at one authoritative server is not blamed on DNSSEC.
    let mut ev = base();
    live(&mut ev).authoritative.cname = vec![sa("ns1", nx()), sa("ns2", failed())];
    assert!(!only(&ev, Code::DnsLookupFailed).summary.contains("DNSSEC"));
}

#[test]
fn deadline_says_time_left() {
    let mut ev = base();
    ev.certificate.created_at = Some(NOW - 60 * 3600);
    let f = only(&ev, Code::ValidationDeadlineNear);
    assert!(f.summary.contains("12 h 00 min"), "{}", f.summary);
}
