//! Tests driving a world with raw hickory-proto messages over tokio sockets.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME, NS, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use super::{Behaviour, Internet, World, tld_server};

const CLIENT_TIMEOUT: Duration = Duration::from_secs(3);

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

fn query(qname: &str, qtype: RecordType) -> Message {
    let mut query = Message::query();
    query.add_query(Query::query(name(qname), qtype));
    query.metadata.recursion_desired = true;
    query
}

/// Sends one query over UDP and waits for the response with the same id.
async fn ask_udp(server: SocketAddr, query: &Message, timeout: Duration) -> Option<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket
        .send_to(&query.to_vec().unwrap(), server)
        .await
        .unwrap();
    let mut buf = vec![0u8; 65_535];
    let (len, from) = tokio::time::timeout(timeout, socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    assert_eq!(from, server);
    let response = Message::from_vec(&buf[..len]).unwrap();
    assert_eq!(response.metadata.id, query.metadata.id);
    assert_eq!(response.queries, query.queries);
    Some(response)
}

async fn ask(server: SocketAddr, qname: &str, qtype: RecordType) -> Message {
    ask_udp(server, &query(qname, qtype), CLIENT_TIMEOUT)
        .await
        .unwrap_or_else(|| panic!("no answer from {server} for {qname} {qtype}"))
}

async fn ask_tcp(server: SocketAddr, query: &Message) -> Message {
    let mut stream = TcpStream::connect(server).await.unwrap();
    let bytes = query.to_vec().unwrap();
    stream.write_u16(bytes.len() as u16).await.unwrap();
    stream.write_all(&bytes).await.unwrap();
    let len = stream.read_u16().await.unwrap();
    let mut buf = vec![0u8; usize::from(len)];
    stream.read_exact(&mut buf).await.unwrap();
    Message::from_vec(&buf).unwrap()
}

fn txt(strings: &[&str]) -> RData {
    RData::TXT(TXT::new(strings.iter().map(|s| s.to_string()).collect()))
}

fn cname(target: &str) -> RData {
    RData::CNAME(CNAME(name(target)))
}

fn rdata(records: &[Record]) -> Vec<RData> {
    records.iter().map(|r| r.data.clone()).collect()
}

/// The common test internet: a customer zone with ACM validation CNAMEs, the validation zone,
/// and a zone whose server is out of bailiwick (no glue).
fn internet() -> Internet {
    let mut internet = Internet::new();
    internet
        .zone(
            "example.com",
            &["ns1.example.com", "ns2.example.com"],
            r#"
            ; customer zone
            www           300 A     127.9.9.9
            _abc.www      300 CNAME _xyz.acm-validations.aws.
            _x.example.com 300 CNAME _xyz.acm-validations.aws.
            both          300 CNAME _xyz.acm-validations.aws.
            both          300 TXT   "hello world"
            alias         300 CNAME www.example.net.
            a.b.c         300 TXT   deep
            @             300 CAA   0 issue "amazon.com"
            "#,
        )
        .zone(
            "acm-validations.aws",
            &["ns1.acm-validations.aws"],
            "_xyz 300 TXT validated",
        )
        .zone("example.net", &["ns.provider.org"], "www 300 A 127.9.9.10");
    internet
}

async fn world() -> World {
    internet().start().await.unwrap()
}

#[tokio::test]
async fn resolver_resolves_a_delegated_cname() {
    let world = world().await;
    let response = ask(world.resolver(), "_abc.www.example.com.", RecordType::CNAME).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.recursion_available);
    assert!(response.metadata.recursion_desired);
    assert!(!response.metadata.authoritative);
    assert_eq!(
        rdata(&response.answers),
        [cname("_xyz.acm-validations.aws.")]
    );
    assert_eq!(response.answers[0].name, name("_abc.www.example.com."));
}

#[tokio::test]
async fn resolver_chases_cnames_and_resolves_servers_without_glue() {
    let world = world().await;
    // alias.example.com -> www.example.net, whose zone is served by ns.provider.org (no glue).
    let response = ask(world.resolver(), "alias.example.com.", RecordType::A).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(
        rdata(&response.answers),
        [cname("www.example.net."), RData::A(A::new(127, 9, 9, 10))]
    );
    // TXT through a CNAME to the validation zone.
    let response = ask(world.resolver(), "_abc.www.example.com.", RecordType::TXT).await;
    assert_eq!(
        rdata(&response.answers),
        [cname("_xyz.acm-validations.aws."), txt(&["validated"])]
    );
}

#[tokio::test]
async fn nxdomain_carries_the_zone_soa() {
    let world = world().await;
    let response = ask(world.resolver(), "missing.example.com.", RecordType::TXT).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(response.answers.is_empty());
    let [soa] = response.authorities.as_slice() else {
        panic!("expected one SOA, got {:?}", response.authorities);
    };
    assert_eq!(soa.name, name("example.com."));
    assert_eq!(soa.ttl, 60);
    let RData::SOA(data) = &soa.data else {
        panic!("not an SOA: {soa:?}");
    };
    assert_eq!(data.mname, name("ns1.example.com."));
    assert_eq!(data.minimum, 60);
}

#[tokio::test]
async fn relative_owner_gets_the_apex_appended() {
    let world = world().await;
    let doubled = ask(
        world.resolver(),
        "_x.example.com.example.com.",
        RecordType::CNAME,
    )
    .await;
    assert_eq!(
        rdata(&doubled.answers),
        [cname("_xyz.acm-validations.aws.")]
    );
    let intended = ask(world.resolver(), "_x.example.com.", RecordType::CNAME).await;
    assert_eq!(intended.metadata.response_code, ResponseCode::NXDomain);
}

#[tokio::test]
async fn cname_and_txt_coexist_at_one_name() {
    let world = world().await;
    let server = world.host_addr("ns1.example.com");
    let response = ask(server, "both.example.com.", RecordType::TXT).await;
    assert!(response.metadata.authoritative);
    assert!(!response.metadata.recursion_available);
    assert_eq!(rdata(&response.answers), [txt(&["hello world"])]);
    let response = ask(server, "both.example.com.", RecordType::CNAME).await;
    assert!(response.metadata.authoritative);
    assert_eq!(
        rdata(&response.answers),
        [cname("_xyz.acm-validations.aws.")]
    );
    // Another type: the CNAME, not chased by the authoritative server.
    let response = ask(server, "both.example.com.", RecordType::A).await;
    assert_eq!(
        rdata(&response.answers),
        [cname("_xyz.acm-validations.aws.")]
    );
    // The resolver returns the TXT itself too.
    let response = ask(world.resolver(), "both.example.com.", RecordType::TXT).await;
    assert_eq!(rdata(&response.answers), [txt(&["hello world"])]);
}

#[tokio::test]
async fn parent_refers_with_glue() {
    let world = world().await;
    let tld = world.host_addr(&tld_server("com"));
    let response = ask(tld, "www.example.com.", RecordType::A).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(!response.metadata.authoritative);
    assert!(response.answers.is_empty());
    assert_eq!(
        rdata(&response.authorities),
        [
            RData::NS(NS(name("ns1.example.com."))),
            RData::NS(NS(name("ns2.example.com."))),
        ]
    );
    assert!(
        response
            .authorities
            .iter()
            .all(|r| r.name == name("example.com."))
    );
    let glue: Vec<(Name, RData)> = response
        .additionals
        .iter()
        .map(|r| (r.name.clone(), r.data.clone()))
        .collect();
    assert_eq!(
        glue,
        [
            (
                name("ns1.example.com."),
                RData::A(A(world.host_ip("ns1.example.com")))
            ),
            (
                name("ns2.example.com."),
                RData::A(A(world.host_ip("ns2.example.com")))
            ),
        ]
    );
    // Out-of-bailiwick servers get no glue.
    let response = ask(
        world.host_addr(&tld_server("net")),
        "example.net.",
        RecordType::NS,
    )
    .await;
    assert_eq!(
        rdata(&response.authorities),
        [RData::NS(NS(name("ns.provider.org.")))]
    );
    assert!(response.additionals.is_empty());
    // Hosts are resolvable by normal DNS.
    let response = ask(world.resolver(), "ns.provider.org.", RecordType::A).await;
    assert_eq!(
        rdata(&response.answers),
        [RData::A(A(world.host_ip("ns.provider.org")))]
    );
}

#[tokio::test]
async fn negative_answers_stay_cached_until_flushed() {
    let world = world().await;
    let missing = ask(world.resolver(), "_new.example.com.", RecordType::TXT).await;
    assert_eq!(missing.metadata.response_code, ResponseCode::NXDomain);

    world.add_record("example.com", "_new 300 TXT \"fresh\"");
    for host in ["ns1.example.com", "ns2.example.com"] {
        let direct = ask(world.host_addr(host), "_new.example.com.", RecordType::TXT).await;
        assert_eq!(rdata(&direct.answers), [txt(&["fresh"])]);
    }
    let cached = ask(world.resolver(), "_new.example.com.", RecordType::TXT).await;
    assert_eq!(cached.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(cached.authorities.len(), 1);

    world.flush_resolver_cache();
    let fresh = ask(world.resolver(), "_new.example.com.", RecordType::TXT).await;
    assert_eq!(fresh.metadata.response_code, ResponseCode::NoError);
    assert_eq!(rdata(&fresh.answers), [txt(&["fresh"])]);

    // Positive answers are cached too: removal stays invisible until a flush.
    world.remove_records("example.com", "_new");
    let cached = ask(world.resolver(), "_new.example.com.", RecordType::TXT).await;
    assert_eq!(rdata(&cached.answers), [txt(&["fresh"])]);
    world.flush_resolver_cache();
    let gone = ask(world.resolver(), "_new.example.com.", RecordType::TXT).await;
    assert_eq!(gone.metadata.response_code, ResponseCode::NXDomain);
}

#[tokio::test]
async fn silent_host_makes_the_resolver_use_the_other_one() {
    let world = world().await;
    world.set_behaviour("ns1.example.com", Behaviour::Silent);
    let silent = ask_udp(
        world.host_addr("ns1.example.com"),
        &query("www.example.com.", RecordType::A),
        Duration::from_millis(200),
    )
    .await;
    assert!(silent.is_none());
    let start = Instant::now();
    let response = ask(world.resolver(), "www.example.com.", RecordType::A).await;
    assert_eq!(rdata(&response.answers), [RData::A(A::new(127, 9, 9, 9))]);
    assert!(
        start.elapsed() >= Duration::from_millis(350),
        "ns1 was not tried first"
    );
}

#[tokio::test]
async fn failing_hosts_answer_their_rcode_and_the_resolver_servfails() {
    let world = world().await;
    world.set_behaviour("ns1.example.com", Behaviour::ServFail);
    world.set_behaviour("ns2.example.com", Behaviour::Refused);
    let direct = ask(
        world.host_addr("ns1.example.com"),
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(direct.metadata.response_code, ResponseCode::ServFail);
    let direct = ask(
        world.host_addr("ns2.example.com"),
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(direct.metadata.response_code, ResponseCode::Refused);
    let resolved = ask(world.resolver(), "www.example.com.", RecordType::A).await;
    assert_eq!(resolved.metadata.response_code, ResponseCode::ServFail);

    // SERVFAIL is not cached.
    world.set_behaviour("ns2.example.com", Behaviour::Normal);
    let resolved = ask(world.resolver(), "www.example.com.", RecordType::A).await;
    assert_eq!(resolved.metadata.response_code, ResponseCode::NoError);
}

#[tokio::test]
async fn authoritative_negative_answers() {
    let world = world().await;
    let server = world.host_addr("ns1.example.com");
    // NODATA at an existing name.
    let response = ask(server, "www.example.com.", RecordType::TXT).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authoritative);
    assert!(response.answers.is_empty());
    assert_eq!(response.authorities[0].record_type(), RecordType::SOA);
    // NODATA at an empty non-terminal.
    let response = ask(server, "b.c.example.com.", RecordType::TXT).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(response.authorities.len(), 1);
    // NXDOMAIN below it.
    let response = ask(server, "x.b.c.example.com.", RecordType::TXT).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(response.metadata.authoritative);
    // Not a served zone.
    let response = ask(server, "www.example.org.", RecordType::A).await;
    assert_eq!(response.metadata.response_code, ResponseCode::Refused);
    // CAA at the apex.
    let response = ask(server, "example.com.", RecordType::CAA).await;
    let [caa] = response.answers.as_slice() else {
        panic!("expected one CAA, got {:?}", response.answers);
    };
    let RData::CAA(caa) = &caa.data else {
        panic!("not a CAA: {caa:?}");
    };
    assert_eq!(caa.tag, "issue");
    assert_eq!(caa.value, b"amazon.com");
}

#[tokio::test]
async fn large_answers_are_truncated_over_udp_and_complete_over_tcp() {
    let mut internet = Internet::new();
    let big = "x".repeat(200);
    internet.zone(
        "big.org",
        &["ns1.big.org"],
        &format!("@ 300 TXT \"{big}\" \"{big}\" \"{big}\""),
    );
    let world = internet.start().await.unwrap();
    let server = world.host_addr("ns1.big.org");
    let query = query("big.org.", RecordType::TXT);
    let udp = ask_udp(server, &query, CLIENT_TIMEOUT).await.unwrap();
    assert!(udp.metadata.truncation);
    assert!(udp.answers.is_empty());
    let tcp = ask_tcp(server, &query).await;
    assert!(!tcp.metadata.truncation);
    assert_eq!(rdata(&tcp.answers), [txt(&[&big, &big, &big])]);
    // The resolver falls back to TCP upstream, and answers over TCP itself.
    let resolved = ask_tcp(world.resolver(), &query).await;
    assert_eq!(rdata(&resolved.answers), [txt(&[&big, &big, &big])]);
}

#[tokio::test]
async fn garbage_does_not_kill_servers() {
    let world = world().await;
    let server = world.host_addr("ns1.example.com");
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for garbage in [&b""[..], b"\x00", b"not a dns message at all", &[0xff; 40]] {
        socket.send_to(garbage, server).await.unwrap();
        socket.send_to(garbage, world.resolver()).await.unwrap();
    }
    let mut stream = TcpStream::connect(server).await.unwrap();
    stream.write_all(b"\x00\x05hello").await.unwrap();
    drop(stream);
    let response = ask(server, "www.example.com.", RecordType::A).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    let response = ask(world.resolver(), "www.example.com.", RecordType::A).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
}

#[tokio::test]
async fn variants_and_undelegated_zones() {
    let mut internet = internet();
    internet
        .zone_variant("example.com", "ns2.example.com", "www 300 A 127.9.9.99")
        .undelegated_zone("sub.example.com", &["ns1.r53.net"], "_v 300 TXT hidden")
        .negative_ttl("sub.example.com", 5);
    let world = internet.start().await.unwrap();
    let one = ask(
        world.host_addr("ns1.example.com"),
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(rdata(&one.answers), [RData::A(A::new(127, 9, 9, 9))]);
    let two = ask(
        world.host_addr("ns2.example.com"),
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(rdata(&two.answers), [RData::A(A::new(127, 9, 9, 99))]);
    assert!(two.metadata.authoritative);
    let missing = ask(
        world.host_addr("ns2.example.com"),
        "both.example.com.",
        RecordType::TXT,
    )
    .await;
    assert_eq!(missing.metadata.response_code, ResponseCode::NXDomain);

    // One host only: the record shows up there and nowhere else.
    world.add_record_on("ns1.example.com", "example.com", "late 60 TXT one");
    let on_one = ask(
        world.host_addr("ns1.example.com"),
        "late.example.com.",
        RecordType::TXT,
    )
    .await;
    assert_eq!(rdata(&on_one.answers), [txt(&["one"])]);
    let on_two = ask(
        world.host_addr("ns2.example.com"),
        "late.example.com.",
        RecordType::TXT,
    )
    .await;
    assert_eq!(on_two.metadata.response_code, ResponseCode::NXDomain);

    // The undelegated zone is served, but the resolver never reaches it.
    let direct = ask(
        world.host_addr("ns1.r53.net"),
        "_v.sub.example.com.",
        RecordType::TXT,
    )
    .await;
    assert_eq!(rdata(&direct.answers), [txt(&["hidden"])]);
    let resolved = ask(world.resolver(), "_v.sub.example.com.", RecordType::TXT).await;
    assert_eq!(resolved.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(resolved.authorities[0].name, name("example.com."));
    let negative = ask(
        world.host_addr("ns1.r53.net"),
        "nope.sub.example.com.",
        RecordType::TXT,
    )
    .await;
    assert_eq!(negative.authorities[0].ttl, 5);
}

#[tokio::test]
async fn layout_and_shutdown() {
    let world = world().await;
    let port = world.port();
    assert_eq!(world.resolver().port(), port);
    let ips = [
        world.resolver().ip(),
        world.host_ip("a.root-servers.test").into(),
        world.host_ip(&tld_server("com")).into(),
        world.host_ip("ns1.example.com.").into(),
        world.host_ip("NS2.example.com").into(),
    ];
    for ip in ips {
        let std::net::IpAddr::V4(v4) = ip else {
            panic!("not IPv4: {ip}");
        };
        assert!(v4.is_loopback());
        assert_ne!(v4.octets()[1], 0, "127.0.0.0/24 must be avoided");
    }
    let root = ask(world.host_addr("a.root-servers.test."), ".", RecordType::NS).await;
    assert_eq!(
        rdata(&root.answers),
        [RData::NS(NS(name("a.root-servers.test.")))]
    );

    let server = world.host_addr("ns1.example.com");
    drop(world);
    let after = ask_udp(
        server,
        &query("www.example.com.", RecordType::A),
        Duration::from_millis(200),
    )
    .await;
    assert!(after.is_none());
}

/// A zone with wildcards: `*` (a CNAME), `*.sub` (a TXT, written absolute) and `*.lab` (an A), an
/// existing name, an empty non-terminal (`b`) and a delegated child zone (`deleg`).
async fn wild_world() -> World {
    let mut internet = Internet::new();
    internet
        .zone(
            "wild.org",
            &["ns1.wild.org"],
            r#"
            *                 300 CNAME lb.hosting.net.
            *.sub.wild.org.   300 TXT   "sub wildcard"
            *.lab             300 A     127.9.9.40
            www               300 A     127.9.9.20
            a.b               300 TXT   deep
            "#,
        )
        .zone("deleg.wild.org", &["ns1.deleg.wild.org"], "")
        .zone("hosting.net", &["ns1.hosting.net"], "lb 300 A 127.9.9.30");
    internet.start().await.unwrap()
}

fn assert_nodata(response: &Message) {
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authoritative);
    assert!(response.answers.is_empty(), "{:?}", response.answers);
    let [soa] = response.authorities.as_slice() else {
        panic!("expected one SOA, got {:?}", response.authorities);
    };
    assert_eq!(soa.record_type(), RecordType::SOA);
}

#[tokio::test]
async fn wildcard_cname_answers_missing_names_with_the_owner_rewritten() {
    let world = wild_world().await;
    let server = world.host_addr("ns1.wild.org");
    for qname in ["_tok.wild.org.", "x.y.wild.org.", "_TOK2.Wild.Org."] {
        for qtype in [RecordType::CNAME, RecordType::A, RecordType::TXT] {
            let response = ask(server, qname, qtype).await;
            assert_eq!(response.metadata.response_code, ResponseCode::NoError);
            assert!(response.metadata.authoritative);
            assert_eq!(rdata(&response.answers), [cname("lb.hosting.net.")]);
            assert_eq!(response.answers[0].name, name(qname));
            assert_eq!(response.answers[0].ttl, 300);
        }
    }
    // A wildcard below the apex, with records of the asked type or not.
    let response = ask(server, "x.sub.wild.org.", RecordType::TXT).await;
    assert_eq!(rdata(&response.answers), [txt(&["sub wildcard"])]);
    assert_eq!(response.answers[0].name, name("x.sub.wild.org."));
    assert_nodata(&ask(server, "x.sub.wild.org.", RecordType::A).await);
    let response = ask(server, "m.n.lab.wild.org.", RecordType::A).await;
    assert_eq!(rdata(&response.answers), [RData::A(A::new(127, 9, 9, 40))]);
    assert_eq!(response.answers[0].name, name("m.n.lab.wild.org."));
    // The wildcard name itself answers normally.
    let response = ask(server, "*.wild.org.", RecordType::CNAME).await;
    assert_eq!(rdata(&response.answers), [cname("lb.hosting.net.")]);
    assert_eq!(response.answers[0].name, name("*.wild.org."));
}

#[tokio::test]
async fn wildcard_does_not_override_existing_names_or_delegations() {
    let world = wild_world().await;
    let server = world.host_addr("ns1.wild.org");
    let response = ask(server, "www.wild.org.", RecordType::A).await;
    assert_eq!(rdata(&response.answers), [RData::A(A::new(127, 9, 9, 20))]);
    assert_nodata(&ask(server, "www.wild.org.", RecordType::CNAME).await);
    assert_nodata(&ask(server, "www.wild.org.", RecordType::TXT).await);
    // The apex exists too.
    assert_nodata(&ask(server, "wild.org.", RecordType::CNAME).await);
    // `sub` exists (as the parent of its wildcard): no wildcard for it.
    assert_nodata(&ask(server, "sub.wild.org.", RecordType::CNAME).await);
    // At and below a delegation: a referral, not the wildcard.
    for qname in ["deleg.wild.org.", "x.deleg.wild.org."] {
        let response = ask(server, qname, RecordType::CNAME).await;
        assert!(!response.metadata.authoritative);
        assert!(response.answers.is_empty());
        assert_eq!(
            rdata(&response.authorities),
            [RData::NS(NS(name("ns1.deleg.wild.org.")))]
        );
    }
}

#[tokio::test]
async fn empty_non_terminal_blocks_the_wildcard() {
    let world = wild_world().await;
    let server = world.host_addr("ns1.wild.org");
    // `b` exists only because `a.b` does: NODATA, not the wildcard.
    assert_nodata(&ask(server, "b.wild.org.", RecordType::CNAME).await);
    assert_nodata(&ask(server, "b.wild.org.", RecordType::A).await);
    // Below it, `b` is the closest encloser and there is no `*.b`: NXDOMAIN.
    let response = ask(server, "x.b.wild.org.", RecordType::CNAME).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(response.metadata.authoritative);
    assert!(response.answers.is_empty());
    // The same below a name with records (`www` is the closest encloser of `x.www`).
    let response = ask(server, "x.www.wild.org.", RecordType::CNAME).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    // And below the wildcard's own name.
    let response = ask(server, "x.*.wild.org.", RecordType::CNAME).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
}

#[tokio::test]
async fn resolver_returns_the_synthesized_cname() {
    let world = wild_world().await;
    let response = ask(world.resolver(), "_tok.wild.org.", RecordType::CNAME).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(rdata(&response.answers), [cname("lb.hosting.net.")]);
    assert_eq!(response.answers[0].name, name("_tok.wild.org."));
    // Other types are chased through it.
    let response = ask(world.resolver(), "_tok.wild.org.", RecordType::A).await;
    assert_eq!(
        rdata(&response.answers),
        [cname("lb.hosting.net."), RData::A(A::new(127, 9, 9, 30))]
    );
    assert_eq!(response.answers[0].name, name("_tok.wild.org."));
    // Existing names keep their own answers.
    let response = ask(world.resolver(), "www.wild.org.", RecordType::CNAME).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.answers.is_empty());
}
