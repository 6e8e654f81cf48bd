//! acm-dns-doctor: why an ACM certificate is stuck in *Pending validation*, and the exact fix.
//!
//! Gather, then judge: adapters (`aws`, `dns`) do all I/O and return plain data (`evidence`);
//! `checks` are pure functions over it that return `finding`s; `report` renders them.

pub mod aws;
pub mod checks;
pub mod config;
pub mod dns;
pub mod engine;
pub mod evidence;
pub mod finding;
pub mod handler;
pub mod report;
pub mod trigger;
