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
    /// Messages of the re-check queue: re-checks, continued sweeps, one scope's sweep.
    Queue,
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
    /// A scheduled sweep (EventBridge rule, or EventBridge Scheduler's `{"sweep": true}` input);
    /// `{"sweep": {"region": R, "account": A}}` sweeps one scope.
    Sweep {
        /// One account and Region; none: every configured one.
        scope: Option<SweepScope>,
    },
    /// A direct invoke `{"certificate_arns": [...]}`.
    Direct {
        /// The certificates.
        arns: Vec<String>,
    },
    /// Messages of the re-check queue (an SQS event). One bad message does not spoil the batch.
    Queue {
        /// One per well-formed message.
        messages: Vec<Queued>,
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
            Trigger::Sweep { .. } => TriggerKind::Sweep,
            Trigger::Direct { .. } => TriggerKind::Direct,
            Trigger::Queue { .. } => TriggerKind::Queue,
            Trigger::Nothing { .. } => TriggerKind::Nothing,
        }
    }
}

/// A re-check scheduled after a new request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Recheck {
    /// The certificate.
    pub certificate_arn: String,
    /// How many checks were made before this one.
    pub attempt: u32,
}

/// One account and Region to sweep.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SweepScope {
    /// A member account (reached through its role); none: the function's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The Region.
    pub region: String,
}

/// Certificates of a sweep that one invocation did not reach, handed on to the next.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Continued {
    /// Their ARNs.
    pub certificate_arns: Vec<String>,
}

/// The body of a re-check queue message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum QueueBody {
    /// `{"certificate_arn": ARN, "attempt": N}`: a new request checked again.
    Recheck(Recheck),
    /// `{"continue": {"certificate_arns": [...]}}`: the rest of a sweep.
    Continue {
        /// The certificates.
        #[serde(rename = "continue")]
        next: Continued,
    },
    /// `{"sweep": {"region": R, "account": A}}`: one scope of a fanned-out sweep.
    Sweep {
        /// The scope.
        sweep: SweepScope,
    },
}

/// One well-formed message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The SQS message id: reported back when it fails, so that only it is retried.
    pub message_id: Option<String>,
    /// What it asks for.
    pub body: QueueBody,
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
    if let Some(sweep) = event.get("sweep") {
        return match sweep {
            Value::Bool(true) => Ok(Trigger::Sweep { scope: None }),
            other => serde_json::from_value::<SweepScope>(other.clone())
                .map_err(|e| e.to_string())
                .and_then(|s| check_scope(&s).map(|()| s))
                .map(|s| Trigger::Sweep { scope: Some(s) })
                .map_err(|why| TriggerError::Malformed {
                    kind: "sweep",
                    why: format!("sweep must be true or {{\"region\": R, \"account\": A}}: {why}"),
                }),
        };
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
        let (mut messages, mut rejected) = (Vec::new(), Vec::new());
        for r in &sqs.records {
            match queue_body(r.body.as_deref().unwrap_or_default()) {
                Ok(body) => messages.push(Queued {
                    message_id: r.message_id.clone(),
                    body,
                }),
                Err(why) => rejected.push(Rejected {
                    message_id: r.message_id.clone().unwrap_or_default(),
                    why,
                }),
            }
        }
        return Ok(Trigger::Queue { messages, rejected });
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
        ("aws.events", "Scheduled Event") => Ok(Trigger::Sweep { scope: None }),
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

/// One queue message body, with its ARNs and scope checked.
fn queue_body(body: &str) -> Result<QueueBody, String> {
    let b: QueueBody = serde_json::from_str(body).map_err(|_| {
        let shown: String = body.chars().take(120).collect();
        format!("message body is not a re-check, a continued sweep or a scope to sweep: {shown:?}")
    })?;
    match &b {
        QueueBody::Recheck(r) => {
            arn::parse(&r.certificate_arn).map_err(|e| e.to_string())?;
        }
        QueueBody::Continue { next } => {
            if next.certificate_arns.is_empty() {
                return Err("a continued sweep with no certificates".into());
            }
            for a in &next.certificate_arns {
                arn::parse(a).map_err(|e| e.to_string())?;
            }
        }
        QueueBody::Sweep { sweep } => check_scope(sweep)?,
    }
    Ok(b)
}

/// A scope's account is 12 digits and its Region a Region name.
fn check_scope(s: &SweepScope) -> Result<(), String> {
    if let Some(a) = &s.account
        && !arn::is_account_id(a)
    {
        return Err(format!("account {a:?} is not a 12-digit account id"));
    }
    if !arn::is_region(&s.region) {
        return Err(format!("region {:?} is not a Region name", s.region));
    }
    Ok(())
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
        assert_eq!(parse(&sched), Ok(Trigger::Sweep { scope: None }));
        assert_eq!(
            parse(&json!({"sweep": true})),
            Ok(Trigger::Sweep { scope: None })
        );
        assert_eq!(
            parse(&json!({"sweep": {"region": "eu-west-1", "account": "444455556666"}})),
            Ok(Trigger::Sweep {
                scope: Some(SweepScope {
                    account: Some("444455556666".into()),
                    region: "eu-west-1".into()
                })
            })
        );
        for bad in [
            json!({"sweep": {"region": "Frankfurt"}}),
            json!({"sweep": {"region": "eu-west-1", "account": "12"}}),
            json!({"sweep": "yes"}),
        ] {
            assert!(
                matches!(
                    parse(&bad),
                    Err(TriggerError::Malformed { kind: "sweep", .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            parse(&json!({"certificate_arns": [ARN]})),
            Ok(Trigger::Direct {
                arns: vec![ARN.into()]
            })
        );
        let sqs = json!({"Records":[{"eventSource":"aws:sqs","messageId":"m-1","body":format!("{{\"certificate_arn\":\"{ARN}\",\"attempt\":2}}")}]});
        assert_eq!(
            parse(&sqs),
            Ok(Trigger::Queue {
                messages: vec![Queued {
                    message_id: Some("m-1".into()),
                    body: QueueBody::Recheck(Recheck {
                        certificate_arn: ARN.into(),
                        attempt: 2,
                    }),
                }],
                rejected: vec![],
            })
        );
        // The rest of a sweep, and one scope of a fanned-out sweep, come through the same queue.
        let body = |b: &QueueBody| serde_json::to_string(b).unwrap();
        let cont = QueueBody::Continue {
            next: Continued {
                certificate_arns: vec![ARN.into()],
            },
        };
        let scope = QueueBody::Sweep {
            sweep: SweepScope {
                account: None,
                region: "us-east-1".into(),
            },
        };
        assert_eq!(
            body(&cont),
            format!("{{\"continue\":{{\"certificate_arns\":[\"{ARN}\"]}}}}")
        );
        assert_eq!(body(&scope), "{\"sweep\":{\"region\":\"us-east-1\"}}");
        let sqs = json!({"Records":[
            {"eventSource":"aws:sqs","messageId":"m-1","body":body(&cont)},
            {"eventSource":"aws:sqs","messageId":"m-2","body":body(&scope)},
            {"eventSource":"aws:sqs","messageId":"m-3","body":"{\"continue\":{\"certificate_arns\":[]}}"},
        ]});
        let Ok(Trigger::Queue { messages, rejected }) = parse(&sqs) else {
            panic!("{:?}", parse(&sqs));
        };
        assert_eq!(messages[0].body, cont);
        assert_eq!(messages[1].body, scope);
        assert_eq!(rejected[0].message_id, "m-3");
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
        let Ok(Trigger::Queue { messages, rejected }) = parse(&sqs) else {
            panic!("{:?}", parse(&sqs));
        };
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].message_id.as_deref(), Some("m-2"));
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
