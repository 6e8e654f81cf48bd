//! CloudWatch metrics through the Embedded Metric Format: JSON log lines that CloudWatch turns
//! into metrics, with no API call. One line for the invocation (the summary itself), one per
//! account and Region checked.

use super::response::{Summary, Tally};
use serde_json::{Map, Value, json};

/// The metrics' namespace.
pub const NAMESPACE: &str = "acm-dns-doctor";

/// The metric every alarm on renewals watches (a count of `RENEWAL_AT_RISK` findings).
pub const RENEWAL_AT_RISK: &str = "RENEWAL_AT_RISK";

/// The EMF documents of an invocation: first the summary line, then one per scope.
pub fn documents(summary: &Summary, now_ms: i64) -> Vec<Value> {
    let mut head = serde_json::to_value(summary).unwrap_or_else(|_| json!({}));
    let values = [
        ("CertificatesChecked", summary.certificates_checked),
        ("AlertsPublished", summary.alerts_published),
        ("AllClearsPublished", summary.resolved_published),
        ("Fixed", summary.fixed),
        (
            "NotChecked",
            summary.failed.len() + summary.not_reached.len(),
        ),
        ("HandedOn", summary.handed_on),
        ("ScopesFailed", summary.scopes_failed.len()),
        (
            "Throttles",
            usize::try_from(summary.throttles).unwrap_or(usize::MAX),
        ),
        // The alarm's metric: every invocation's count, whatever its accounts and Regions.
        (
            RENEWAL_AT_RISK,
            summary.findings.get(RENEWAL_AT_RISK).copied().unwrap_or(0),
        ),
    ];
    let mut names: Vec<Value> = Vec::new();
    if let Value::Object(m) = &mut head {
        // Counts only: the lists have a line each (log_summary), and a summary line must stay
        // far below CloudWatch's 256 KB event size, or its metrics are lost.
        for list in [
            "not_reached",
            "failed",
            "gone",
            "rejected",
            "scopes_failed",
            "batchItemFailures",
        ] {
            if let Some(Value::Array(a)) = m.get(list) {
                let n = a.len();
                m.insert(list.into(), n.into());
            }
        }
        m.insert("message".into(), "invocation summary".into());
        for (k, v) in values {
            m.insert(k.into(), v.into());
            names.push(json!({"Name": k, "Unit": "Count"}));
        }
        m.insert("Duration".into(), summary.duration_ms.into());
        names.push(json!({"Name": "Duration", "Unit": "Milliseconds"}));
        m.insert("_aws".into(), envelope(now_ms, &[], &names));
    }
    let mut out = vec![head];
    out.extend(
        summary
            .scopes
            .iter()
            .map(|((account, region), t)| scope_document(account, region, t, now_ms)),
    );
    out
}

/// One account and Region: certificates by status, findings by code, alerts, all-clears.
fn scope_document(account: &str, region: &str, t: &Tally, now_ms: i64) -> Value {
    let mut m = Map::new();
    m.insert("message".into(), "scope metrics".into());
    m.insert("Account".into(), account.into());
    m.insert("Region".into(), region.into());
    let mut names = Vec::new();
    let mut put = |m: &mut Map<String, Value>, name: String, v: usize| {
        m.insert(name.clone(), v.into());
        names.push(json!({"Name": name, "Unit": "Count"}));
    };
    put(
        &mut m,
        "CertificatesChecked".into(),
        t.by_status.values().sum(),
    );
    for (status, n) in &t.by_status {
        put(&mut m, format!("Certificates_{status}"), *n);
    }
    // Always there, so that the alarm sees zero rather than missing data on a quiet day.
    put(
        &mut m,
        RENEWAL_AT_RISK.into(),
        t.findings.get(RENEWAL_AT_RISK).copied().unwrap_or(0),
    );
    for (code, n) in t.findings.iter().filter(|(c, _)| *c != RENEWAL_AT_RISK) {
        put(&mut m, code.clone(), *n);
    }
    put(&mut m, "AlertsPublished".into(), t.alerts);
    put(&mut m, "AllClearsPublished".into(), t.resolved);
    put(&mut m, "NotChecked".into(), t.not_checked);
    put(&mut m, "HandedOn".into(), t.handed_on);
    m.insert(
        "_aws".into(),
        envelope(now_ms, &["Account", "Region"], &names),
    );
    Value::Object(m)
}

fn envelope(now_ms: i64, dimensions: &[&str], metrics: &[Value]) -> Value {
    json!({
        "Timestamp": now_ms,
        "CloudWatchMetrics": [{
            "Namespace": NAMESPACE,
            "Dimensions": [dimensions],
            "Metrics": metrics,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_named_in_the_envelope_has_its_value_at_the_root() {
        let mut s = Summary {
            certificates_checked: 3,
            alerts_published: 1,
            throttles: 4,
            ..Summary::default()
        };
        let mut t = Tally::default();
        t.by_status.insert("ISSUED".into(), 2);
        t.by_status.insert("PENDING_VALIDATION".into(), 1);
        t.findings.insert("RECORD_MISSING".into(), 1);
        t.alerts = 1;
        s.scopes
            .insert(("111122223333".into(), "eu-west-1".into()), t);
        let docs = documents(&s, 1_764_590_400_000);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["message"], "invocation summary");
        assert_eq!(docs[0]["Throttles"], 4);
        assert_eq!(docs[0]["alerts_published"], 1);
        assert_eq!(docs[0][RENEWAL_AT_RISK], 0);
        // Lists become counts: the line stays small whatever the sweep.
        assert_eq!(docs[0]["failed"], 0);
        for doc in &docs {
            let emf = &doc["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(emf["Namespace"], NAMESPACE);
            for d in emf["Dimensions"][0].as_array().unwrap() {
                assert!(doc[d.as_str().unwrap()].is_string(), "{doc}");
            }
            for m in emf["Metrics"].as_array().unwrap() {
                let name = m["Name"].as_str().unwrap();
                assert!(doc[name].is_number(), "{name} missing in {doc}");
            }
        }
        let scope = &docs[1];
        assert_eq!(scope["Account"], "111122223333");
        assert_eq!(scope["Certificates_ISSUED"], 2);
        assert_eq!(scope["RECORD_MISSING"], 1);
        // The alarm's metric is there even at zero.
        assert_eq!(scope[RENEWAL_AT_RISK], 0);
        assert_eq!(scope["CertificatesChecked"], 3);
    }
}
