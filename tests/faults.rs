//! Fault injection: moto behind a proxy that throttles, fails, hangs, loses a whole Region or
//! refuses a member role. Every certificate ends with findings or an explicit "not checked: why",
//! and one failing account or Region never stops the others.

mod common;

use acm_dns_doctor::config::Config;
use acm_dns_doctor::engine::Doctor;
use acm_dns_doctor::handler::{State, Summary, handle};
use acm_dns_doctor_testkit::proxy::{Fault, FaultKind, Proxy};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_acm::types::ValidationMethod;
use common::{Lab, dns_config, lambda_config, provider_world};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

const MEMBER: &str = "222233334444";
const LOCKED_OUT: &str = "555566667777";

/// The SDK through `proxy`, with short timeouts and back-offs so that faults cost seconds.
async fn through(proxy: &Proxy) -> SdkConfig {
    acm_dns_doctor::aws::config_loader()
        .endpoint_url(proxy.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_acm::config::Credentials::new(
            "test", "test", None, None, "lab",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(5)
                .with_initial_backoff(Duration::from_millis(20))
                .with_max_backoff(Duration::from_millis(100)),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_millis(700))
                .operation_timeout(Duration::from_secs(3))
                .build(),
        )
        .load()
        .await
}

/// Requests a certificate in `region` (straight to moto).
async fn request_in(sdk: &SdkConfig, region: &str, domain: &str) -> String {
    let acm = aws_sdk_acm::Client::from_conf(
        aws_sdk_acm::config::Builder::from(sdk)
            .region(aws_config::Region::new(region.to_owned()))
            .build(),
    );
    acm.request_certificate()
        .domain_name(domain)
        .validation_method(ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap()
}

async fn sweep(state: &State, payload: &Value) -> Summary {
    handle(
        state,
        payload,
        SystemTime::now() + Duration::from_mins(2),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn throttling_bursts_and_server_errors_are_retried_counted_and_lose_nothing() {
    let lab = Lab::new().await;
    let world = provider_world("burst-shop.com", "").await;
    let mut arns = Vec::new();
    for i in 0..3 {
        arns.push(lab.request(&format!("s{i}.burst-shop.com"), &[]).await.0);
    }
    let proxy = Proxy::start(&lab.moto.endpoint()).await.unwrap();
    proxy.add_fault(Fault::on("acm:DescribeCertificate", FaultKind::Throttle).times(4));
    proxy.add_fault(Fault::on("acm:ListCertificates", FaultKind::ServerError(500)).times(1));
    proxy.add_fault(Fault::on("route53:ListHostedZones", FaultKind::Throttle).times(2));
    let doctor = Doctor::new(&through(&proxy).await, dns_config(&world));
    let scopes = doctor.fleet.scopes(&["us-east-1".into()]);
    let (listed, failed) = doctor.swept_all(&scopes).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(listed.len(), 3);
    let report = doctor.check(&listed).await;
    for c in &report.certificates {
        assert!(c.error.is_none(), "{}: {:?}", c.certificate_arn, c.error);
        assert!(!c.findings.is_empty());
    }
    // The client saw every injected throttle (and retried through them).
    let counts = doctor.fleet.meter().counts();
    assert_eq!(counts.throttles.get("acm:DescribeCertificate"), Some(&4));
    assert_eq!(counts.throttles.get("route53:ListHostedZones"), Some(&2));
    assert_eq!(
        proxy.stats().throttled.get("acm:DescribeCertificate"),
        Some(&4)
    );
    assert_eq!(counts.attempts["acm:DescribeCertificate"], 3 + 4);
}

#[tokio::test]
async fn a_certificate_throttled_past_the_retries_or_hanging_is_named_not_checked() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let world = provider_world("stuck-shop.com", "").await;
    let (throttled, _) = lab.request("a.stuck-shop.com", &[]).await;
    let (hanging, _) = lab.request("b.stuck-shop.com", &[]).await;
    let (fine, _) = lab.request("c.stuck-shop.com", &[]).await;
    let proxy = Proxy::start(&lab.moto.endpoint()).await.unwrap();
    proxy.add_fault(
        Fault::on("acm:DescribeCertificate", FaultKind::Throttle).containing(&throttled),
    );
    proxy.add_fault(Fault::on("acm:DescribeCertificate", FaultKind::Hang).containing(&hanging));
    let state = State::new(&through(&proxy).await, lambda_config(&alerts, &world));
    let s = sweep(&state, &json!({"sweep": true})).await;
    assert_eq!(s.certificates_checked, 1);
    let why = |arn: &str| {
        s.failed.iter().find(|(a, _)| a == arn).map_or_else(
            || panic!("{arn} not reported: {:?}", s.failed),
            |(_, e)| e.clone(),
        )
    };
    assert!(
        why(&throttled).contains("throttled by acm:DescribeCertificate"),
        "{}",
        why(&throttled)
    );
    assert!(why(&hanging).contains("timed out"), "{}", why(&hanging));
    assert!(
        s.report
            .certificates
            .iter()
            .any(|c| c.certificate_arn == fine && c.error.is_none())
    );
    // Five attempts for the throttled one, all counted.
    assert!(s.throttles >= 5, "{}", s.throttles);
    // The summary line carries them as metrics, per account and Region too.
    let tally = &s.scopes[&("123456789012".to_owned(), "us-east-1".to_owned())];
    assert_eq!(tally.not_checked, 2);
}

#[tokio::test]
async fn a_region_that_fails_entirely_never_stops_the_others() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let world = provider_world("far-shop.com", "").await;
    let (home, _) = lab.request("home.far-shop.com", &[]).await;
    let away = request_in(&lab.sdk, "eu-west-1", "away.far-shop.com").await;
    assert!(away.contains(":eu-west-1:"));
    let proxy = Proxy::start(&lab.moto.endpoint()).await.unwrap();
    proxy.add_fault(Fault::region("eu-west-1", FaultKind::ServerError(503)));
    let sdk = through(&proxy).await;
    let regions = |c: &mut Config| c.regions = vec!["us-east-1".into(), "eu-west-1".into()];

    // No queue: both Regions in this invocation; the failing one is reported, the other checked.
    let mut config = lambda_config(&alerts, &world);
    regions(&mut config);
    config.recheck_queue_url = None;
    let state = State::new(&sdk, config);
    let s = sweep(&state, &json!({"sweep": true})).await;
    assert_eq!(s.certificates_checked, 1);
    assert_eq!(s.report.certificates[0].certificate_arn, home);
    assert_eq!(s.scopes_failed.len(), 1);
    assert_eq!(s.scopes_failed[0].region, "eu-west-1");
    assert!(
        s.scopes_failed[0].error.contains("ServiceUnavailable"),
        "{:?}",
        s.scopes_failed
    );

    // With the queue: one message per Region, each swept in its own invocation; the failing
    // Region's message comes back (retried), the other is done.
    let mut config = lambda_config(&alerts, &world);
    regions(&mut config);
    let state = State::new(&sdk, config);
    let s = sweep(&state, &json!({"sweep": true})).await;
    assert_eq!((s.fanned_out, s.certificates_checked), (2, 0));
    let batch = alerts.queued_event().await;
    assert_eq!(batch["Records"].as_array().unwrap().len(), 2, "{batch}");
    let s = sweep(&state, &batch).await;
    assert_eq!(s.certificates_checked, 1);
    assert_eq!(s.batch_item_failures.len(), 1);
    let eu = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["body"].as_str().unwrap().contains("eu-west-1"))
        .unwrap();
    assert_eq!(
        s.batch_item_failures[0].item_identifier,
        eu["messageId"].as_str().unwrap()
    );
    // When the Region is back, its retried message sweeps it.
    proxy.clear_faults();
    let s = sweep(&state, &json!({"Records": [eu]})).await;
    assert_eq!(s.certificates_checked, 1);
    assert_eq!(s.report.certificates[0].certificate_arn, away);
    assert_eq!(
        s.report.certificates[0].region.as_deref(),
        Some("eu-west-1")
    );
}

#[tokio::test]
async fn member_accounts_are_swept_through_their_roles_and_a_refused_role_is_reported() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let world = provider_world("member-shop.com", "").await;
    let (own, _) = lab.request("own.member-shop.com", &[]).await;
    // A certificate in the member account, made with that account's own (assumed) credentials.
    let member_role = format!("arn:aws:iam::{MEMBER}:role/acm-dns-doctor-member");
    let assumed = aws_config::sts::AssumeRoleProvider::builder(&member_role)
        .session_name("test-setup")
        .configure(&lab.sdk)
        .build()
        .await;
    let member_sdk = lab
        .sdk
        .to_builder()
        .credentials_provider(aws_sdk_acm::config::SharedCredentialsProvider::new(assumed))
        .build();
    let theirs = request_in(&member_sdk, "us-east-1", "theirs.member-shop.com").await;
    assert!(theirs.contains(MEMBER), "{theirs}");

    let proxy = Proxy::start(&lab.moto.endpoint()).await.unwrap();
    proxy.add_fault(
        Fault::on(
            "sts:AssumeRole",
            FaultKind::Error(403, "AccessDenied".into()),
        )
        .containing(LOCKED_OUT),
    );
    // The member's first AssumeRole fails (a role just deployed, an STS blip).
    proxy.add_fault(
        Fault::on(
            "sts:AssumeRole",
            FaultKind::Error(403, "AccessDenied".into()),
        )
        .containing(MEMBER)
        .times(1),
    );
    let mut config = lambda_config(&alerts, &world);
    config.recheck_queue_url = None;
    config.regions = vec!["us-east-1".into()];
    config.external_id = Some("doctor-external-id".into());
    config.grace = Duration::ZERO;
    config.roles = [
        (MEMBER.to_owned(), member_role.clone()),
        (
            LOCKED_OUT.to_owned(),
            format!("arn:aws:iam::{LOCKED_OUT}:role/acm-dns-doctor-member"),
        ),
    ]
    .into();
    let state = State::new(&through(&proxy).await, config);
    let s = sweep(&state, &json!({"sweep": true})).await;
    assert_eq!(s.scopes_failed.len(), 2, "{:?}", s.scopes_failed);
    // Not remembered: the next sweep reaches the member.
    let s = sweep(&state, &json!({"sweep": true})).await;
    let mut checked: Vec<(String, Option<String>)> = s
        .report
        .certificates
        .iter()
        .map(|c| (c.certificate_arn.clone(), c.account.clone()))
        .collect();
    checked.sort();
    let mut want = vec![
        (own, Some("123456789012".to_owned())),
        (theirs, Some(MEMBER.to_owned())),
    ];
    want.sort();
    assert_eq!(checked, want);
    assert_eq!(s.scopes_failed.len(), 1, "{:?}", s.scopes_failed);
    assert_eq!(s.scopes_failed[0].account.as_deref(), Some(LOCKED_OUT));
    assert!(
        s.scopes_failed[0]
            .error
            .starts_with(&format!("cannot assume arn:aws:iam::{LOCKED_OUT}:role/acm-dns-doctor-member: AccessDenied: injected")),
        "{}",
        s.scopes_failed[0].error
    );
    // Alerts name the account.
    let got = alerts.received().await;
    assert!(
        got.iter()
            .any(|r| r.attributes["account"]["Value"] == MEMBER),
        "{got:?}"
    );
}

#[tokio::test]
async fn a_scope_in_an_account_without_a_role_is_refused_not_swept_as_the_home_account() {
    let lab = Lab::new().await;
    let alerts = lab.alerts().await;
    let world = provider_world("home-only.com", "").await;
    let _ = lab.request("mine.home-only.com", &[]).await;
    let state = State::new(&lab.sdk, lambda_config(&alerts, &world));
    let r = handle(
        &state,
        &json!({"sweep": {"account": "999988887777", "region": "us-east-1"}}),
        SystemTime::now() + Duration::from_mins(1),
        acm_dns_doctor::time::now(),
    )
    .await;
    match r {
        Err(acm_dns_doctor::handler::HandlerError::SweepFailed(why)) => {
            assert!(why.contains("999988887777 has no member role"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}
