//! Validation of services' `admission:` and clients' `priority:`.

use super::diagnostic::Problems;
use super::files::{AdmissionFile, PriorityClassFile, PriorityFile, PrioritySharesFile, S};
use super::validate::duration;
use crate::actors::server::Admission;

/// By default critical requests may fill the whole bound, normal ones 80 % of it, sheddable
/// ones half: under pressure the sheddable go first and the critical last.
pub const DEFAULT_SHARES: [f64; 3] = [1.0, 0.8, 0.5];
const MAX_QUEUE: i64 = 1_000_000_000;

fn shares(problems: &mut Problems, file: &PrioritySharesFile, key: &str, defaults: [f64; 3]) -> Option<[f64; 3]> {
    let mut values = defaults;
    let given = [&file.critical, &file.normal, &file.sheddable];
    let mut valid = true;
    for (slot, (value, name)) in given.iter().zip(["critical", "normal", "sheddable"]).enumerate() {
        if let Some(value) = value {
            if !(0.0..=1.0).contains(&value.value) {
                problems.on(value, format!("{key}.{name}"), format!("{} is not a share", value.value)).expected("a number from 0 to 1");
                valid = false;
            }
            values[slot] = value.value;
        }
    }
    valid.then_some(values)
}

/// `scale` divides the queue bound like it divides queue capacities.
pub fn admission(problems: &mut Problems, file: &AdmissionFile, key: &str, scale: f64) -> Option<Admission> {
    let max_queue = &file.max_queue;
    let bound = if (1..=MAX_QUEUE).contains(&max_queue.value) {
        Some(((max_queue.value as f64 / scale).ceil() as u32).max(1))
    } else {
        problems
            .on(max_queue, format!("{key}.max_queue"), format!("{} is out of range", max_queue.value))
            .expected(format!("a whole number from 1 to {MAX_QUEUE}"));
        None
    };
    let max_wait = match &file.max_wait {
        Some(text) => Some(duration(problems, text, &format!("{key}.max_wait"))?),
        None => None,
    };
    let shares = match &file.shares {
        Some(given) => shares(problems, given, &format!("{key}.shares"), DEFAULT_SHARES)?,
        None => DEFAULT_SHARES,
    };
    Some(Admission { max_queue: bound?, max_wait, shares })
}

/// A client's mix of priority classes; by default every request is `normal`.
pub fn priority_mix(problems: &mut Problems, file: Option<&S<PriorityFile>>, key: &str) -> Option<[f64; 3]> {
    let Some(file) = file else { return Some([0.0, 1.0, 0.0]) };
    match &file.value {
        PriorityFile::Class(class) => Some(match class {
            PriorityClassFile::Critical => [1.0, 0.0, 0.0],
            PriorityClassFile::Normal => [0.0, 1.0, 0.0],
            PriorityClassFile::Sheddable => [0.0, 0.0, 1.0],
        }),
        PriorityFile::Mix(mix) => {
            let values = shares(problems, mix, key, [0.0; 3])?;
            let total: f64 = values.iter().sum();
            if (total - 1.0).abs() > 1e-9 {
                problems
                    .on(file, key, format!("the shares add up to {total}"))
                    .expected("shares of critical, normal and sheddable that add up to 1");
                return None;
            }
            Some(values)
        }
    }
}
