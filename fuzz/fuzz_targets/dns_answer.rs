//! Any bytes a DNS server may send back: decoded by hickory, classified into the evidence's
//! `Answer` exactly as the product does it (the same source files, without the AWS half of the
//! crate), written as evidence JSON and read back unchanged. Never a panic.
#![no_main]
#![allow(dead_code, unused_imports, missing_docs)]

#[path = "../../src/evidence/mod.rs"]
mod evidence;
#[path = "../../src/dns/wire.rs"]
mod wire;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = hickory_proto::op::Message::from_vec(data) else {
        return;
    };
    let answer = wire::classify(&msg);
    let json = serde_json::to_string(&answer).expect("an answer is always serialisable");
    let back: evidence::Answer = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(back, answer, "evidence JSON round trip");
    for r in msg.answers.iter().chain(&msg.authorities).chain(&msg.additionals) {
        let _ = wire::rr(r);
    }
});
