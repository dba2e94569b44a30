//! Which key a request is about: a popularity distribution over `N` keys, numbered from 0 (the
//! most popular) to `N - 1`.

use crate::kernel::{SimRng, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Zipf};

/// A popularity distribution over keys `0..n`.
#[derive(Clone, Debug)]
pub enum KeyPopularity {
    /// P(key k) ∝ 1 / (k + 1)^s, sampled by rejection-inversion (no table, O(1)).
    Zipf {
        n: u32,
        s: f64,
        sampler: Zipf<f64>,
    },
    Uniform {
        n: u32,
    },
    /// A share of requests goes to the first `hot_keys` keys (uniformly among them), the rest
    /// uniformly to the others.
    HotSet {
        n: u32,
        hot_keys: u32,
        hot_share: f64,
    },
}

impl KeyPopularity {
    pub fn zipf(n: u32, s: f64) -> Result<Self, String> {
        if n == 0 {
            return Err("a key space needs at least one key".to_string());
        }
        if !(s.is_finite() && s >= 0.0) {
            return Err(format!("the Zipf exponent must be 0 or more, got {s}"));
        }
        let sampler = Zipf::new(f64::from(n), s).map_err(|e| format!("zipf over {n} keys with s = {s}: {e}"))?;
        Ok(KeyPopularity::Zipf { n, s, sampler })
    }

    pub fn uniform(n: u32) -> Result<Self, String> {
        if n == 0 {
            return Err("a key space needs at least one key".to_string());
        }
        Ok(KeyPopularity::Uniform { n })
    }

    pub fn hot_set(n: u32, hot_keys: u32, hot_share: f64) -> Result<Self, String> {
        if hot_keys == 0 || hot_keys >= n {
            return Err(format!("the hot set must hold from 1 to {} of the {n} keys, got {hot_keys}", n.saturating_sub(1)));
        }
        if !(0.0..=1.0).contains(&hot_share) {
            return Err(format!("the hot share must be from 0 to 1, got {hot_share}"));
        }
        Ok(KeyPopularity::HotSet { n, hot_keys, hot_share })
    }

    /// As written in reports: `zipf(s=0.99)`, `uniform`, `hot-set(10 keys, 90%)`.
    pub fn describe(&self) -> String {
        match self {
            KeyPopularity::Zipf { s, .. } => format!("zipf(s={s})"),
            KeyPopularity::Uniform { .. } => "uniform".to_string(),
            KeyPopularity::HotSet { hot_keys, hot_share, .. } => format!("hot-set({hot_keys} keys, {}%)", hot_share * 100.0),
        }
    }

    pub fn key_count(&self) -> u32 {
        match self {
            KeyPopularity::Zipf { n, .. } | KeyPopularity::Uniform { n } | KeyPopularity::HotSet { n, .. } => *n,
        }
    }

    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        match self {
            // The sampler returns 1..=n as a float.
            KeyPopularity::Zipf { n, sampler, .. } => (sampler.sample(rng) as u32).clamp(1, *n) - 1,
            KeyPopularity::Uniform { n } => rng.random_range(0..*n),
            KeyPopularity::HotSet { n, hot_keys, hot_share } => {
                if rng.random::<f64>() < *hot_share {
                    rng.random_range(0..*hot_keys)
                } else {
                    rng.random_range(*hot_keys..*n)
                }
            }
        }
    }

    /// The probability of each key, most popular first (for closed forms such as Che's).
    pub fn probabilities(&self) -> Vec<f64> {
        match self {
            KeyPopularity::Zipf { n, s, .. } => {
                let weights: Vec<f64> = (1..=*n).map(|k| f64::from(k).powf(-s)).collect();
                let total: f64 = weights.iter().sum();
                weights.into_iter().map(|w| w / total).collect()
            }
            KeyPopularity::Uniform { n } => vec![1.0 / f64::from(*n); *n as usize],
            KeyPopularity::HotSet { n, hot_keys, hot_share } => (0..*n)
                .map(|k| if k < *hot_keys { hot_share / f64::from(*hot_keys) } else { (1.0 - hot_share) / f64::from(n - hot_keys) })
                .collect(),
        }
    }
}

/// A window during which one key draws a share of all requests (a celebrity's post).
#[derive(Clone, Debug, PartialEq)]
pub struct HotKey {
    pub from: SimTime,
    pub until: SimTime,
    pub key: u32,
    pub share: f64,
}

/// The keys requests are about: their popularity, and the hot keys of the scenario's timeline.
#[derive(Clone, Debug)]
pub struct KeySpace {
    pub popularity: KeyPopularity,
    /// In time order; windows may overlap (the first active one wins).
    pub hot: Vec<HotKey>,
    /// The share of requests that write, for populations that do not say.
    pub writes: f64,
    /// Keys that are items with a limited stock (a write to one is a purchase).
    pub stock: Option<crate::data::replica::Stock>,
}

impl KeySpace {
    pub fn key_count(&self) -> u32 {
        self.popularity.key_count()
    }

    /// The key of a request issued at `now`. Outside hot windows this is one draw from the
    /// popularity; inside one, a first draw decides whether the request goes to the hot key.
    #[inline]
    pub fn draw(&self, now: SimTime, rng: &mut SimRng) -> u32 {
        if let Some(hot) = self.hot.iter().find(|h| now >= h.from && now < h.until)
            && rng.random::<f64>() < hot.share
        {
            return hot.key;
        }
        self.popularity.sample(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::RngStreams;

    /// Sampled frequencies match the stated probabilities (χ²-free check: the largest absolute
    /// error over the top keys, against the binomial standard deviation).
    fn check(popularity: &KeyPopularity, draws: usize) {
        let mut rng = RngStreams::new(5).stream("keys", 0);
        let mut counts = vec![0u64; popularity.key_count() as usize];
        for _ in 0..draws {
            counts[popularity.sample(&mut rng) as usize] += 1;
        }
        for (key, p) in popularity.probabilities().iter().enumerate().take(50) {
            let expected = p * draws as f64;
            let sd = (draws as f64 * p * (1.0 - p)).sqrt();
            let seen = counts[key] as f64;
            assert!((seen - expected).abs() < 5.0 * sd + 1.0, "key {key}: seen {seen}, expected {expected:.1} ± {sd:.1}");
        }
    }

    #[test]
    fn sampled_keys_follow_the_stated_popularity() {
        check(&KeyPopularity::zipf(1_000, 0.9).unwrap(), 400_000);
        check(&KeyPopularity::zipf(100, 1.2).unwrap(), 400_000);
        check(&KeyPopularity::uniform(50).unwrap(), 200_000);
        check(&KeyPopularity::hot_set(1_000, 10, 0.5).unwrap(), 400_000);
    }

    #[test]
    fn a_hot_key_takes_its_share_only_during_its_window() {
        let hot = HotKey {
            from: SimTime::ZERO + crate::kernel::SimDuration::from_secs(10),
            until: SimTime::ZERO + crate::kernel::SimDuration::from_secs(20),
            key: 77,
            share: 0.3,
        };
        let space = KeySpace { popularity: KeyPopularity::uniform(1_000).unwrap(), hot: vec![hot.clone()], writes: 0.0, stock: None };
        let mut rng = RngStreams::new(9).stream("keys", 1);
        let share_of_77 = |at: SimTime, rng: &mut SimRng| (0..100_000).filter(|_| space.draw(at, rng) == 77).count() as f64 / 100_000.0;
        let inside = share_of_77(hot.from, &mut rng);
        let outside = share_of_77(hot.until, &mut rng);
        assert!((inside - (0.3 + 0.7 / 1_000.0)).abs() < 0.01, "inside the window: {inside}");
        assert!(outside < 0.003, "outside the window: {outside}");
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(KeyPopularity::zipf(0, 1.0).is_err());
        assert!(KeyPopularity::zipf(10, -1.0).is_err());
        assert!(KeyPopularity::hot_set(10, 10, 0.5).is_err());
        assert!(KeyPopularity::hot_set(10, 2, 1.5).is_err());
    }
}
