//! The Lambda handler against moto (ACM, Route 53, SNS, SQS) and a loopback internet.

mod common;

use acm_dns_doctor::handler::{HandlerError, State, handle};
use acm_dns_doctor_testkit::dns::{Internet, World};
use common::{Lab, OTHER_HOSTS, lambda_config, provider_world};
use serde_json::Value;
use std::time::{Duration, SystemTime};

const SAMPLE_ARN: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d";

fn event(file: &str, arn: &str) -> Value {
    let text =
        std::fs::read_to_string(format!("{}/events/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text.replace(SAMPLE_ARN, arn)).unwrap()
}

/// A world where `doubled-shop.com`'s record was published with the apex appended (alerts at once).
async fn doubled_world(lab: &Lab) -> (String, World) {
    let (arn, rec) = lab
        .request("doubled-shop.com", &["*.doubled-shop.com"])
        .await;
    let mut net = Internet::new();
    net.zone(
        "doubled-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", rec.name.trim_end_matches('.'), rec.value),
    );
    (arn, net.start().await.unwrap())
}

#[tokio::test]
async fn every_sample_event_is_handled_and_alerts_read_back() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, world) = doubled_world(&lab).await;
    // Every event alerts: the same problems are not held back as "unchanged" here.
    let mut config = lambda_config(&alerts, &world);
    config.remind = Duration::ZERO;
    let state = State::new(&lab.sdk, config);
    let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut handled = 0;
    let mut published = 0;
    for f in &files {
        let result = handle(
            &state,
            &event(f, &arn),
            SystemTime::now() + Duration::from_mins(1),
            acm_dns_doctor::time::now(),
        )
        .await;
        if f.starts_with("invalid-") {
            assert!(
                matches!(result, Err(HandlerError::BadEvent(_))),
                "{f}: {result:?}"
            );
            continue;
        }
        let summary = result.unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(summary.certificates_checked, 1, "{f}");
        assert_eq!(summary.alerts_published, 1, "{f}");
        published += summary.alerts_published + summary.resolved_published;
        assert_eq!(summary.findings.get("DOUBLED_DOMAIN"), Some(&1), "{f}");
        handled += 1;
    }
    assert_eq!(handled, files.len() - 2);

    let received = alerts.received().await;
    assert_eq!(received.len(), published);
    // An alert says which event prompted it (ACM's, AWS Health's).
    for event in [
        "ACM Certificate Renewal Action Required",
        "AWS Health AWS_ACM_RENEWAL_STATE_CHANGE",
        "AWS Health CAA_CHECK_FAILURE",
    ] {
        assert!(
            received
                .iter()
                .any(|m| m.attributes["prompted_by"]["Value"] == event),
            "no alert prompted by {event}"
        );
    }
    let m = &received[0];
    assert_eq!(
        m.subject,
        "[ACM] 1 problem: doubled-shop.com (DOUBLED_DOMAIN)"
    );
    assert_eq!(m.attributes["severity"]["Value"], "error");
    assert_eq!(m.attributes["codes"]["Type"], "String.Array");
    assert_eq!(m.attributes["codes"]["Value"], "[\"DOUBLED_DOMAIN\"]");
    assert_eq!(m.attributes["certificate_arn"]["Value"], arn.as_str());
    assert_eq!(m.attributes["domain"]["Value"], "doubled-shop.com");
    let cert = &m.document["certificates"][0];
    assert_eq!(cert["certificate_arn"], arn.as_str());
    assert_eq!(cert["findings"][0]["code"], "DOUBLED_DOMAIN");

    let envelopes = lab.published_envelopes(&alerts.topic_arn);
    assert_eq!(envelopes.len(), published);
    let email = envelopes[0]["email"].as_str().unwrap();
    assert!(
        email.contains("Why: The record was published at")
            && email.contains("Fix: Delete the record at"),
        "{email}"
    );
    assert!(
        email.contains("before ACM's 72-hour validation timeout"),
        "{email}"
    );
    assert!(
        email.contains("console.aws.amazon.com/acm/home?region=us-east-1#/certificates/"),
        "{email}"
    );
}

#[tokio::test]
async fn a_new_request_with_a_missing_record_is_rechecked_then_alerted_after_the_grace() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, _) = lab.request("fresh-shop.com", &[]).await;
    let world = provider_world("fresh-shop.com", "").await;
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));

    let s = handle(
        &state,
        &event("cloudtrail-request-certificate.json", &arn),
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    assert_eq!((s.alerts_published, s.rechecks_scheduled), (0, 1));
    assert_eq!(alerts.rechecks_delayed().await, 1);
    assert!(alerts.received().await.is_empty());

    // The re-check arrives after the grace period: the record is still missing, so now it alerts.
    let later = acm_dns_doctor::time::now() + 16 * 60;
    let recheck = serde_json::json!({"Records": [{"eventSource": "aws:sqs", "body": format!("{{\"certificate_arn\":\"{arn}\",\"attempt\":1}}")}]});
    let s = handle(
        &state,
        &recheck,
        SystemTime::now() + Duration::from_mins(1),
        later,
    )
    .await
    .unwrap();
    assert_eq!((s.alerts_published, s.rechecks_scheduled), (1, 0));
    let got = alerts.received().await;
    assert_eq!(got[0].attributes["codes"]["Value"], "[\"RECORD_MISSING\"]");
}

#[tokio::test]
async fn past_the_deadline_a_sweep_hands_on_to_the_next_invocation() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, world) = doubled_world(&lab).await;
    let (arn2, _) = lab.request("other-shop.com", &[]).await;
    let mut want = vec![arn.clone(), arn2.clone()];
    want.sort();
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));
    // Less time left than the reserve kept for publishing: nothing new is started, and what was
    // not reached goes to the re-check queue.
    let s = handle(
        &state,
        &event("scheduled-event.json", &arn),
        SystemTime::now() + Duration::from_millis(500),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    assert_eq!((s.certificates_checked, s.handed_on), (0, 2));
    assert!(s.not_reached.is_empty(), "{:?}", s.not_reached);
    // The next invocation gets them from the queue and checks them.
    let next = alerts.queued_event().await;
    let records = next["Records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "one batch: {next}");
    let body: Value = serde_json::from_str(records[0]["body"].as_str().unwrap()).unwrap();
    let mut handed: Vec<String> =
        serde_json::from_value(body["continue"]["certificate_arns"].clone()).unwrap();
    handed.sort();
    assert_eq!(handed, want);
    let s = handle_now(&state, &next).await;
    assert_eq!(s.certificates_checked, 2);
    assert_eq!(s.findings.get("DOUBLED_DOMAIN"), Some(&1));
    assert!(s.batch_item_failures.is_empty());

    // Without a queue, the sweep reports them as not reached.
    let mut config = lambda_config(&alerts, &world);
    config.recheck_queue_url = None;
    let state = State::new(&lab.sdk, config);
    let s = handle(
        &state,
        &event("scheduled-event.json", &arn),
        SystemTime::now() + Duration::from_millis(500),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    let mut nr = s.not_reached.clone();
    nr.sort();
    assert_eq!(nr, want);
    assert_eq!((s.certificates_checked, s.handed_on), (0, 0));
    assert_eq!(s.report.not_reached.len(), 2);
}

#[tokio::test]
async fn a_failing_publish_fails_the_invocation() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, world) = doubled_world(&lab).await;
    let mut config = lambda_config(&alerts, &world);
    config.topic_arn = "arn:aws:sns:us-east-1:123456789012:does-not-exist".into();
    let state = State::new(&lab.sdk, config);
    let r = handle(
        &state,
        &event("direct-invoke.json", &arn),
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await;
    match r {
        Err(HandlerError::PublishFailed { failed: 1, first }) => {
            assert!(first.contains("sns:Publish"), "{first}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_certificate_in_a_direct_invoke_fails_after_the_others_are_alerted() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, world) = doubled_world(&lab).await;
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));
    let gone = SAMPLE_ARN;
    let payload = serde_json::json!({"certificate_arns": [gone, arn]});
    let r = handle(
        &state,
        &payload,
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await;
    match r {
        Err(HandlerError::CertificatesFailed(m)) => {
            assert!(m.contains(gone) && m.contains("not found"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(alerts.received().await.len(), 1);
}

#[tokio::test]
async fn a_recheck_of_a_deleted_certificate_is_not_a_failure() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let world = Internet::new().start().await.unwrap();
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));
    let s = handle(
        &state,
        &event("recheck-sqs.json", SAMPLE_ARN),
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .expect("a certificate deleted during its grace period fails nothing");
    assert_eq!(s.gone, vec![SAMPLE_ARN.to_owned()]);
    assert!(s.failed.is_empty());
}

#[tokio::test]
async fn one_malformed_recheck_message_comes_back_alone() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let world = Internet::new().start().await.unwrap();
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));
    let good = format!("{{\"certificate_arn\":\"{SAMPLE_ARN}\",\"attempt\":1}}");
    let batch = serde_json::json!({"Records": [
        {"messageId": "bad-1", "eventSource": "aws:sqs", "body": "{\"certificate_arn\": 7}"},
        {"messageId": "good-1", "eventSource": "aws:sqs", "body": good},
    ]});
    let s = handle(
        &state,
        &batch,
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .expect("a bad message does not fail the batch");
    // The good message was processed (its certificate is gone: done); only the bad one comes back.
    assert_eq!(s.gone, vec![SAMPLE_ARN.to_owned()]);
    let back: Vec<&str> = s
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(back, ["bad-1"]);
    assert_eq!(s.rejected.len(), 1);
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["batchItemFailures"][0]["itemIdentifier"], "bad-1");
}

#[tokio::test]
async fn a_check_still_running_at_the_deadline_is_cut_and_reported() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, _) = lab.request("slow-shop.com", &[]).await;
    let world = provider_world("slow-shop.com", "").await;
    for h in OTHER_HOSTS {
        world.set_behaviour(h, acm_dns_doctor_testkit::dns::Behaviour::Silent);
    }
    let mut config = lambda_config(&alerts, &world);
    config.dns.timeout = Duration::from_secs(3);
    let reserve = config.deadline_reserve;
    let state = State::new(&lab.sdk, config);
    // Starts before the cutoff (deadline - reserve), but its DNS questions outlive the hard stop.
    let deadline = SystemTime::now() + reserve + Duration::from_millis(300);
    let s = handle(
        &state,
        &event("scheduler-sweep.json", &arn),
        deadline,
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    // Cut and handed on (a sweep's certificate goes to the next invocation).
    assert_eq!(s.handed_on, 1);
    assert!(s.not_reached.is_empty());
    // Cut a third of the reserve before the deadline, so it returns while the function still runs.
    assert!(
        std::time::SystemTime::now() < deadline,
        "returned after the deadline"
    );
    // An event that named the certificate fails instead, so that it is retried.
    let deadline = SystemTime::now() + reserve + Duration::from_millis(300);
    match handle(
        &state,
        &event("direct-invoke.json", &arn),
        deadline,
        acm_dns_doctor::time::now(),
    )
    .await
    {
        Err(HandlerError::CertificatesFailed(m)) => assert!(m.contains("not reached"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// Handles `payload` now, a minute before the deadline; it must succeed.
async fn handle_now(state: &State, payload: &Value) -> acm_dns_doctor::handler::Summary {
    handle(
        state,
        payload,
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap()
}

/// One scheduled sweep, a minute before the deadline.
async fn sweep_once(state: &State) -> acm_dns_doctor::handler::Summary {
    handle_now(state, &serde_json::json!({"sweep": true})).await
}

/// True when the certificate carries the tag that remembers an alert.
async fn alerted(lab: &Lab, arn: &str) -> bool {
    acm_dns_doctor::aws::acm::alert_state(
        &acm_dns_doctor::aws::Paced::with_default_quotas(lab.acm.clone()),
        arn,
    )
    .await
    .unwrap()
    .is_some()
}

#[tokio::test]
async fn issuance_after_an_alert_is_announced_once() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, rec) = lab.request("closing-shop.com", &[]).await;
    let world = provider_world("closing-shop.com", "").await;
    let mut config = lambda_config(&alerts, &world);
    config.grace = Duration::ZERO;
    let state = State::new(&lab.sdk, config);

    let s = handle_now(&state, &event("direct-invoke.json", &arn)).await;
    assert_eq!(s.alerts_published, 1);
    assert!(
        alerted(&lab, &arn).await,
        "the alert is remembered on the certificate"
    );

    // ACM says it is available while the record is still broken (a renewal issued from an older
    // validation, say): the problem stands, unchanged since its alert, so nothing is published;
    // no all-clear, and the alert is still remembered.
    let s = handle_now(&state, &event("acm-certificate-available.json", &arn)).await;
    assert_eq!(
        (s.alerts_published, s.resolved_published, s.unchanged),
        (0, 0, 1)
    );
    assert!(
        alerted(&lab, &arn).await,
        "the alert is remembered on the certificate"
    );
    assert_eq!(alerts.received().await.len(), 1);

    // The record is fixed; ACM issues the certificate and says so.
    world.add_record(
        "closing-shop.com",
        &format!("{} 300 CNAME {}", rec.name, rec.value),
    );
    world.flush_resolver_cache();
    let s = handle_now(&state, &event("acm-certificate-available.json", &arn)).await;
    assert_eq!((s.alerts_published, s.resolved_published), (0, 1));
    let got = alerts.received().await;
    assert_eq!(got.len(), 1, "only the all-clear since the last read");
    let resolved = got
        .iter()
        .find(|m| m.attributes["event"]["Value"] == "resolved")
        .unwrap();
    assert_eq!(
        resolved.subject,
        "[ACM] issued: closing-shop.com (after an alert)"
    );
    assert_eq!(resolved.document["certificate_arn"], arn.as_str());
    assert!(!alerted(&lab, &arn).await, "the alert is forgotten");

    // Announced once: the same event again says nothing more.
    let s = handle_now(&state, &event("acm-certificate-available.json", &arn)).await;
    assert_eq!(s.resolved_published, 0);
}

#[tokio::test]
async fn an_unchanged_problem_is_alerted_once_and_its_fix_announced_once() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let (arn, rec) = lab.request("repeat-shop.com", &[]).await;
    // The provider appended the apex: a definite problem, alerted at once.
    let world = provider_world(
        "repeat-shop.com",
        &format!("{} 300 CNAME {}", rec.name.trim_end_matches('.'), rec.value),
    )
    .await;
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));
    let sweep = || sweep_once(&state);
    let s = sweep().await;
    assert_eq!((s.alerts_published, s.unchanged), (1, 0));
    assert!(alerted(&lab, &arn).await);
    // The same world again: nothing is published.
    let s = sweep().await;
    assert_eq!(
        (s.alerts_published, s.unchanged, s.resolved_published),
        (0, 1, 0)
    );
    assert_eq!(alerts.received().await.len(), 1);

    // Fixed: one all-clear, the memory is gone, and then silence.
    world.remove_records("repeat-shop.com", &format!("{}repeat-shop.com.", rec.name));
    world.add_record(
        "repeat-shop.com",
        &format!("{} 300 CNAME {}", rec.name, rec.value),
    );
    world.flush_resolver_cache();
    let s = sweep().await;
    assert_eq!((s.alerts_published, s.resolved_published), (0, 1));
    assert!(!alerted(&lab, &arn).await);
    let got = alerts.received().await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].attributes["event"]["Value"], "resolved");
    assert_eq!(
        got[0].subject,
        "[ACM] fixed: repeat-shop.com (after an alert)"
    );
    let s = sweep().await;
    assert_eq!((s.alerts_published, s.resolved_published), (0, 0));

    // REMIND_HOURS=0: an unchanged problem is alerted on every run.
    world.remove_records("repeat-shop.com", &rec.name);
    world.flush_resolver_cache();
    let mut config = lambda_config(&alerts, &world);
    config.remind = Duration::ZERO;
    config.grace = Duration::ZERO;
    let state = State::new(&lab.sdk, config);
    for _ in 0..2 {
        assert_eq!(sweep_once(&state).await.alerts_published, 1);
    }
}

#[tokio::test]
async fn the_sweep_guards_the_issued_fleet() {
    let lab = Lab::issuing().await;
    let alerts = lab.alerts().await;
    let (removed, rec) = lab.request("renew-shop.com", &[]).await;
    let (kept, kept_rec) = lab.request("kept-shop.com", &[]).await;
    let mut net = Internet::new();
    // The record of renew-shop.com was removed months after issuance (external-dns, a deleted stack).
    net.zone("renew-shop.com", &OTHER_HOSTS, "");
    net.zone(
        "kept-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", kept_rec.name, kept_rec.value),
    );
    let world = net.start().await.unwrap();
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));
    let sweep = || sweep_once(&state);
    let s = sweep().await;
    assert_eq!(s.certificates_checked, 2, "{s:?}");
    let report = |arn: &str| {
        s.report
            .certificates
            .iter()
            .find(|c| c.certificate_arn == arn)
            .unwrap()
            .clone()
    };
    let r = report(&removed);
    assert_eq!(
        r.status,
        Some(acm_dns_doctor::evidence::CertificateStatus::Issued)
    );
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(
        codes.contains(&"RENEWAL_AT_RISK") && codes.contains(&"RECORD_MISSING"),
        "{codes:?}"
    );
    let kept_codes: Vec<&str> = report(&kept)
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert!(!kept_codes.contains(&"RENEWAL_AT_RISK"), "{kept_codes:?}");
    let got = alerts.received().await;
    let alert = got
        .iter()
        .find(|m| m.attributes["certificate_arn"]["Value"] == removed.as_str())
        .expect("an alert for the certificate whose record was removed");
    assert!(
        alert.subject.contains("RENEWAL_AT_RISK"),
        "{}",
        alert.subject
    );
    let _ = rec;
    // A second sweep over the unchanged fleet publishes nothing.
    let s = sweep().await;
    assert_eq!((s.alerts_published, s.resolved_published), (0, 0), "{s:?}");
    assert!(alerts.received().await.is_empty());
}

#[tokio::test]
async fn alerts_reach_a_chat_topic_in_amazon_q_s_custom_format() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let chat = lab.alerts().await;
    let (arn, world) = doubled_world(&lab).await;
    let mut config = lambda_config(&alerts, &world);
    config.chat_topic_arn = Some(chat.topic_arn.clone());
    let state = State::new(&lab.sdk, config);
    let s = handle(
        &state,
        &event("direct-invoke.json", &arn),
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    assert_eq!(s.alerts_published, 1);
    // (The labs' two topics may share one inbox: pick the chat notification.)
    let got = chat.received().await;
    let notes: Vec<_> = got
        .iter()
        .filter(|m| m.document["source"] == "custom")
        .collect();
    assert_eq!(notes.len(), 1, "{got:?}");
    let n = &notes[0].document;
    assert_eq!(n["version"], "1.0");
    assert_eq!(n["source"], "custom");
    assert!(
        n["content"]["title"]
            .as_str()
            .unwrap()
            .contains("doubled-shop.com: 1 problem"),
        "{n}"
    );
    assert_eq!(n["content"]["keywords"][0], "DOUBLED_DOMAIN");
    assert!(
        n["content"]["nextSteps"][0]
            .as_str()
            .unwrap()
            .starts_with("Delete the record at"),
        "{n}"
    );
}
