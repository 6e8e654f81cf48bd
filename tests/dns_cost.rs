//! What DNS costs: questions per record stay flat as records of one zone are added, because a
//! run asks each piece of infrastructure (zone cut, NS set, addresses, parent delegation, CAA of
//! shared names) once. Counts, not times.

mod common;

use acm_dns_doctor::dns::Questions;
use acm_dns_doctor::finding::Code;
use common::{Lab, provider_world};
use std::fmt::Write as _;

/// Healthy certificates `c0.cost-shop.com` ... in one zone; the questions one run asks for them.
async fn questions_for(lab: &Lab, n: usize) -> Questions {
    let mut arns = Vec::new();
    let mut zone = String::new();
    for i in 0..n {
        let (arn, rec) = lab.request(&format!("c{i}.cost-shop.com"), &[]).await;
        let _ = writeln!(zone, "{} 300 CNAME {}", rec.name, rec.value);
        arns.push(arn);
    }
    let world = provider_world("cost-shop.com", &zone).await;
    let doctor = lab.doctor(&world);
    let before = doctor.dns.questions();
    let report = doctor.check(&arns).await;
    for c in &report.certificates {
        let codes: Vec<Code> = c.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::RecordOk], "{}", c.certificate_arn);
    }
    doctor.dns.questions() - before
}

#[tokio::test(flavor = "multi_thread")]
async fn questions_per_record_stay_flat_as_a_zone_grows() {
    let one = questions_for(&Lab::new().await, 1).await;
    let many = questions_for(&Lab::new().await, 16).await;
    let added = many.total() - one.total();
    println!("1 record: {one:?}; 16 records: {many:?}; {added} questions for 15 added records");
    // Per added healthy record: the CNAME from the resolver, the zone cut (one SOA question at
    // the domain: its negative answer names the zone), CNAME and TXT from each of the zone's two
    // servers, and the domain's CAA. Without the run's memory, each record would also walk NS,
    // addresses and the parent delegation again.
    assert!(added <= 7 * 15, "{added} questions for 15 added records");
    assert!(
        many.total() <= 8 * 16,
        "{} questions for 16 records",
        many.total()
    );
}
