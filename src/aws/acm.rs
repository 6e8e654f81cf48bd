//! ACM: one certificate's validation state; the list of pending certificates.

use super::{AwsError, api_error};
use crate::evidence::{
    Certificate, CertificateStatus, CertificateType, DomainValidation, RenewalEligibility,
    RenewalStatus, ValidationMethod, ValidationRecord, ValidationStatus,
};
use crate::names::normalize_name;
use aws_sdk_acm::Client;
use aws_sdk_acm::operation::describe_certificate::DescribeCertificateError;
use aws_sdk_acm::types::{CertificateDetail, Filters, KeyAlgorithm, Tag};

/// Reads one certificate.
pub async fn describe(client: &Client, arn: &str) -> Result<Certificate, AwsError> {
    let out = client
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

/// ARNs of every certificate with one of `statuses`, of every key type (ACM lists only RSA ones unless asked).
pub async fn list(
    client: &Client,
    statuses: &[CertificateStatus],
) -> Result<Vec<String>, AwsError> {
    let key_types: Vec<KeyAlgorithm> = KeyAlgorithm::values()
        .iter()
        .map(|v| KeyAlgorithm::from(*v))
        .collect();
    let statuses = statuses
        .iter()
        .map(|s| aws_sdk_acm::types::CertificateStatus::from(s.as_str()))
        .collect();
    let mut pages = client
        .list_certificates()
        .set_certificate_statuses(Some(statuses))
        .includes(Filters::builder().set_key_types(Some(key_types)).build())
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("acm:ListCertificates", &e))?;
        arns.extend(
            page.certificate_summary_list
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.certificate_arn),
        );
    }
    Ok(arns)
}

/// The tag that remembers an alert was sent about a certificate (value: when, RFC 3339).
pub const ALERTED_TAG: &str = "acm-dns-doctor:alerted";

/// Remembers on the certificate itself that an alert was sent (so its issuance can be announced).
pub async fn mark_alerted(client: &Client, arn: &str, at: &str) -> Result<(), AwsError> {
    client
        .add_tags_to_certificate()
        .certificate_arn(arn)
        .tags(
            Tag::builder()
                .key(ALERTED_TAG)
                .value(at)
                .build()
                .map_err(|e| AwsError::invalid_request("acm:AddTagsToCertificate", e))?,
        )
        .send()
        .await
        .map_err(|e| api_error("acm:AddTagsToCertificate", &e))?;
    Ok(())
}

/// When the last alert about this certificate was sent, if one was.
pub async fn alerted_at(client: &Client, arn: &str) -> Result<Option<String>, AwsError> {
    let out = client
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| api_error("acm:ListTagsForCertificate", &e))?;
    Ok(out
        .tags
        .unwrap_or_default()
        .into_iter()
        .find(|t| t.key == ALERTED_TAG)
        .map(|t| t.value.unwrap_or_default()))
}

/// Forgets the alert (after announcing the issuance).
pub async fn clear_alerted(client: &Client, arn: &str) -> Result<(), AwsError> {
    client
        .remove_tags_from_certificate()
        .certificate_arn(arn)
        .tags(
            Tag::builder()
                .key(ALERTED_TAG)
                .build()
                .map_err(|e| AwsError::invalid_request("acm:RemoveTagsFromCertificate", e))?,
        )
        .send()
        .await
        .map_err(|e| api_error("acm:RemoveTagsFromCertificate", &e))?;
    Ok(())
}
