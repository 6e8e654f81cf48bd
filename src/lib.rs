//! acm-dns-doctor: why an ACM certificate is stuck in *Pending validation*, and the exact fix.
//!
//! Gather, then judge. Layers, with every `use crate::` pointing down (a test keeps it so):
//! - leaves: `names` (DNS names as text), `time` (seconds inside, text at the edge), `arn`, `exit`;
//! - adapters, which do all I/O and return plain data: `aws`, `dns`, `trigger`;
//! - `evidence`: that plain data;
//! - `checks`: pure functions over evidence that return `finding`s;
//! - rendering: `report` (CLI text and the JSON contract) and `alert` (SNS messages);
//! - on top: `config`, `engine` (gather, then judge) and `handler` (the Lambda).

pub mod alert;
pub mod arn;
pub mod aws;
pub mod checks;
pub mod config;
pub mod dns;
pub mod engine;
pub mod evidence;
pub mod exit;
pub mod finding;
pub mod fix;
pub mod handler;
pub mod names;
pub mod progress;
pub mod remedy;
pub mod report;
pub mod time;
pub mod trigger;
