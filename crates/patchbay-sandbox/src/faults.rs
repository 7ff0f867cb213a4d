//! Fault injection: parsing the `--faults` SPEC and drawing faults deterministically.

use parking_lot::Mutex;
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A parsed fault SPEC such as `429=0.1,500=0.05,drop=0.01,latency=5ms..50ms`.
/// `Default` injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// (status, probability) for injected error statuses.
    pub statuses: Vec<(u16, f64)>,
    /// Probability of closing the connection without a response.
    pub drop: f64,
    /// Probability of a 200 whose body is not valid JSON.
    pub malformed: f64,
    /// Probability of a 200 whose list totals (every number under a key starting with
    /// `total`, at the top or one object down) claim [`INFLATED_TOTAL`], as a hostile or
    /// broken provider might.
    pub inflated: f64,
    /// Probability of a 200 whose JSON is followed by [`OVERSIZED_PADDING`] bytes of spaces
    /// (still valid JSON), streamed without a `Content-Length`.
    pub oversized: f64,
    /// Added delay, uniform in the range (inclusive).
    pub latency: Option<(Duration, Duration)>,
    /// Also inject into the token endpoint (opt-in: most tests want OAuth to be reliable).
    pub tokens: bool,
    /// `Retry-After` of an injected 429, in seconds (1 when not given).
    pub retry_after: Option<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultSpecError {
    #[error("fault item `{0}` is not KEY=VALUE")]
    NotKeyValue(String),
    #[error(
        "unknown fault `{0}` (expected a status 400..=599, drop, malformed, inflated, oversized, latency or tokens)"
    )]
    UnknownKey(String),
    #[error("probability `{0}` must be a number between 0 and 1")]
    BadProbability(String),
    #[error("latency `{0}` must look like 5ms..50ms, 10ms or 1s")]
    BadLatency(String),
    #[error("tokens must be true or false, not `{0}`")]
    BadBool(String),
    #[error("retry_after `{0}` must be a whole number of seconds")]
    BadRetryAfter(String),
    #[error("fault probabilities add up to {0}, more than 1")]
    TooLikely(f64),
}

/// What one request meets.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Status(u16),
    Drop,
    Malformed,
    Inflated,
    Oversized,
}

/// The total an `inflated` page claims: a trillion pages or records.
pub const INFLATED_TOTAL: u64 = 1_000_000_000_000;

/// What an `oversized` page adds after its JSON: 40 MiB, past a client's default 32 MiB cap.
pub const OVERSIZED_PADDING: u64 = 40 * 1024 * 1024;

impl FaultSpec {
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty()
            && self.drop == 0.0
            && self.malformed == 0.0
            && self.inflated == 0.0
            && self.oversized == 0.0
            && self.latency.is_none()
    }
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| FaultSpecError::NotKeyValue(item.to_string()))?;
            let (key, value) = (key.trim(), value.trim());
            match key {
                "drop" => spec.drop = probability(value)?,
                "malformed" => spec.malformed = probability(value)?,
                "inflated" => spec.inflated = probability(value)?,
                "oversized" => spec.oversized = probability(value)?,
                "latency" => spec.latency = Some(latency(value)?),
                "tokens" => {
                    spec.tokens = value
                        .parse()
                        .map_err(|_| FaultSpecError::BadBool(value.to_string()))?
                }
                "retry_after" => {
                    spec.retry_after = Some(
                        value
                            .parse()
                            .map_err(|_| FaultSpecError::BadRetryAfter(value.to_string()))?,
                    )
                }
                code => match code.parse::<u16>() {
                    Ok(status) if (400..=599).contains(&status) && code.len() == 3 => {
                        spec.statuses.push((status, probability(value)?))
                    }
                    _ => return Err(FaultSpecError::UnknownKey(code.to_string())),
                },
            }
        }
        let total = spec.drop
            + spec.malformed
            + spec.inflated
            + spec.oversized
            + spec.statuses.iter().map(|(_, p)| p).sum::<f64>();
        if total > 1.0 + 1e-9 {
            return Err(FaultSpecError::TooLikely(total));
        }
        Ok(spec)
    }
}

fn probability(v: &str) -> Result<f64, FaultSpecError> {
    match v.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(FaultSpecError::BadProbability(v.to_string())),
    }
}

fn duration(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Some(ms) = v.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else if let Some(s) = v.strip_suffix('s') {
        s.parse().ok().map(Duration::from_secs)
    } else {
        None
    }
}

fn latency(v: &str) -> Result<(Duration, Duration), FaultSpecError> {
    let bad = || FaultSpecError::BadLatency(v.to_string());
    let (lo, hi) = match v.split_once("..") {
        Some((a, b)) => (duration(a).ok_or_else(bad)?, duration(b).ok_or_else(bad)?),
        None => {
            let d = duration(v).ok_or_else(bad)?;
            (d, d)
        }
    };
    if lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// Draws faults from an RNG seeded with the sandbox seed, so a given sequence of requests
/// meets the same faults on every run.
#[derive(Debug)]
pub struct FaultInjector {
    /// Replaceable while serving (`Sandbox::set_faults`): a provider that goes down, or
    /// comes back, under a connected client.
    spec: Mutex<FaultSpec>,
    rng: Mutex<StdRng>,
}

impl FaultInjector {
    pub fn new(spec: FaultSpec, seed: u64) -> Self {
        FaultInjector {
            spec: Mutex::new(spec),
            // Offset the seed so fault draws do not mirror the data generator's streams.
            rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0x6661_756c_7473)),
        }
    }

    fn spec(&self) -> FaultSpec {
        self.spec.lock().clone()
    }

    pub fn set_spec(&self, spec: FaultSpec) {
        *self.spec.lock() = spec;
    }

    pub fn applies_to_tokens(&self) -> bool {
        self.spec().tokens
    }

    pub fn is_active(&self) -> bool {
        !self.spec().is_empty()
    }

    /// `Retry-After` of an injected 429, in seconds.
    pub fn retry_after(&self) -> u64 {
        self.spec().retry_after.unwrap_or(1)
    }

    /// One decision per request: the delay to add and the fault to inject, if any.
    pub fn draw(&self) -> (Duration, Option<Fault>) {
        let spec = self.spec();
        let mut rng = self.rng.lock();
        let delay = match spec.latency {
            Some((lo, hi)) if hi > lo => {
                let span = (hi - lo).as_micros() as u64;
                lo + Duration::from_micros(rng.gen_range(0..=span))
            }
            Some((lo, _)) => lo,
            None => Duration::ZERO,
        };
        let mut u: f64 = rng.gen();
        let mut pick = |p: f64| {
            if u < p {
                true
            } else {
                u -= p;
                false
            }
        };
        let fault = if pick(spec.drop) {
            Some(Fault::Drop)
        } else if pick(spec.malformed) {
            Some(Fault::Malformed)
        } else if pick(spec.inflated) {
            Some(Fault::Inflated)
        } else if pick(spec.oversized) {
            Some(Fault::Oversized)
        } else {
            spec.statuses
                .iter()
                .find(|(_, p)| pick(*p))
                .map(|(s, _)| Fault::Status(*s))
        };
        (delay, fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let spec: FaultSpec = "429=0.1,500=0.05,drop=0.01,latency=5ms..50ms"
            .parse()
            .unwrap();
        assert_eq!(spec.statuses, vec![(429, 0.1), (500, 0.05)]);
        assert_eq!(spec.drop, 0.01);
        assert_eq!(
            spec.latency,
            Some((Duration::from_millis(5), Duration::from_millis(50)))
        );
        assert!(!spec.tokens);
        assert_eq!(spec.retry_after, None);
        let long: FaultSpec = "429=1.0,retry_after=3600".parse().unwrap();
        assert_eq!(long.retry_after, Some(3600));
        let hostile: FaultSpec = "inflated=0.5,oversized=0.5".parse().unwrap();
        assert_eq!((hostile.inflated, hostile.oversized), (0.5, 0.5));
        assert!(!hostile.is_empty());
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(matches!(
            "200=0.1".parse::<FaultSpec>(),
            Err(FaultSpecError::UnknownKey(_))
        ));
        assert!(matches!(
            "429=2".parse::<FaultSpec>(),
            Err(FaultSpecError::BadProbability(_))
        ));
        assert!(matches!(
            "latency=9..x".parse::<FaultSpec>(),
            Err(FaultSpecError::BadLatency(_))
        ));
        assert!(matches!(
            "retry_after=soon".parse::<FaultSpec>(),
            Err(FaultSpecError::BadRetryAfter(_))
        ));
        assert!(matches!(
            "drop".parse::<FaultSpec>(),
            Err(FaultSpecError::NotKeyValue(_))
        ));
        assert!(matches!(
            "500=0.7,503=0.7".parse::<FaultSpec>(),
            Err(FaultSpecError::TooLikely(_))
        ));
    }

    #[test]
    fn same_seed_same_faults_and_rates_roughly_match() {
        let spec: FaultSpec = "500=0.2,drop=0.1".parse().unwrap();
        let a = FaultInjector::new(spec.clone(), 7);
        let b = FaultInjector::new(spec, 7);
        let da: Vec<_> = (0..2000).map(|_| a.draw().1).collect();
        let db: Vec<_> = (0..2000).map(|_| b.draw().1).collect();
        assert_eq!(da, db);
        let errors = da
            .iter()
            .filter(|f| **f == Some(Fault::Status(500)))
            .count();
        let drops = da.iter().filter(|f| **f == Some(Fault::Drop)).count();
        assert!((300..500).contains(&errors), "{errors}");
        assert!((130..270).contains(&drops), "{drops}");
    }
}
