//! The fleet: every (account, Region) a run reaches, each with its own clients and its own pace.
//! Member accounts are reached through a role (STS AssumeRole, with a session name and an
//! external id); the function's own account through its own credentials.

use super::meter::Meter;
use super::pace::{Pace, Quotas};
use super::{AwsError, Paced};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_acm::config::{ProvideCredentials, Region, SharedCredentialsProvider};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The session name of every assumed role (CloudTrail in the member account shows it).
pub const SESSION_NAME: &str = "acm-dns-doctor";

/// Where certificates live: an account (`None`: the caller's own credentials) and a Region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Scope {
    /// The account id, when reached through a member role.
    pub account: Option<String>,
    /// The Region.
    pub region: String,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.account {
            Some(a) => write!(f, "{a}/{}", self.region),
            None => write!(f, "{}", self.region),
        }
    }
}

/// ACM in one scope.
#[derive(Debug, Clone)]
pub struct AcmScope {
    /// The client, with the scope's pace.
    pub acm: Paced<aws_sdk_acm::Client>,
    /// The endpoint, named in connection errors.
    pub endpoint: String,
}

/// One account's credentials and its Route 53 (global: one pace per account).
#[derive(Debug, Clone)]
struct Account {
    sdk: SdkConfig,
    route53: Paced<aws_sdk_route53::Client>,
}

type AccountCell = Arc<OnceCell<Account>>;

/// Clients for every scope, built on first use and kept for the process.
#[derive(Debug)]
pub struct Fleet {
    base: SdkConfig,
    roles: BTreeMap<String, String>,
    external_id: Option<String>,
    quotas: Quotas,
    meter: Meter,
    accounts: Mutex<HashMap<Option<String>, AccountCell>>,
    acm: Mutex<HashMap<Scope, AcmScope>>,
    fixed_acm: Option<aws_sdk_acm::Client>,
    fixed_route53: Option<aws_sdk_route53::Client>,
}

impl Fleet {
    /// A fleet over the caller's configuration; `roles` maps member account ids to role ARNs.
    pub fn new(
        base: &SdkConfig,
        roles: BTreeMap<String, String>,
        external_id: Option<String>,
        quotas: Quotas,
    ) -> Self {
        Fleet {
            base: base.clone(),
            roles,
            external_id,
            quotas,
            meter: Meter::default(),
            accounts: Mutex::new(HashMap::new()),
            acm: Mutex::new(HashMap::new()),
            fixed_acm: None,
            fixed_route53: None,
        }
    }

    /// Every scope to sweep: the caller's account and each member account, in each Region.
    pub fn scopes(&self, regions: &[String]) -> Vec<Scope> {
        let accounts = std::iter::once(None).chain(self.roles.keys().cloned().map(Some));
        accounts
            .flat_map(|account| {
                regions.iter().map(move |r| Scope {
                    account: account.clone(),
                    region: r.clone(),
                })
            })
            .collect()
    }

    /// The scope of a certificate: its ARN's Region, and its account if a member role reaches it
    /// (else the caller's own credentials are used).
    pub fn scope_of(&self, arn: &str) -> Result<Scope, AwsError> {
        let a = crate::arn::parse(arn).map_err(|_| AwsError::InvalidArn(arn.to_owned()))?;
        Ok(self.normal(&Scope {
            account: Some(a.account),
            region: a.region,
        }))
    }

    /// The caller's own Region.
    pub fn home_region(&self) -> String {
        self.base
            .region()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string)
    }

    /// The quotas calls are paced at.
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }

    /// Attempts and throttles counted on every client of the fleet.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// Every scope uses this ACM client (tests with mocked clients).
    pub fn use_acm(&mut self, acm: aws_sdk_acm::Client) {
        self.fixed_acm = Some(acm);
    }

    /// Every account uses this Route 53 client (tests with mocked clients).
    pub fn use_route53(&mut self, route53: aws_sdk_route53::Client) {
        self.fixed_route53 = Some(route53);
    }

    /// The scope as the fleet reaches it: an account without a member role is the caller's own
    /// (its certificates' ARNs name it).
    fn normal(&self, scope: &Scope) -> Scope {
        Scope {
            account: scope.account.clone().filter(|a| self.roles.contains_key(a)),
            region: scope.region.clone(),
        }
    }

    /// Why a scope to sweep cannot be reached: an account that no member role reaches.
    pub fn unreachable(&self, scope: &Scope) -> Option<String> {
        let account = scope.account.as_ref()?;
        (!self.roles.contains_key(account))
            .then(|| format!("account {account} has no member role (ACCOUNT_ROLE_ARNS): not swept"))
    }

    /// ACM in `scope` (the account's role is assumed once per process, retried after a failure).
    pub async fn acm(&self, scope: &Scope) -> Result<AcmScope, AwsError> {
        let scope = &self.normal(scope);
        if let Some(found) = self.lock_acm().get(scope) {
            return Ok(found.clone());
        }
        let account = self.account(scope.account.as_deref()).await?;
        let endpoint = account.sdk.endpoint_url().map_or_else(
            || format!("https://acm.{}.amazonaws.com", scope.region),
            str::to_owned,
        );
        let client = match &self.fixed_acm {
            Some(acm) => acm.clone(),
            None => aws_sdk_acm::Client::from_conf(
                aws_sdk_acm::config::Builder::from(&account.sdk)
                    .region(Region::new(scope.region.clone()))
                    .interceptor(self.meter.interceptor("acm"))
                    .build(),
            ),
        };
        let built = AcmScope {
            acm: Paced::new(client, Arc::new(Pace::new(self.quotas.clone()))),
            endpoint,
        };
        Ok(self
            .lock_acm()
            .entry(scope.clone())
            .or_insert(built)
            .clone())
    }

    /// Route 53 of `account` (`None`: the caller's own).
    pub async fn route53(
        &self,
        account: Option<&str>,
    ) -> Result<Paced<aws_sdk_route53::Client>, AwsError> {
        Ok(self.account(account).await?.route53)
    }

    fn lock_acm(&self) -> std::sync::MutexGuard<'_, HashMap<Scope, AcmScope>> {
        self.acm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn account(&self, account: Option<&str>) -> Result<Account, AwsError> {
        let key = account
            .filter(|a| self.roles.contains_key(*a))
            .map(str::to_owned);
        let cell = {
            let mut map = self
                .accounts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(key.clone()).or_default().clone()
        };
        // A failure is not kept: the next call tries again (a role just created, an STS blip).
        cell.get_or_try_init(|| self.connect(key)).await.cloned()
    }

    /// The account's configuration: the caller's, or the member role's credentials, checked once
    /// so that a role that cannot be assumed is one clear error and not one per call.
    async fn connect(&self, account: Option<String>) -> Result<Account, AwsError> {
        let sdk = match account.as_deref().and_then(|a| self.roles.get(a)) {
            None => self.base.clone(),
            Some(role) => {
                let mut provider = AssumeRoleProvider::builder(role)
                    .session_name(SESSION_NAME)
                    .configure(&self.base);
                if let Some(id) = &self.external_id {
                    provider = provider.external_id(id);
                }
                let provider = provider.build().await;
                if self.fixed_acm.is_none() {
                    provider
                        .provide_credentials()
                        .await
                        .map_err(|e| AwsError::AssumeRole {
                            role: role.clone(),
                            message: sts_reason(&e),
                        })?;
                }
                self.base
                    .to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build()
            }
        };
        let route53 = match &self.fixed_route53 {
            Some(r53) => r53.clone(),
            None => aws_sdk_route53::Client::from_conf(
                aws_sdk_route53::config::Builder::from(&sdk)
                    .interceptor(self.meter.interceptor("route53"))
                    .build(),
            ),
        };
        Ok(Account {
            route53: Paced::new(route53, Arc::new(Pace::new(self.quotas.clone()))),
            sdk,
        })
    }
}

/// STS's answer in words (`AccessDenied: ...`), else the innermost cause. The credentials
/// provider hands STS's error on only as text (`Error { code: "..", message: "..", .. }`).
fn sts_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let text = aws_sdk_acm::error::DisplayErrorContext(e).to_string();
    let field = |name: &str| {
        let start = text.find(&format!("{name}: \""))? + name.len() + 3;
        let len = text[start..].find('"')?;
        Some(text[start..start + len].to_owned())
    };
    match (field("code"), field("message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => super::root_cause(e),
    }
}

/// Member roles from `ACCOUNT_ROLE_ARNS` (role ARNs), or `ACCOUNT_IDS` with `MEMBER_ROLE_NAME`:
/// account id → role ARN.
pub fn parse_roles(
    role_arns: &[String],
    account_ids: &[String],
    role_name: Option<&str>,
    partition: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut roles = BTreeMap::new();
    for arn in role_arns.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "iam"
            && crate::arn::is_account_id(parts[4])
            && parts[5].starts_with("role/");
        if !ok {
            return Err(format!(
                "{arn:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            ));
        }
        roles.insert(parts[4].to_owned(), arn.to_owned());
    }
    let ids: Vec<&str> = account_ids
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    if !ids.is_empty() {
        let name = role_name
            .filter(|n| !n.trim().is_empty())
            .ok_or("ACCOUNT_IDS needs MEMBER_ROLE_NAME")?;
        for id in ids {
            if !crate::arn::is_account_id(id) {
                return Err(format!("{id:?} is not a 12-digit account id"));
            }
            roles.insert(
                id.to_owned(),
                format!("arn:{partition}:iam::{id}:role/{name}"),
            );
        }
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_errors_read_as_code_and_message() {
        let e = std::io::Error::other(
            "Error { code: \"AccessDenied\", message: \"not authorized\", aws_request_id: \"x\" }",
        );
        assert_eq!(sts_reason(&e), "AccessDenied: not authorized");
        assert_eq!(sts_reason(&std::io::Error::other("dns error")), "dns error");
    }

    #[test]
    fn roles_from_arns_or_ids() {
        let r = parse_roles(
            &["arn:aws:iam::111122223333:role/doctor".into()],
            &["444455556666".into()],
            Some("member"),
            "aws",
        )
        .unwrap();
        assert_eq!(r["111122223333"], "arn:aws:iam::111122223333:role/doctor");
        assert_eq!(r["444455556666"], "arn:aws:iam::444455556666:role/member");
        assert!(parse_roles(&["arn:aws:iam::1:role/x".into()], &[], None, "aws").is_err());
        assert!(parse_roles(&["arn:aws:s3:::bucket".into()], &[], None, "aws").is_err());
        assert!(parse_roles(&[], &["444455556666".into()], None, "aws").is_err());
        assert!(parse_roles(&[], &["12".into()], Some("m"), "aws").is_err());
    }

    #[tokio::test]
    async fn scopes_cover_every_account_and_region() {
        let sdk = aws_config::SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .build();
        let roles = parse_roles(&[], &["444455556666".into()], Some("m"), "aws").unwrap();
        let fleet = Fleet::new(&sdk, roles, None, Quotas::default());
        let scopes = fleet.scopes(&["eu-west-1".into(), "us-east-1".into()]);
        let shown: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "eu-west-1",
                "us-east-1",
                "444455556666/eu-west-1",
                "444455556666/us-east-1"
            ]
        );
        let arn = "arn:aws:acm:ap-south-1:999988887777:certificate/x";
        assert_eq!(fleet.scope_of(arn).unwrap().account, None);
        let arn = "arn:aws:acm:ap-south-1:444455556666:certificate/x";
        assert_eq!(
            fleet.scope_of(arn).unwrap().account.as_deref(),
            Some("444455556666")
        );
        assert!(fleet.scope_of("arn:aws:acm:x").is_err());
    }
}
