//! Test support for acm-dns-doctor: a loopback DNS "internet" (root, TLDs, zones, a recursive
//! resolver) and a moto server handle. Used by the integration tests and the demo; never by the product.
pub mod dns;
pub mod dnssec;
pub mod moto;
pub mod proxy;
