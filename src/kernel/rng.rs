//! Random streams: one seed per run, one independent stream per subsystem and actor.
//!
//! The generator is `Xoshiro256PlusPlus` from `rand_xoshiro`, whose output is value-stable across
//! versions and platforms (unlike `StdRng`/`SmallRng`). Each stream is keyed by a subsystem name
//! and an index, so adding a fault or an actor never shifts the draws of another stream: the
//! traffic of population 3 is the same whether or not a server was added to the scenario.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every stream uses.
pub type SimRng = Xoshiro256PlusPlus;

/// Derives independent, reproducible streams from the run's root seed.
#[derive(Clone, Copy, Debug)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    pub fn new(seed: u64) -> Self {
        RngStreams { seed }
    }

    /// The stream for `subsystem` (for example "traffic") and an index within it (the actor's).
    pub fn stream(&self, subsystem: &str, index: u64) -> SimRng {
        let key = splitmix64(self.seed) ^ splitmix64(fnv1a64(subsystem.as_bytes()).rotate_left(17) ^ splitmix64(index));
        SimRng::seed_from_u64(key)
    }
}

/// SplitMix64 finaliser: a bijective mixer that spreads nearby integers far apart.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a over bytes; stable, so stream keys never depend on the standard library's hasher.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = 0xCBF2_9CE4_8422_2325u64;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let streams = RngStreams::new(7);
        let a1 = streams.stream("traffic", 0).next_u64();
        let a2 = streams.stream("traffic", 0).next_u64();
        let b = streams.stream("traffic", 1).next_u64();
        let c = streams.stream("service", 0).next_u64();
        let other_seed = RngStreams::new(8).stream("traffic", 0).next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
        assert_ne!(a1, other_seed);
    }

    #[test]
    fn generator_output_is_value_stable() {
        // Pinned values: if these change, every committed result changes with them. The first
        // pins how a stream is derived from the seed and its name, the second the generator.
        let first = RngStreams::new(1).stream("traffic", 0).next_u64();
        assert_eq!(first, 0x7ceed18a5e4aa862, "stream derivation: {first:#x}");
        let mut rng = SimRng::seed_from_u64(0);
        assert_eq!(rng.next_u64(), 0x53175d61490b23df);
    }
}
