//! Route 53: hosted zones (public and private), their delegation sets and record sets.
//! Read once per run and shared by every certificate of the run.

use super::{AwsError, Paced, api_error};
use crate::evidence::{RecordSet, Zone};
use crate::names::normalize_name;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::RrType;
use hickory_proto::rr::RecordType;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Page size for ListResourceRecordSets (the API's maximum).
const RECORD_PAGE: i32 = 300;

/// A per-run view of Route 53: zones listed once, each zone's details fetched at most once.
#[derive(Debug)]
pub struct Route53View {
    client: Paced<Client>,
    zones: OnceCell<Result<Vec<Zone>, AwsError>>,
    details: Mutex<HashMap<String, DetailCell>>,
}

/// One zone's details, read at most once.
type DetailCell = Arc<OnceCell<Result<ZoneDetail, AwsError>>>;

/// A zone's delegation set and record sets.
#[derive(Debug, Clone)]
pub struct ZoneDetail {
    /// Name servers of the delegation set (empty for private zones).
    pub name_servers: Vec<String>,
    /// Every record set.
    pub records: Vec<RecordSet>,
}

impl Route53View {
    /// A fresh view (nothing read yet).
    pub fn new(client: Paced<Client>) -> Self {
        Route53View {
            client,
            zones: OnceCell::new(),
            details: Mutex::new(HashMap::new()),
        }
    }

    /// Every hosted zone of the account.
    pub async fn zones(&self) -> Result<Vec<Zone>, AwsError> {
        self.zones
            .get_or_init(|| list_zones(&self.client))
            .await
            .clone()
    }

    /// One zone's name servers and records, read once per run.
    pub async fn detail(&self, zone: &Zone) -> Result<ZoneDetail, AwsError> {
        let cell = {
            let mut map = self
                .details
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(zone.id.clone()).or_default().clone()
        };
        cell.get_or_init(|| zone_detail(&self.client, zone))
            .await
            .clone()
    }
}

async fn list_zones(client: &Paced<Client>) -> Result<Vec<Zone>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .ready("route53:ListHostedZones")
            .await
            .list_hosted_zones()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| api_error("route53:ListHostedZones", &e))?;
        for z in page.hosted_zones {
            out.push(Zone {
                id: z.id.trim_start_matches("/hostedzone/").to_owned(),
                name: normalize_name(&unescape(&z.name)),
                private: z.config.is_some_and(|c| c.private_zone),
                name_servers: Vec::new(),
            });
        }
        match page.next_marker {
            Some(m) if page.is_truncated => marker = Some(m),
            _ => break,
        }
    }
    Ok(out)
}

async fn zone_detail(client: &Paced<Client>, zone: &Zone) -> Result<ZoneDetail, AwsError> {
    let name_servers = if zone.private {
        Vec::new()
    } else {
        let z = client
            .ready("route53:GetHostedZone")
            .await
            .get_hosted_zone()
            .id(&zone.id)
            .send()
            .await
            .map_err(|e| api_error("route53:GetHostedZone", &e))?;
        z.delegation_set
            .map(|d| d.name_servers.iter().map(|n| normalize_name(n)).collect())
            .unwrap_or_default()
    };
    let mut records = Vec::new();
    let mut next: Option<(String, Option<RrType>, Option<String>)> = None;
    loop {
        let mut req = client
            .ready("route53:ListResourceRecordSets")
            .await
            .list_resource_record_sets()
            .hosted_zone_id(&zone.id)
            .max_items(RECORD_PAGE);
        if let Some((name, rtype, ident)) = next.take() {
            req = req
                .start_record_name(name)
                .set_start_record_type(rtype)
                .set_start_record_identifier(ident);
        }
        let page = req
            .send()
            .await
            .map_err(|e| api_error("route53:ListResourceRecordSets", &e))?;
        records.extend(page.resource_record_sets.into_iter().map(|s| {
            RecordSet {
                name: normalize_name(&unescape(&s.name)),
                rtype: s.r#type.as_str().parse().unwrap_or(RecordType::Unknown(0)),
                values: s
                    .resource_records
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| r.value)
                    .collect(),
                ttl: s.ttl,
                routed: s.set_identifier.is_some() || s.alias_target.is_some(),
            }
        }));
        match page.next_record_name {
            Some(n) if page.is_truncated => {
                next = Some((n, page.next_record_type, page.next_record_identifier));
            }
            _ => break,
        }
    }
    Ok(ZoneDetail {
        name_servers,
        records,
    })
}

/// One record change to send (the fix's plan, as plain data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordChange {
    /// `UPSERT` or `DELETE`.
    pub action: &'static str,
    /// The record's absolute name.
    pub name: String,
    /// Its type (`CNAME`, `TXT`, ...).
    pub rtype: String,
    /// Its TTL.
    pub ttl: i64,
    /// Its values.
    pub values: Vec<String>,
}

/// Sends one change batch to a zone (all or nothing); returns the change id.
pub async fn change(
    client: &Paced<Client>,
    zone_id: &str,
    comment: &str,
    changes: &[RecordChange],
) -> Result<String, AwsError> {
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet,
    };
    const ACTION: &str = "route53:ChangeResourceRecordSets";
    let invalid = |e| AwsError::invalid_request(ACTION, e);
    let mut batch = ChangeBatch::builder().comment(comment);
    for c in changes {
        let mut set = ResourceRecordSet::builder()
            .name(&c.name)
            .r#type(RrType::from(c.rtype.as_str()))
            .ttl(c.ttl);
        for v in &c.values {
            set = set.resource_records(
                ResourceRecord::builder()
                    .value(v)
                    .build()
                    .map_err(invalid)?,
            );
        }
        batch = batch.changes(
            Change::builder()
                .action(ChangeAction::from(c.action))
                .resource_record_set(set.build().map_err(invalid)?)
                .build()
                .map_err(invalid)?,
        );
    }
    let out = client
        .ready(ACTION)
        .await
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(batch.build().map_err(invalid)?)
        .send()
        .await
        .map_err(|e| api_error(ACTION, &e))?;
    Ok(out
        .change_info
        .map(|i| i.id.trim_start_matches("/change/").to_owned())
        .unwrap_or_default())
}

/// A change's status: `PENDING` or `INSYNC` (every Route 53 server has it).
pub async fn change_status(client: &Paced<Client>, change_id: &str) -> Result<String, AwsError> {
    let out = client
        .ready("route53:GetChange")
        .await
        .get_change()
        .id(change_id)
        .send()
        .await
        .map_err(|e| api_error("route53:GetChange", &e))?;
    Ok(out
        .change_info
        .map(|i| i.status.as_str().to_owned())
        .unwrap_or_default())
}

/// Route 53 returns some characters as `\ddd` octal escapes (`\052` for `*`).
pub fn unescape(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && let Ok(v) = u8::from_str_radix(&name[i + 1..i + 4], 8)
        {
            out.push(v as char);
            i += 4;
            continue;
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_octal() {
        assert_eq!(unescape("\\052.example.com."), "*.example.com.");
        assert_eq!(unescape("plain.example.com."), "plain.example.com.");
        assert_eq!(unescape("bad\\9"), "bad\\9");
    }
}
