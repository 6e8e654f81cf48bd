//! ACM: one certificate's validation state; the list of pending certificates.

use super::{AwsError, Paced, api_error};
use crate::evidence::AlertState;
use crate::evidence::{
    Certificate, CertificateStatus, CertificateType, DomainValidation, RenewalEligibility,
    RenewalStatus, ValidationMethod, ValidationRecord, ValidationStatus,
};
use crate::names::normalize_name;
use crate::time::{parse_rfc3339, rfc3339};
use aws_sdk_acm::Client;
use aws_sdk_acm::operation::describe_certificate::DescribeCertificateError;
use aws_sdk_acm::types::{CertificateDetail, Filters, KeyAlgorithm, Tag};

/// Reads one certificate.
pub async fn describe(client: &Paced<Client>, arn: &str) -> Result<Certificate, AwsError> {
    let out = client
        .ready("acm:DescribeCertificate")
        .await
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(DescribeCertificateError::ResourceNotFoundException(_)) => {
                AwsError::NotFound(arn.to_owned())
            }
            Some(DescribeCertificateError::InvalidArnException(_)) => {
                AwsError::InvalidArn(arn.to_owned())
            }
            _ => api_error("acm:DescribeCertificate", &e),
        })?;
    let detail = out
        .certificate
        .ok_or_else(|| AwsError::NotFound(arn.to_owned()))?;
    Ok(from_detail(arn, detail))
}

/// Converts ACM's answer to evidence (pure): ACM's enumerations become ours here, once.
pub fn from_detail(arn: &str, d: CertificateDetail) -> Certificate {
    Certificate {
        arn: d.certificate_arn.clone().unwrap_or_else(|| arn.to_owned()),
        domain_name: d.domain_name.clone().unwrap_or_default(),
        status: d
            .status
            .as_ref()
            .map(|s| CertificateStatus::from(s.as_str()))
            .unwrap_or_default(),
        cert_type: d
            .r#type
            .as_ref()
            .map(|t| CertificateType::from(t.as_str()))
            .unwrap_or_default(),
        created_at: d.created_at.map(|t| t.secs()),
        not_after: d.not_after.map(|t| t.secs()),
        not_before: d.not_before.map(|t| t.secs()),
        in_use: d.in_use_by.as_ref().is_some_and(|u| !u.is_empty()),
        in_use_by: d.in_use_by.clone().unwrap_or_default(),
        renewal_eligibility: d
            .renewal_eligibility
            .as_ref()
            .map(|e| RenewalEligibility::from(e.as_str())),
        renewal_reason: d
            .renewal_summary
            .as_ref()
            .and_then(|r| r.renewal_status_reason.as_ref())
            .map(|r| r.as_str().to_owned()),
        renewal_pending: d
            .renewal_summary
            .as_ref()
            .map(|r| {
                r.domain_validation_options
                    .iter()
                    .filter(|v| {
                        v.validation_status
                            .as_ref()
                            .map(aws_sdk_acm::types::DomainStatus::as_str)
                            != Some("SUCCESS")
                    })
                    .map(|v| v.domain_name.clone())
                    .collect()
            })
            .unwrap_or_default(),
        failure_reason: d.failure_reason.map(|r| r.as_str().to_owned()),
        renewal_status: d
            .renewal_summary
            .as_ref()
            .map(|r| RenewalStatus::from(r.renewal_status.as_str())),
        validations: d
            .domain_validation_options
            .unwrap_or_default()
            .into_iter()
            .map(|v| DomainValidation {
                domain: v.domain_name,
                status: v
                    .validation_status
                    .map(|s| ValidationStatus::from(s.as_str())),
                method: v
                    .validation_method
                    .map(|m| ValidationMethod::from(m.as_str())),
                record: v.resource_record.map(|r| ValidationRecord {
                    name: normalize_name(&r.name),
                    value: normalize_name(&r.value),
                }),
            })
            .collect(),
    }
}

/// Page size of ListCertificates (the API's maximum).
const LIST_PAGE: i32 = 1000;

/// ARNs of every Amazon-issued certificate with one of `statuses`, of every key type (ACM lists
/// only RSA ones unless asked). Imported and private certificates have no DNS validation to check.
pub async fn list(
    client: &Paced<Client>,
    statuses: &[CertificateStatus],
) -> Result<Vec<String>, AwsError> {
    let key_types: Vec<KeyAlgorithm> = KeyAlgorithm::values()
        .iter()
        .map(|v| KeyAlgorithm::from(*v))
        .collect();
    let statuses: Vec<_> = statuses
        .iter()
        .map(|s| aws_sdk_acm::types::CertificateStatus::from(s.as_str()))
        .collect();
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        // A page at a time, each paced (the SDK's paginator would not wait for the quota).
        let page = client
            .ready("acm:ListCertificates")
            .await
            .list_certificates()
            .set_certificate_statuses(Some(statuses.clone()))
            .includes(
                Filters::builder()
                    .set_key_types(Some(key_types.clone()))
                    .build(),
            )
            .max_items(LIST_PAGE)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| api_error("acm:ListCertificates", &e))?;
        arns.extend(
            page.certificate_summary_list
                .unwrap_or_default()
                .into_iter()
                .filter(|s| {
                    s.r#type
                        .as_ref()
                        .is_none_or(|t| *t == aws_sdk_acm::types::CertificateType::AmazonIssued)
                })
                .filter_map(|s| s.certificate_arn),
        );
        match page.next_token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => break,
        }
    }
    Ok(arns)
}

/// The tag that remembers when the last alert about a certificate was sent (RFC 3339).
pub const ALERTED_TAG: &str = "acm-dns-doctor:alerted";
/// The tag that remembers which problems that alert was about (a fingerprint).
pub const PROBLEMS_TAG: &str = "acm-dns-doctor:problems";

/// What the certificate's tags remember of the last alert, if one was sent.
pub async fn alert_state(
    client: &Paced<Client>,
    arn: &str,
) -> Result<Option<AlertState>, AwsError> {
    let out = client
        .ready("acm:ListTagsForCertificate")
        .await
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| api_error("acm:ListTagsForCertificate", &e))?;
    let tags = out.tags.unwrap_or_default();
    let value = |key: &str| {
        tags.iter()
            .find(|t| t.key == key)
            .map(|t| t.value.clone().unwrap_or_default())
    };
    Ok(value(ALERTED_TAG).map(|at| AlertState {
        at: parse_rfc3339(&at).unwrap_or_default(),
        problems: value(PROBLEMS_TAG).unwrap_or_default(),
    }))
}

fn tag(action: &'static str, key: &str, value: Option<&str>) -> Result<Tag, AwsError> {
    Tag::builder()
        .key(key)
        .set_value(value.map(str::to_owned))
        .build()
        .map_err(|e| AwsError::invalid_request(action, e))
}

/// Remembers on the certificate itself that an alert about `state.problems` was sent at `state.at`.
pub async fn set_alert_state(
    client: &Paced<Client>,
    arn: &str,
    state: &AlertState,
) -> Result<(), AwsError> {
    const ACTION: &str = "acm:AddTagsToCertificate";
    client
        .ready(ACTION)
        .await
        .add_tags_to_certificate()
        .certificate_arn(arn)
        .tags(tag(ACTION, ALERTED_TAG, Some(&rfc3339(state.at)))?)
        .tags(tag(ACTION, PROBLEMS_TAG, Some(&state.problems))?)
        .send()
        .await
        .map_err(|e| api_error(ACTION, &e))?;
    Ok(())
}

/// Forgets the alert (after the all-clear, or when its publishing failed).
pub async fn clear_alert_state(client: &Paced<Client>, arn: &str) -> Result<(), AwsError> {
    const ACTION: &str = "acm:RemoveTagsFromCertificate";
    client
        .ready(ACTION)
        .await
        .remove_tags_from_certificate()
        .certificate_arn(arn)
        .tags(tag(ACTION, ALERTED_TAG, None)?)
        .tags(tag(ACTION, PROBLEMS_TAG, None)?)
        .send()
        .await
        .map_err(|e| api_error(ACTION, &e))?;
    Ok(())
}
