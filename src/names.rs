//! DNS names and validation values as text: normal form, family (parent, within), the variants a
//! provider produces by mistake, and how close two names are. A leaf: it imports nothing of the crate.

use std::fmt::Write;

/// Lowercase, absolute (trailing dot) form of a DNS name as typed by a person or an API.
pub fn normalize_name(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase();
    let n = n.trim_end_matches('.');
    format!("{n}.")
}

/// The parent of an absolute name (`None` for the root).
pub fn parent(name: &str) -> Option<String> {
    let n = name.trim_end_matches('.');
    if n.is_empty() {
        return None;
    }
    Some(match n.split_once('.') {
        Some((_, rest)) => format!("{rest}."),
        None => ".".to_owned(),
    })
}

/// True when `name` is `zone` or below it.
pub fn is_within(name: &str, zone: &str) -> bool {
    let name = normalize_name(name);
    let zone = normalize_name(zone);
    zone == "." || name == zone || name.ends_with(&format!(".{zone}"))
}

/// `name` with the zone apex appended, as a provider that appends the apex would store it.
pub fn doubled_name(name: &str, apex: &str) -> String {
    format!("{}.{}", name.trim_end_matches('.'), normalize_name(apex))
}

/// `name` without the leading underscore of its first label, if it has one.
pub fn bare_name(name: &str) -> Option<String> {
    name.strip_prefix('_').map(normalize_name)
}

/// The name a CAA lookup starts from for a certificate domain: `*.example.com` is governed by the
/// CAA set of `example.com` (RFC 8659 §3), so both climb from the same name.
pub fn caa_base(domain: &str) -> String {
    normalize_name(domain.trim_start_matches("*."))
}

/// True when a CNAME value found in DNS is what ACM asked for. Case and a trailing dot don't matter,
/// and a value whose leading underscore a provider stripped is accepted (ACM user guide).
pub fn value_matches(found: &str, expected: &str) -> bool {
    let f = normalize_name(found);
    let e = normalize_name(expected);
    f == e || e.strip_prefix('_') == Some(f.as_str())
}

/// Largest edit distance at which a record name counts as a near miss of the validation name.
pub const NEAR_MISS_DISTANCE: usize = 3;

/// True when `candidate` is a near-miss of the validation `name`: a few characters off, but not equal.
pub fn is_near_miss(candidate: &str, name: &str) -> bool {
    let c = normalize_name(candidate);
    let n = normalize_name(name);
    c != n && strsim::levenshtein(&c, &n) <= NEAR_MISS_DISTANCE
}

/// True when a record named `set_name` with `values` looks like a mistyped copy of the validation
/// record `name` → `value`: a near-miss name, or the right value under another name.
pub fn is_near_record(set_name: &str, values: &[String], name: &str, value: &str) -> bool {
    is_near_miss(set_name, name) || values.iter().any(|v| value_matches(v, value))
}

/// Shows how `found` differs from `expected`: `[+x]` marks extra characters, `[-y]` missing ones.
pub fn diff(expected: &str, found: &str) -> String {
    let want: Vec<char> = expected.chars().collect();
    let got: Vec<char> = found.chars().collect();
    // Longest common subsequence table, then walk it.
    let mut lcs = vec![vec![0u16; got.len() + 1]; want.len() + 1];
    for i in (0..want.len()).rev() {
        for j in (0..got.len()).rev() {
            lcs[i][j] = if want[i] == got[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    let mut extra = String::new();
    let mut missing = String::new();
    let flush = |out: &mut String, extra: &mut String, missing: &mut String| {
        if !missing.is_empty() {
            let _ = write!(out, "[-{missing}]");
            missing.clear();
        }
        if !extra.is_empty() {
            let _ = write!(out, "[+{extra}]");
            extra.clear();
        }
    };
    while i < want.len() || j < got.len() {
        if i < want.len() && j < got.len() && want[i] == got[j] {
            flush(&mut out, &mut extra, &mut missing);
            out.push(want[i]);
            i += 1;
            j += 1;
        } else if j < got.len() && (i == want.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            extra.push(got[j]);
            j += 1;
        } else {
            missing.push(want[i]);
            i += 1;
        }
    }
    flush(&mut out, &mut extra, &mut missing);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family() {
        assert_eq!(
            doubled_name("_a.example.com.", "example.com."),
            "_a.example.com.example.com."
        );
        assert_eq!(bare_name("_a.example.com."), Some("a.example.com.".into()));
        assert_eq!(bare_name("a.example.com."), None);
        assert_eq!(parent("a.example.com."), Some("example.com.".into()));
        assert_eq!(parent("com."), Some(".".into()));
        assert_eq!(parent("."), None);
        assert!(is_within("_x.example.com.", "example.com."));
        assert!(!is_within("_x.badexample.com.", "example.com."));
        assert!(is_within("x.", "."));
        assert_eq!(caa_base("*.Example.com"), "example.com.");
    }

    #[test]
    fn values_match_ignoring_case_dot_and_stripped_underscore() {
        let want = "_abc.xyz.acm-validations.aws.";
        assert!(value_matches("_ABC.xyz.acm-validations.aws", want));
        assert!(value_matches("abc.xyz.acm-validations.aws.", want));
        assert!(!value_matches("_abd.xyz.acm-validations.aws.", want));
        assert!(!value_matches("__abc.xyz.acm-validations.aws.", want));
    }

    #[test]
    fn near_misses() {
        let name = "_0123456789abcdef.example.com.";
        assert!(is_near_miss("0123456789abcdef.example.com.", name));
        assert!(is_near_miss("_0123456789abcdeff.example.com", name));
        assert!(!is_near_miss(name, name));
        assert!(!is_near_miss("_ffffffffffffffff.example.com.", name));
        let value = "_v.acm-validations.aws.";
        assert!(is_near_record(
            "_other.example.com.",
            &[value.into()],
            name,
            value
        ));
    }

    #[test]
    fn diff_marks_extra_and_missing() {
        assert_eq!(diff("_abc.aws.", "_abxc.aws."), "_ab[+x]c.aws.");
        assert_eq!(diff("_abc.aws.", "_ac.aws."), "_a[-b]c.aws.");
        assert_eq!(diff("_abc.aws.", "abc.aws.x."), "[-_]abc.aws.[+x.]");
        assert_eq!(diff("abc", "abc"), "abc");
    }
}
