//! The pace of AWS calls: one token bucket per (account, Region, API), set to the documented
//! quotas, that every task of a run waits on before it calls. The SDK's retries stay behind it
//! for the throttles that still happen (another process sharing the quota).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// A quota: calls per second, and how many may go at once after a quiet spell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Calls per second (refill).
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
}

/// The documented quotas, per account and Region (Route 53: per account, every API together).
/// ACM: the quotas table of the ACM user guide; Route 53: a token bucket of 10/s with a burst of 50.
pub const DEFAULT_QUOTAS: &[(&str, Rate)] = &[
    ("acm:DescribeCertificate", rate(10.0, 1)),
    ("acm:ListCertificates", rate(8.0, 1)),
    ("acm:ListTagsForCertificate", rate(10.0, 1)),
    ("acm:AddTagsToCertificate", rate(5.0, 1)),
    ("acm:RemoveTagsFromCertificate", rate(5.0, 1)),
    ("route53", rate(10.0, 50)),
];

const fn rate(per_second: f64, burst: u32) -> Rate {
    Rate { per_second, burst }
}

/// The quotas of a run: an API's own (`acm:DescribeCertificate`), else its service's (`route53`).
#[derive(Debug, Clone, PartialEq)]
pub struct Quotas(BTreeMap<String, Rate>);

impl Default for Quotas {
    fn default() -> Self {
        Quotas(
            DEFAULT_QUOTAS
                .iter()
                .map(|(k, r)| ((*k).to_owned(), *r))
                .collect(),
        )
    }
}

impl Quotas {
    /// The defaults with `overrides` applied: `API=RATE[/BURST]`, comma-separated
    /// (`acm:DescribeCertificate=20,route53=5/5`).
    pub fn parse(overrides: &str) -> Result<Quotas, String> {
        let mut q = Quotas::default();
        for item in overrides
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (api, value) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?}: expected API=RATE[/BURST]"))?;
            let (per, burst) = value.split_once('/').unwrap_or((value, "1"));
            let per_second: f64 = per
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r > 0.0)
                .ok_or_else(|| format!("{item:?}: the rate must be a positive number"))?;
            let burst: u32 = burst
                .trim()
                .parse()
                .ok()
                .filter(|b| *b >= 1)
                .ok_or_else(|| format!("{item:?}: the burst must be a whole number ≥ 1"))?;
            q.0.insert(api.trim().to_owned(), Rate { per_second, burst });
        }
        Ok(q)
    }

    /// The same quotas with `key`'s rate and burst divided among `n` processes that share it
    /// (Route 53's account-wide quota, among one invocation per Region).
    pub fn shared(mut self, key: &str, n: usize) -> Quotas {
        if let (Some(r), Ok(n)) = (self.0.get_mut(key), u32::try_from(n.max(1))) {
            r.per_second /= f64::from(n);
            r.burst = (r.burst / n).max(1);
        }
        self
    }

    /// The quota `action` is paced by, if any.
    pub fn of(&self, action: &str) -> Option<(&str, Rate)> {
        let service = action.split(':').next().unwrap_or(action);
        self.0
            .get_key_value(action)
            .or_else(|| self.0.get_key_value(service))
            .map(|(k, r)| (k.as_str(), *r))
    }

    /// The rate of `action` (calls per second), if it is paced.
    pub fn rate(&self, action: &str) -> Option<f64> {
        self.of(action).map(|(_, r)| r.per_second)
    }
}

/// The buckets of one scope (an account and Region for ACM, an account for Route 53).
#[derive(Debug)]
pub struct Pace {
    quotas: Quotas,
    /// Per bucket: the theoretical arrival time of the next call (GCRA).
    next: Mutex<BTreeMap<String, Instant>>,
}

impl Pace {
    /// Fresh buckets for `quotas` (full: a burst may go at once).
    pub fn new(quotas: Quotas) -> Self {
        Pace {
            quotas,
            next: Mutex::new(BTreeMap::new()),
        }
    }

    /// How long a call of `action` made at `now` must wait; reserves its slot (pure but for the
    /// bucket's state: callers sleep for what it returns).
    pub fn reserve(&self, action: &str, now: Instant) -> Duration {
        let Some((key, rate)) = self.quotas.of(action) else {
            return Duration::ZERO;
        };
        let interval = Duration::from_secs_f64(1.0 / rate.per_second);
        let tolerance = interval * (rate.burst - 1);
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tat = next.entry(key.to_owned()).or_insert(now);
        let start = (*tat).max(now);
        let allowed_at = start.checked_sub(tolerance).unwrap_or(now).max(now);
        *tat = start + interval;
        allowed_at - now
    }

    /// Waits until a call of `action` is within its quota.
    pub async fn wait(&self, action: &str) {
        let wait = self.reserve(action, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_lookup() {
        let q = Quotas::parse("acm:DescribeCertificate=20, route53=5/5").unwrap();
        assert_eq!(q.rate("acm:DescribeCertificate"), Some(20.0));
        assert_eq!(q.rate("acm:ListCertificates"), Some(8.0));
        assert_eq!(q.of("route53:GetHostedZone").unwrap().1.burst, 5);
        assert_eq!(q.rate("sns:Publish"), None);
        let shared = Quotas::default().shared("route53", 4);
        assert_eq!(shared.rate("route53:GetHostedZone"), Some(2.5));
        assert_eq!(shared.of("route53:GetHostedZone").unwrap().1.burst, 12);
        for bad in ["acm:X", "acm:X=0", "acm:X=fast", "acm:X=1/0", "acm:X=inf"] {
            assert!(Quotas::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn calls_are_spaced_at_the_rate_after_the_burst() {
        let pace = Pace::new(Quotas::parse("a:X=10,b=10/3").unwrap());
        let t0 = Instant::now();
        // 10/s, no burst: each call 100 ms after the one before, all asked at once.
        let waits: Vec<u128> = (0..4)
            .map(|_| pace.reserve("a:X", t0).as_millis())
            .collect();
        assert_eq!(waits, [0, 100, 200, 300]);
        // A burst of 3: three at once, then the rate.
        let waits: Vec<u128> = (0..5)
            .map(|_| pace.reserve("b:Y", t0).as_millis())
            .collect();
        assert_eq!(waits, [0, 0, 0, 100, 200]);
        // Buckets are apart: another API does not wait for this one.
        assert_eq!(pace.reserve("c:Z", t0), Duration::ZERO);
        // After a quiet spell the bucket is full again, never fuller.
        let later = t0 + Duration::from_secs(5);
        let waits: Vec<u128> = (0..4)
            .map(|_| pace.reserve("b:Y", later).as_millis())
            .collect();
        assert_eq!(waits, [0, 0, 0, 100]);
    }
}
