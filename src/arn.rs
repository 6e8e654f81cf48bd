//! ACM certificate ARNs, checked before any call: `arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID`.
//! A leaf: it imports nothing of the crate.

use std::fmt;

/// A well-formed ACM certificate ARN, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateArn {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
    /// `us-east-1`, ...
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
    /// The certificate id (a UUID).
    pub id: String,
}

/// What is wrong with an ARN, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{arn:?} is not an ACM certificate ARN: {why} (expected arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
)]
pub struct ArnError {
    /// The text given.
    pub arn: String,
    /// What is wrong with it.
    pub why: String,
}

impl fmt::Display for CertificateArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:acm:{}:{}:certificate/{}",
            self.partition, self.region, self.account, self.id
        )
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A Region name: lowercase words joined by dashes, at least three, ending in a digit (`us-east-1`,
/// `us-gov-west-1`).
pub fn is_region(s: &str) -> bool {
    is_word(s) && s.split('-').count() >= 3 && s.chars().last().is_some_and(|c| c.is_ascii_digit())
}

/// An AWS account id: 12 digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks and splits an ACM certificate ARN.
pub fn parse(text: &str) -> Result<CertificateArn, ArnError> {
    let fail = |why: String| ArnError {
        arn: text.to_owned(),
        why,
    };
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return Err(fail("it has fewer than six ':'-separated parts".into()));
    };
    if arn != "arn" {
        return Err(fail("it does not start with \"arn:\"".into()));
    }
    if !is_word(partition) {
        return Err(fail(format!("the partition {partition:?} is not valid")));
    }
    if service != "acm" {
        return Err(fail(format!(
            "the service is {service:?}, not \"acm\" (a private CA ARN is acm-pca's, an IAM server certificate is iam's)"
        )));
    }
    if !is_region(region) {
        return Err(fail(format!(
            "the Region {region:?} is not a Region name like us-east-1"
        )));
    }
    if !is_account_id(account) {
        return Err(fail(format!("the account {account:?} is not 12 digits")));
    }
    let Some(id) = resource.strip_prefix("certificate/") else {
        return Err(fail(format!(
            "the resource {resource:?} does not start with \"certificate/\""
        )));
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(fail(format!("the certificate id {id:?} is not valid")));
    }
    Ok(CertificateArn {
        partition: partition.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_arns_split_into_their_parts() {
        let a = parse(
            "arn:aws:acm:eu-west-1:123456789012:certificate/0b1e2c3d-aaaa-bbbb-cccc-1234567890ab",
        )
        .unwrap();
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.id, "0b1e2c3d-aaaa-bbbb-cccc-1234567890ab");
        let cn = "arn:aws-cn:acm:cn-north-1:123456789012:certificate/x1";
        assert_eq!(parse(cn).unwrap().to_string(), cn);
    }

    #[test]
    fn bad_arns_say_what_is_wrong() {
        let why = |s: &str| parse(s).unwrap_err().why;
        assert!(why("not-an-arn").contains("six"));
        assert!(why("arx:aws:acm:us-east-1:123456789012:certificate/a").contains("arn:"));
        assert!(why("arn:aws:iam:us-east-1:123456789012:certificate/a").contains("\"iam\""));
        assert!(why("arn:aws:acm:useast:123456789012:certificate/a").contains("Region"));
        assert!(why("arn:aws:acm:us-east-1:1234:certificate/a").contains("12 digits"));
        assert!(why("arn:aws:acm:us-east-1:123456789012:cert/a").contains("certificate/"));
        assert!(why("arn:aws:acm:us-east-1:123456789012:certificate/").contains("id"));
        let e = parse("nope").unwrap_err().to_string();
        assert!(
            e.starts_with("\"nope\" is not an ACM certificate ARN"),
            "{e}"
        );
    }
}
