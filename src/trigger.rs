//! Triggers: every event shape the Lambda accepts, parsed into what to check.

use crate::arn;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which kind of trigger an invocation had (the `trigger` of its summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerKind {
    /// CloudTrail `RequestCertificate`.
    Request,
    /// An ACM event.
    AcmEvent,
    /// A direct invoke.
    Direct,
    /// Re-checks from the delay queue.
    Recheck,
    /// A scheduled sweep.
    Sweep,
    /// A recognised event with nothing to check.
    #[default]
    Nothing,
}

/// What an invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// CloudTrail `RequestCertificate` through EventBridge: a new request, checked at once.
    Requested {
        /// The new certificate.
        arn: String,
    },
    /// An ACM event (`source: aws.acm`): renewal action required, approaching expiration, expired, available, ...
    Acm {
        /// `detail-type`.
        detail_type: String,
        /// The certificates in `resources`.
        arns: Vec<String>,
        /// `detail.Action` for `ACM Certificate Available` (ISSUANCE, RENEWAL, IMPORT, REIMPORT).
        action: Option<String>,
    },
    /// A scheduled sweep (EventBridge rule, or EventBridge Scheduler's `{"sweep": true}` input).
    Sweep,
    /// A direct invoke `{"certificate_arns": [...]}`.
    Direct {
        /// The certificates.
        arns: Vec<String>,
    },
    /// Re-checks from the delay queue (an SQS event). One bad message does not spoil the batch.
    Recheck {
        /// One per well-formed message.
        items: Vec<Recheck>,
        /// Messages that could not be read, with why (reported as batch item failures).
        rejected: Vec<Rejected>,
    },
    /// A recognised event with nothing to check (a RequestCertificate call that failed).
    Nothing {
        /// Why there is nothing to do.
        reason: String,
    },
}

/// A message of a batch that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The SQS message id (empty when the message had none).
    pub message_id: String,
    /// Why it could not be read.
    pub why: String,
}

impl Trigger {
    /// The kind of this trigger.
    pub fn kind(&self) -> TriggerKind {
        match self {
            Trigger::Requested { .. } => TriggerKind::Request,
            Trigger::Acm { .. } => TriggerKind::AcmEvent,
            Trigger::Sweep => TriggerKind::Sweep,
            Trigger::Direct { .. } => TriggerKind::Direct,
            Trigger::Recheck { .. } => TriggerKind::Recheck,
            Trigger::Nothing { .. } => TriggerKind::Nothing,
        }
    }
}

/// A re-check scheduled after a new request (the body of a re-check queue message).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Recheck {
    /// The certificate.
    pub certificate_arn: String,
    /// How many checks were made before this one.
    pub attempt: u32,
    /// The SQS message it came in (not in the body): reported back when it fails, so that only it is retried.
    #[serde(skip)]
    pub message_id: Option<String>,
}

/// Why an event is not one we accept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TriggerError {
    /// The event matches no accepted shape.
    #[error("unrecognised event: {0}")]
    Unrecognised(String),
    /// The event has an accepted shape but a required field is missing or wrong.
    #[error("malformed {kind} event: {why}")]
    Malformed {
        /// Which shape.
        kind: &'static str,
        /// What is wrong.
        why: String,
    },
}

/// Parses an invocation payload.
pub fn parse(event: &Value) -> Result<Trigger, TriggerError> {
    if event.get("source").is_some() && event.get("detail-type").is_some() {
        let eb: EventBridgeEvent<Value> =
            serde_json::from_value(event.clone()).map_err(|e| TriggerError::Malformed {
                kind: "EventBridge",
                why: e.to_string(),
            })?;
        return eventbridge(&eb);
    }
    if let Some(arns) = event.get("certificate_arns") {
        let arns: Vec<String> =
            serde_json::from_value(arns.clone()).map_err(|_| TriggerError::Malformed {
                kind: "direct",
                why: "certificate_arns must be a list of ARNs".into(),
            })?;
        return if arns.is_empty() {
            Err(TriggerError::Malformed {
                kind: "direct",
                why: "certificate_arns is empty".into(),
            })
        } else {
            check_arns("direct", &arns)?;
            Ok(Trigger::Direct { arns })
        };
    }
    if event.get("sweep") == Some(&Value::Bool(true)) {
        return Ok(Trigger::Sweep);
    }
    if event.get("Records").is_some() {
        let sqs: SqsEvent =
            serde_json::from_value(event.clone()).map_err(|e| TriggerError::Malformed {
                kind: "SQS",
                why: e.to_string(),
            })?;
        if sqs
            .records
            .iter()
            .any(|r| r.event_source.as_deref() != Some("aws:sqs"))
        {
            return Err(TriggerError::Unrecognised(
                "a Records event that is not from SQS".into(),
            ));
        }
        let (mut items, mut rejected) = (Vec::new(), Vec::new());
        for r in &sqs.records {
            match recheck(r.body.as_deref().unwrap_or_default()) {
                Ok(mut item) => {
                    item.message_id.clone_from(&r.message_id);
                    items.push(item);
                }
                Err(why) => rejected.push(Rejected {
                    message_id: r.message_id.clone().unwrap_or_default(),
                    why,
                }),
            }
        }
        return Ok(Trigger::Recheck { items, rejected });
    }
    let shown: String = event.to_string().chars().take(200).collect();
    Err(TriggerError::Unrecognised(shown))
}

/// AWS Health's ACM event types, each checked at once.
pub const HEALTH_CODES: &[&str] = &[
    "AWS_ACM_RENEWAL_STATE_CHANGE",
    "CAA_CHECK_FAILURE",
    "AWS_ACM_RENEWAL_FAILURE",
];

fn eventbridge(eb: &EventBridgeEvent<Value>) -> Result<Trigger, TriggerError> {
    let source = eb.source.as_str();
    let detail_type = eb.detail_type.as_str();
    match (source, detail_type) {
        ("aws.events", "Scheduled Event") => Ok(Trigger::Sweep),
        ("aws.acm", "AWS API Call via CloudTrail") => {
            let name = eb
                .detail
                .get("eventName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if name != "RequestCertificate" {
                return Err(TriggerError::Unrecognised(format!(
                    "CloudTrail event {name:?}"
                )));
            }
            if let Some(code) = eb.detail.get("errorCode").and_then(Value::as_str) {
                return Ok(Trigger::Nothing {
                    reason: format!("RequestCertificate failed ({code}): no certificate to check"),
                });
            }
            let arn = eb
                .detail
                .pointer("/responseElements/certificateArn")
                .and_then(Value::as_str)
                .ok_or_else(|| TriggerError::Malformed {
                    kind: "CloudTrail RequestCertificate",
                    why: "detail.responseElements.certificateArn is missing".into(),
                })?;
            check_arns("CloudTrail RequestCertificate", &[arn.to_owned()])?;
            Ok(Trigger::Requested {
                arn: arn.to_owned(),
            })
        }
        ("aws.acm", _) => {
            let arns: Vec<String> = eb.resources.clone().unwrap_or_default();
            if arns.is_empty() {
                return Err(TriggerError::Malformed {
                    kind: "ACM",
                    why: "resources is empty".into(),
                });
            }
            check_arns("ACM", &arns)?;
            Ok(Trigger::Acm {
                detail_type: detail_type.to_owned(),
                arns,
                action: eb
                    .detail
                    .get("Action")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }
        ("aws.health", _) => {
            let code = eb
                .detail
                .get("eventTypeCode")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !HEALTH_CODES.contains(&code) {
                return Err(TriggerError::Unrecognised(format!(
                    "AWS Health event {code:?}"
                )));
            }
            // Affected certificates: `resources`, or the entities of the event.
            let mut arns: Vec<String> = eb.resources.clone().unwrap_or_default();
            if arns.is_empty()
                && let Some(entities) = eb.detail.get("affectedEntities").and_then(Value::as_array)
            {
                arns.extend(
                    entities
                        .iter()
                        .filter_map(|e| e.get("entityValue").and_then(Value::as_str))
                        .map(str::to_owned),
                );
            }
            if arns.is_empty() {
                return Err(TriggerError::Malformed {
                    kind: "AWS Health",
                    why: "no affected certificate in resources".into(),
                });
            }
            check_arns("AWS Health", &arns)?;
            Ok(Trigger::Acm {
                detail_type: format!("AWS Health {code}"),
                arns,
                action: None,
            })
        }
        _ => Err(TriggerError::Unrecognised(format!(
            "source {source:?}, detail-type {detail_type:?}"
        ))),
    }
}

/// One re-check message body, with its ARN checked.
fn recheck(body: &str) -> Result<Recheck, String> {
    let r: Recheck = serde_json::from_str(body).map_err(|e| format!("message body: {e}"))?;
    arn::parse(&r.certificate_arn).map_err(|e| e.to_string())?;
    Ok(r)
}

fn check_arns(kind: &'static str, arns: &[String]) -> Result<(), TriggerError> {
    for a in arns {
        arn::parse(a).map_err(|e| TriggerError::Malformed {
            kind,
            why: e.to_string(),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

    #[test]
    fn every_sample_event_parses() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/events");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let parsed = parse(&v);
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("invalid-")
            {
                assert!(parsed.is_err(), "{}", path.display());
            } else {
                assert!(parsed.is_ok(), "{}: {parsed:?}", path.display());
            }
            seen += 1;
        }
        assert!(seen >= 8);
    }

    #[test]
    fn shapes() {
        let ct = json!({"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.acm","account":"1","time":"2026-11-28T00:00:00Z","region":"us-east-1","resources":[],
            "detail":{"eventSource":"acm.amazonaws.com","eventName":"RequestCertificate","responseElements":{"certificateArn":ARN}}});
        assert_eq!(parse(&ct), Ok(Trigger::Requested { arn: ARN.into() }));
        let sched = json!({"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"1","time":"2026-11-28T00:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:1:rule/x"],"detail":{}});
        assert_eq!(parse(&sched), Ok(Trigger::Sweep));
        assert_eq!(parse(&json!({"sweep": true})), Ok(Trigger::Sweep));
        assert_eq!(
            parse(&json!({"certificate_arns": [ARN]})),
            Ok(Trigger::Direct {
                arns: vec![ARN.into()]
            })
        );
        let sqs = json!({"Records":[{"eventSource":"aws:sqs","messageId":"m-1","body":format!("{{\"certificate_arn\":\"{ARN}\",\"attempt\":2}}")}]});
        assert_eq!(
            parse(&sqs),
            Ok(Trigger::Recheck {
                items: vec![Recheck {
                    certificate_arn: ARN.into(),
                    attempt: 2,
                    message_id: Some("m-1".into()),
                }],
                rejected: vec![],
            })
        );
    }

    #[test]
    fn aws_health_acm_events_name_their_certificates() {
        let health = |code: &str, resources: Value| {
            json!({"version":"0","id":"1","detail-type":"AWS Health Event","source":"aws.health","account":"1","time":"2026-11-28T00:00:00Z","region":"us-east-1","resources":resources,
                "detail":{"service":"ACM","eventTypeCode":code,"affectedEntities":[{"entityValue":ARN}]}})
        };
        let want = Trigger::Acm {
            detail_type: "AWS Health CAA_CHECK_FAILURE".into(),
            arns: vec![ARN.into()],
            action: None,
        };
        assert_eq!(
            parse(&health("CAA_CHECK_FAILURE", json!([ARN]))),
            Ok(want.clone())
        );
        // No resources: the affected entities name them.
        assert_eq!(parse(&health("CAA_CHECK_FAILURE", json!([]))), Ok(want));
        assert!(matches!(
            parse(&health("AWS_EC2_INSTANCE_RETIREMENT", json!([]))),
            Err(TriggerError::Unrecognised(_))
        ));
    }

    #[test]
    fn one_bad_message_does_not_spoil_the_batch() {
        let good = format!("{{\"certificate_arn\":\"{ARN}\",\"attempt\":1}}");
        let sqs = json!({"Records":[
            {"eventSource":"aws:sqs","messageId":"m-1","body":"not json"},
            {"eventSource":"aws:sqs","messageId":"m-2","body":good},
            {"eventSource":"aws:sqs","messageId":"m-3","body":"{\"certificate_arn\":\"nope\",\"attempt\":1}"},
        ]});
        let Ok(Trigger::Recheck { items, rejected }) = parse(&sqs) else {
            panic!("{:?}", parse(&sqs));
        };
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].message_id.as_deref(), Some("m-2"));
        let ids: Vec<&str> = rejected.iter().map(|r| r.message_id.as_str()).collect();
        assert_eq!(ids, ["m-1", "m-3"]);
        assert!(
            rejected[1].why.contains("not an ACM certificate ARN"),
            "{:?}",
            rejected[1]
        );
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        assert!(matches!(
            parse(&json!({"hello": 1})),
            Err(TriggerError::Unrecognised(_))
        ));
        assert!(matches!(
            parse(&json!({"certificate_arns": []})),
            Err(TriggerError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&json!({"certificate_arns": ["nope"]})),
            Err(TriggerError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&json!({"certificate_arns": "x"})),
            Err(TriggerError::Malformed { .. })
        ));
        let no_arn = json!({"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.acm","account":"1","time":"2026-11-28T00:00:00Z","region":"us-east-1","resources":[],
            "detail":{"eventSource":"acm.amazonaws.com","eventName":"RequestCertificate"}});
        assert!(matches!(
            parse(&no_arn),
            Err(TriggerError::Malformed { .. })
        ));
        let s3 = json!({"Records":[{"eventSource":"aws:s3","body":"{}"}]});
        assert!(matches!(parse(&s3), Err(TriggerError::Unrecognised(_))));
    }
}
