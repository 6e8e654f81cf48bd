//! Times: seconds since the epoch inside, text only at the edge. A leaf: it imports nothing of the crate.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// Seconds since the epoch as RFC 3339 (UTC), e.g. `2026-11-28T20:33:47Z`.
pub fn rfc3339(secs: i64) -> String {
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

/// RFC 3339 text as seconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::from_str(text, Format::DateTime)
        .ok()
        .map(|t| t.secs())
}

/// A duration in words: `2 h 05 min`, `45 s`.
pub fn words(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

/// A span in days (`1 day`, `12 days`), or in words when under a day.
pub fn days(secs: i64) -> String {
    match secs / 86_400 {
        0 => words(secs),
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    }
}

/// Serde helpers: an optional time kept as seconds inside, written and read as RFC 3339 text.
pub mod serde_rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some(secs)` as RFC 3339 text, `None` as null.
    pub fn serialize<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(secs) => s.serialize_str(&super::rfc3339(*secs)),
            None => s.serialize_none(),
        }
    }

    /// Reads RFC 3339 text (or null).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::parse_rfc3339(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(words(45), "45 s");
        assert_eq!(words(3 * 3600 + 5 * 60), "3 h 05 min");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
