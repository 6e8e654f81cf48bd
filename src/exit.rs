//! The CLI's exit statuses, as named constants (a contract for scripts and CI jobs).

/// Every certificate was checked and no finding is an `error`.
pub const OK: u8 = 0;
/// Every certificate was checked and at least one finding is an `error`.
pub const ERROR_FINDINGS: u8 = 1;
/// The run failed for a certificate (unknown or malformed ARN, no credentials, unreachable
/// endpoint, not reached), or the command line is wrong: the reason is on stderr.
pub const NOT_CHECKED: u8 = 2;
