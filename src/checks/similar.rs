//! String comparison for names and values: what counts as "the same", "nearly the same", and the diff.

use crate::evidence::normalize_name;

/// True when a CNAME value found in DNS is what ACM asked for. Case and a trailing dot don't matter,
/// and a value whose leading underscore a provider stripped is accepted (ACM user guide).
pub fn value_matches(found: &str, expected: &str) -> bool {
    let f = normalize_name(found);
    let e = normalize_name(expected);
    f == e || e.strip_prefix('_') == Some(f.as_str())
}

/// Edit distance (Levenshtein) between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Largest edit distance at which a record name counts as a near miss of the validation name.
pub const NEAR_MISS_DISTANCE: usize = 3;

/// True when `candidate` is a near-miss of the validation `name`: a few characters off, but not equal.
pub fn is_near_miss(candidate: &str, name: &str) -> bool {
    let c = normalize_name(candidate);
    let n = normalize_name(name);
    c != n && edit_distance(&c, &n) <= NEAR_MISS_DISTANCE
}

/// Shows how `found` differs from `expected`: `[+x]` marks extra characters, `[-y]` missing ones.
pub fn diff(expected: &str, found: &str) -> String {
    let e: Vec<char> = expected.chars().collect();
    let f: Vec<char> = found.chars().collect();
    // Longest common subsequence table, then walk it.
    let mut t = vec![vec![0u16; f.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..f.len()).rev() {
            t[i][j] = if e[i] == f[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    let mut extra = String::new();
    let mut missing = String::new();
    let flush = |out: &mut String, extra: &mut String, missing: &mut String| {
        if !missing.is_empty() {
            out.push_str(&format!("[-{missing}]"));
            missing.clear();
        }
        if !extra.is_empty() {
            out.push_str(&format!("[+{extra}]"));
            extra.clear();
        }
    };
    while i < e.len() || j < f.len() {
        if i < e.len() && j < f.len() && e[i] == f[j] {
            flush(&mut out, &mut extra, &mut missing);
            out.push(e[i]);
            i += 1;
            j += 1;
        } else if j < f.len() && (i == e.len() || t[i][j + 1] >= t[i + 1][j]) {
            extra.push(f[j]);
            j += 1;
        } else {
            missing.push(e[i]);
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
    fn values_match_ignoring_case_dot_and_stripped_underscore() {
        let want = "_abc.xyz.acm-validations.aws.";
        assert!(value_matches("_ABC.xyz.acm-validations.aws", want));
        assert!(value_matches("abc.xyz.acm-validations.aws.", want));
        assert!(!value_matches("_abd.xyz.acm-validations.aws.", want));
        assert!(!value_matches("__abc.xyz.acm-validations.aws.", want));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn near_misses() {
        let name = "_0123456789abcdef.example.com.";
        assert!(is_near_miss("0123456789abcdef.example.com.", name));
        assert!(is_near_miss("_0123456789abcdeff.example.com", name));
        assert!(!is_near_miss(name, name));
        assert!(!is_near_miss("_ffffffffffffffff.example.com.", name));
    }

    #[test]
    fn diff_marks_extra_and_missing() {
        assert_eq!(diff("_abc.aws.", "_abxc.aws."), "_ab[+x]c.aws.");
        assert_eq!(diff("_abc.aws.", "_ac.aws."), "_a[-b]c.aws.");
        assert_eq!(diff("_abc.aws.", "abc.aws.x."), "[-_]abc.aws.[+x.]");
        assert_eq!(diff("abc", "abc"), "abc");
    }
}
