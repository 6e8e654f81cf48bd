//! Adapter and handler behaviour moto cannot produce (FAILED and not-ready certificates, a certificate
//! that disappears mid-sweep, Route 53 throttling), with `aws-smithy-mocks` in place of ACM and Route 53.

mod common;

use acm_dns_doctor::config::Config;
use acm_dns_doctor::handler::{State, handle};
use aws_sdk_acm::operation::describe_certificate::{
    DescribeCertificateError, DescribeCertificateOutput,
};
use aws_sdk_acm::operation::list_certificates::ListCertificatesOutput;
use aws_sdk_acm::types::{
    CertificateDetail, CertificateStatus, CertificateSummary, CertificateType, DomainStatus,
    DomainValidation, FailureReason, KeyAlgorithm, ResourceRecord, ValidationMethod,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use std::time::{Duration, SystemTime};

const OK_ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/ok";
const GONE_ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/gone";

/// A certificate as ACM describes it: one domain, its validation method, and its record once ACM made it.
fn detail(
    arn: &str,
    domain: &str,
    status: CertificateStatus,
    method: ValidationMethod,
    record: Option<(&str, &str)>,
) -> DescribeCertificateOutput {
    let mut v = DomainValidation::builder()
        .domain_name(domain)
        .validation_method(method)
        .validation_status(DomainStatus::PendingValidation);
    if let Some((name, value)) = record {
        v = v.resource_record(
            ResourceRecord::builder()
                .name(name)
                .r#type(aws_sdk_acm::types::RecordType::Cname)
                .value(value)
                .build()
                .unwrap(),
        );
    }
    DescribeCertificateOutput::builder()
        .certificate(
            CertificateDetail::builder()
                .certificate_arn(arn)
                .domain_name(domain)
                .status(status)
                .r#type(CertificateType::AmazonIssued)
                .domain_validation_options(v.build().unwrap())
                .build(),
        )
        .build()
}

/// The handler's state with mocked ACM and Route 53 clients, and `world` for DNS.
async fn mocked_state(
    config: Config,
    acm: aws_sdk_acm::Client,
    route53: aws_sdk_route53::Client,
    world: &acm_dns_doctor_testkit::dns::World,
) -> State {
    let mut state = State::new(&sdk().await, config);
    state.doctor.fleet.use_acm(acm);
    state.doctor.fleet.use_route53(route53);
    state.doctor.dns.config.resolvers = vec![world.resolver()];
    state.doctor.dns.config.auth_port = world.port();
    state
}

/// No tags on any certificate: nothing was alerted before.
fn no_tags() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_acm::Client::list_tags_for_certificate).then_output(|| {
        aws_sdk_acm::operation::list_tags_for_certificate::ListTagsForCertificateOutput::builder()
            .build()
    })
}

async fn sdk() -> aws_config::SdkConfig {
    acm_dns_doctor::aws::config_loader()
        .endpoint_url("http://127.0.0.1:9") // never reached: only the mocked client is called
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_acm::config::Credentials::new(
            "t", "t", None, None, "t",
        ))
        .load()
        .await
}

#[tokio::test]
async fn a_sweep_lists_every_key_type_and_goes_on_past_a_failing_certificate() {
    let list = mock!(aws_sdk_acm::Client::list_certificates)
        .match_requests(|r| {
            let key_types = r
                .includes()
                .map(aws_sdk_acm::types::Filters::key_types)
                .unwrap_or_default();
            key_types.contains(&KeyAlgorithm::EcPrime256v1)
                && key_types.len() == KeyAlgorithm::values().len()
                && r.certificate_statuses()
                    == [
                        CertificateStatus::PendingValidation,
                        CertificateStatus::Issued,
                    ]
        })
        .then_output(|| {
            ListCertificatesOutput::builder()
                .certificate_summary_list(
                    CertificateSummary::builder()
                        .certificate_arn(GONE_ARN)
                        .build(),
                )
                .certificate_summary_list(
                    CertificateSummary::builder()
                        .certificate_arn(OK_ARN)
                        .r#type(CertificateType::AmazonIssued)
                        .build(),
                )
                // Imported and private certificates have no DNS validation: never described.
                .certificate_summary_list(
                    CertificateSummary::builder()
                        .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/imported")
                        .r#type(CertificateType::Imported)
                        .build(),
                )
                .certificate_summary_list(
                    CertificateSummary::builder()
                        .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/private")
                        .r#type(CertificateType::Private)
                        .build(),
                )
                .build()
        });
    let gone = mock!(aws_sdk_acm::Client::describe_certificate)
        .match_requests(|r| r.certificate_arn() == Some(GONE_ARN))
        .then_error(|| {
            DescribeCertificateError::ResourceNotFoundException(
                aws_sdk_acm::types::error::ResourceNotFoundException::builder()
                    .message("deleted")
                    .build(),
            )
        });
    let ok = mock!(aws_sdk_acm::Client::describe_certificate)
        .match_requests(|r| r.certificate_arn() == Some(OK_ARN))
        .then_output(|| {
            detail(
                OK_ARN,
                "mail.example.com",
                CertificateStatus::PendingValidation,
                ValidationMethod::Email,
                None,
            )
        });
    let tags = no_tags();
    let acm = mock_client!(aws_sdk_acm, RuleMode::MatchAny, [&list, &gone, &ok, &tags]);

    let config =
        Config::from_lookup(|k| (k == "TOPIC_ARN").then(|| "arn:aws:sns:us-east-1:1:t".to_owned()))
            .unwrap();
    let mut state = State::new(&sdk().await, config);
    state.doctor.fleet.use_acm(acm);
    // Nothing here needs DNS; a resolver that is never public all the same.
    state.doctor.dns.config.resolvers = vec!["127.0.0.1:9".parse().unwrap()];
    let s = handle(
        &state,
        &serde_json::json!({"sweep": true}),
        SystemTime::now() + Duration::from_secs(30),
        acm_dns_doctor::time::now(),
    )
    .await
    .expect("a sweep survives one failing certificate");
    assert_eq!(s.certificates_checked, 1);
    assert_eq!(s.findings.get("NOT_DNS_VALIDATED"), Some(&1));
    assert_eq!(s.failed.len(), 1);
    assert_eq!(s.failed[0].0, GONE_ARN);
    assert!(s.failed[0].1.contains("not found"), "{}", s.failed[0].1);
    assert_eq!(list.num_calls(), 1);
}

#[tokio::test]
async fn describe_maps_failed_not_ready_and_invalid_arn() {
    let failed = mock!(aws_sdk_acm::Client::describe_certificate)
        .match_requests(|r| r.certificate_arn() == Some("arn:f"))
        .then_output(|| {
            let mut out = detail(
                "arn:f",
                "x.example.com",
                CertificateStatus::Failed,
                ValidationMethod::Dns,
                Some(("_A.x.example.com", "_B.acm-validations.aws")),
            );
            if let Some(c) = out.certificate.as_mut() {
                c.failure_reason = Some(FailureReason::CaaError);
            }
            out
        });
    let not_ready = mock!(aws_sdk_acm::Client::describe_certificate)
        .match_requests(|r| r.certificate_arn() == Some("arn:n"))
        .then_output(|| {
            detail(
                "arn:n",
                "y.example.com",
                CertificateStatus::PendingValidation,
                ValidationMethod::Dns,
                None,
            )
        });
    let invalid = mock!(aws_sdk_acm::Client::describe_certificate)
        .match_requests(|r| r.certificate_arn() == Some("bad"))
        .then_error(|| {
            DescribeCertificateError::InvalidArnException(
                aws_sdk_acm::types::error::InvalidArnException::builder()
                    .message("bad arn")
                    .build(),
            )
        });
    let acm = mock_client!(
        aws_sdk_acm,
        RuleMode::MatchAny,
        [&failed, &not_ready, &invalid]
    );

    let f = acm_dns_doctor::aws::acm::describe(
        &acm_dns_doctor::aws::Paced::with_default_quotas(acm.clone()),
        "arn:f",
    )
    .await
    .unwrap();
    assert_eq!(
        f.status,
        acm_dns_doctor::evidence::CertificateStatus::Failed
    );
    assert_eq!(f.failure_reason.as_deref(), Some("CAA_ERROR"));
    let rec = f.validations[0].record.as_ref().unwrap();
    assert_eq!(rec.name, "_a.x.example.com.");
    assert_eq!(rec.value, "_b.acm-validations.aws.");

    let n = acm_dns_doctor::aws::acm::describe(
        &acm_dns_doctor::aws::Paced::with_default_quotas(acm.clone()),
        "arn:n",
    )
    .await
    .unwrap();
    assert_eq!(n.domains_without_record(), vec!["y.example.com"]);
    assert!(n.targets().is_empty());

    let e = acm_dns_doctor::aws::acm::describe(
        &acm_dns_doctor::aws::Paced::with_default_quotas(acm.clone()),
        "bad",
    )
    .await
    .unwrap_err();
    assert_eq!(e, acm_dns_doctor::aws::AwsError::InvalidArn("bad".into()));
}

#[tokio::test]
async fn route53_throttled_past_retries_is_a_finding_and_dns_checks_go_on() {
    use acm_dns_doctor::finding::Code;
    use acm_dns_doctor_testkit::dns::Internet;
    use aws_sdk_route53::operation::list_hosted_zones::ListHostedZonesError;
    use aws_smithy_types::error::ErrorMetadata;

    const ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/dns";
    let name = "_0f1e2d3c4b5a69788796a5b4c3d2e1f0.throttled.com.";
    let describe = mock!(aws_sdk_acm::Client::describe_certificate).then_output(move || {
        detail(
            ARN,
            "throttled.com",
            CertificateStatus::PendingValidation,
            ValidationMethod::Dns,
            Some((name, "_aa.bbbbbbbbbb.acm-validations.aws.")),
        )
    });
    let throttled = mock!(aws_sdk_route53::Client::list_hosted_zones).then_error(|| {
        ListHostedZonesError::generic(
            ErrorMetadata::builder()
                .code("Throttling")
                .message("Rate exceeded")
                .build(),
        )
    });
    let tags = no_tags();
    let acm = mock_client!(aws_sdk_acm, RuleMode::MatchAny, [&describe, &tags]);
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&throttled]);

    let mut net = Internet::new();
    net.zone(
        "throttled.com",
        &["ns1.otherdns.net", "ns2.otherdns.net"],
        "",
    );
    let world = net.start().await.unwrap();
    let config =
        Config::from_lookup(|k| (k == "TOPIC_ARN").then(|| "arn:aws:sns:us-east-1:1:t".to_owned()))
            .unwrap();
    let state = mocked_state(config, acm, route53, &world).await;
    let report = state.doctor.check(&[ARN.to_owned()]).await;
    let c = &report.certificates[0];
    let mut codes: Vec<Code> = c.findings.iter().map(|f| f.code).collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![Code::RecordMissing, Code::Route53Unavailable],
        "{:#?}",
        c.findings
    );
    let f = c
        .findings
        .iter()
        .find(|f| f.code == Code::Route53Unavailable)
        .unwrap();
    assert!(f.summary.contains("Throttling"), "{}", f.summary);
}

#[tokio::test]
async fn a_new_request_waits_for_acm_to_show_its_records() {
    use acm_dns_doctor_testkit::dns::Internet;
    use aws_sdk_route53::operation::list_hosted_zones::ListHostedZonesOutput;

    const ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/new";
    let name = "_0f1e2d3c4b5a69788796a5b4c3d2e1f0.brand-new.com.";
    let value = "_aa.bbbbbbbbbb.acm-validations.aws.";
    let made = move |with_record: bool| {
        detail(
            ARN,
            "brand-new.com",
            CertificateStatus::PendingValidation,
            ValidationMethod::Dns,
            with_record.then_some((name, value)),
        )
    };
    let describe = mock!(aws_sdk_acm::Client::describe_certificate)
        .sequence()
        .output(move || made(false))
        .times(2)
        .output(move || made(true))
        .repeatedly()
        .build();
    let zones = mock!(aws_sdk_route53::Client::list_hosted_zones).then_output(|| {
        ListHostedZonesOutput::builder()
            .set_hosted_zones(Some(vec![]))
            .marker("")
            .is_truncated(false)
            .max_items(100)
            .build()
            .unwrap()
    });
    let tags = no_tags();
    let acm = mock_client!(aws_sdk_acm, RuleMode::MatchAny, [&describe, &tags]);
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&zones]);

    let mut net = Internet::new();
    net.zone(
        "brand-new.com",
        &["ns1.otherdns.net", "ns2.otherdns.net"],
        &format!("{name} 300 CNAME {value}"),
    );
    let world = net.start().await.unwrap();
    let config = Config::from_lookup(|k| match k {
        "TOPIC_ARN" => Some("arn:aws:sns:us-east-1:1:t".to_owned()),
        "RECORD_WAIT_MS" => Some("20".to_owned()),
        _ => None,
    })
    .unwrap();
    let state = mocked_state(config, acm, route53, &world).await;
    let request = serde_json::json!({
        "version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.acm",
        "account": "123456789012", "time": "2026-11-28T09:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"eventSource": "acm.amazonaws.com", "eventName": "RequestCertificate",
                   "responseElements": {"certificateArn": ARN}}
    });
    let s = handle(
        &state,
        &request,
        SystemTime::now() + Duration::from_secs(30),
        acm_dns_doctor::time::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        s.findings.keys().collect::<Vec<_>>(),
        vec!["RECORD_OK"],
        "{:?}",
        s.findings
    );
    assert_eq!(
        describe.num_calls(),
        3,
        "two answers without records, then the record"
    );
}

#[tokio::test]
async fn describe_maps_an_issued_certificate_s_renewal_and_its_users() {
    use acm_dns_doctor::evidence as ev;
    use aws_sdk_acm::types::{DomainValidation, RenewalEligibility, RenewalStatus, RenewalSummary};
    let issued = mock!(aws_sdk_acm::Client::describe_certificate).then_output(|| {
        let mut out = detail(
            "arn:i",
            "shop.example.com",
            CertificateStatus::Issued,
            ValidationMethod::Dns,
            Some(("_a.shop.example.com", "_b.acm-validations.aws")),
        );
        if let Some(c) = out.certificate.as_mut() {
            c.not_before = Some(aws_smithy_types::DateTime::from_secs(1_000_000));
            c.not_after = Some(aws_smithy_types::DateTime::from_secs(
                1_000_000 + 198 * 86_400,
            ));
            c.in_use_by = Some(vec![
                "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE".into(),
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1".into(),
            ]);
            c.renewal_eligibility = Some(RenewalEligibility::Eligible);
            c.renewal_summary = Some(
                RenewalSummary::builder()
                    .renewal_status(RenewalStatus::Failed)
                    .renewal_status_reason(FailureReason::CaaError)
                    .domain_validation_options(
                        DomainValidation::builder()
                            .domain_name("shop.example.com")
                            .validation_status(DomainStatus::PendingValidation)
                            .build()
                            .unwrap(),
                    )
                    .domain_validation_options(
                        DomainValidation::builder()
                            .domain_name("www.shop.example.com")
                            .validation_status(DomainStatus::Success)
                            .build()
                            .unwrap(),
                    )
                    .updated_at(aws_smithy_types::DateTime::from_secs(2_000_000))
                    .build()
                    .unwrap(),
            );
        }
        out
    });
    let acm = mock_client!(aws_sdk_acm, [&issued]);
    let c = acm_dns_doctor::aws::acm::describe(
        &acm_dns_doctor::aws::Paced::with_default_quotas(acm.clone()),
        "arn:i",
    )
    .await
    .unwrap();
    assert_eq!(c.status, ev::CertificateStatus::Issued);
    assert_eq!(c.not_before, Some(1_000_000));
    assert!(c.in_use && c.in_use_by.len() == 2);
    assert_eq!(
        c.renewal_eligibility,
        Some(ev::RenewalEligibility::Eligible)
    );
    assert_eq!(c.renewal_status, Some(ev::RenewalStatus::Failed));
    assert_eq!(c.renewal_reason.as_deref(), Some("CAA_ERROR"));
    assert_eq!(c.renewal_pending, vec!["shop.example.com".to_owned()]);
}

#[tokio::test]
async fn a_failed_tag_write_never_loses_the_alert() {
    const ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/tagless";
    // ACM is mocked (its tags cannot be written); SNS is moto's, read back through SQS.
    let lab = common::Lab::new().await;
    let alerts = lab.alerts().await;
    let describe = mock!(aws_sdk_acm::Client::describe_certificate).then_output(|| {
        detail(
            ARN,
            "tagless-shop.com",
            CertificateStatus::PendingValidation,
            ValidationMethod::Dns,
            Some(("_a.tagless-shop.com.", "_b.xyz.acm-validations.aws.")),
        )
    });
    let tags = no_tags();
    let refused = mock!(aws_sdk_acm::Client::add_tags_to_certificate).then_error(|| {
        aws_sdk_acm::operation::add_tags_to_certificate::AddTagsToCertificateError::TooManyTagsException(
            aws_sdk_acm::types::error::TooManyTagsException::builder()
                .message("the certificate has 50 tags")
                .build(),
        )
    });
    let acm = mock_client!(
        aws_sdk_acm,
        RuleMode::MatchAny,
        [&describe, &tags, &refused]
    );
    let world = common::provider_world(
        "tagless-shop.com",
        "_a.tagless-shop.com.tagless-shop.com. 300 CNAME _b.xyz.acm-validations.aws.",
    )
    .await;
    let mut state = State::new(&lab.sdk, common::lambda_config(&alerts, &world));
    state.doctor.fleet.use_acm(acm);
    for run in 1..=2 {
        let s = handle(
            &state,
            &serde_json::json!({"certificate_arns": [ARN]}),
            SystemTime::now() + Duration::from_mins(1),
            acm_dns_doctor::time::now(),
        )
        .await
        .unwrap();
        // Not remembered, so not held back: the alert goes out (a repeat, never a loss).
        assert_eq!(s.alerts_published, 1, "run {run}");
    }
    assert_eq!(refused.num_calls(), 2);
    assert_eq!(alerts.received().await.len(), 2);
}
