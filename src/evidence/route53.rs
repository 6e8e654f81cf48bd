//! What Route 53 holds near a validation record: the candidate zones and their record sets.

use hickory_proto::rr::RecordType;
use serde::{Deserialize, Serialize};

/// A Route 53 hosted zone that could hold a validation record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// `Z123...` (without `/hostedzone/`).
    pub id: String,
    /// Lowercase absolute name with a trailing dot.
    pub name: String,
    /// A private hosted zone (visible only inside its VPCs; ACM cannot see it).
    pub private: bool,
    /// The zone's delegation set (public zones), lowercase absolute names.
    pub name_servers: Vec<String>,
}

/// A Route 53 record set, values as Route 53 returns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSet {
    /// Lowercase absolute name with a trailing dot.
    pub name: String,
    /// Its type.
    pub rtype: RecordType,
    /// The values (for TXT, with their quotes).
    pub values: Vec<String>,
    /// Its TTL (a DELETE must name it exactly); none for an alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// A record set with a routing policy (weighted, latency, failover, ...) or an alias: the
    /// fix never writes beside it or deletes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub routed: bool,
}

/// What Route 53 shows near one validation record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Route53Evidence {
    /// Route 53 could not be listed (no permission, throttled past retries, ...).
    Unavailable {
        /// Why.
        reason: String,
    },
    /// The zones that could hold the record, with the record sets near it.
    Listed {
        /// Zones whose name is a suffix of the validation name.
        zones: Vec<ZoneRecords>,
    },
}

/// A candidate zone and the record sets in it near the validation name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRecords {
    /// The zone.
    pub zone: Zone,
    /// Record sets at the validation name, at the name with the apex appended, and near misses.
    pub records: Vec<RecordSet>,
}
