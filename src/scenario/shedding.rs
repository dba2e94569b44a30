//! Validation of services' `admission:`, `autoscaling:` and `modes:`, and clients' `priority:`.

use super::checks::{duration, duration_or, optional, positive_duration_or, share_or_zero, whole};
use super::diagnostic::Problems;
use super::files::{
    AdmissionFile, AutoscalingFile, ModeFile, ModesFile, PriorityClassFile, PriorityFile, PrioritySharesFile, S, ThresholdsFile,
};
use super::validate::{MAX_QUEUE, MAX_WORKERS, scaled};
use crate::actors::autoscaler::AutoscalePolicy;
use crate::actors::modes::{ModeEffect, ModePolicy, Thresholds};
use crate::actors::server::Admission;
use crate::kernel::SimDuration;

/// By default critical requests may fill the whole bound, normal ones 80 % of it, sheddable
/// ones half: under pressure the sheddable go first and the critical last.
pub const DEFAULT_SHARES: [f64; 3] = [1.0, 0.8, 0.5];

fn shares(problems: &mut Problems, file: &PrioritySharesFile, key: &str, defaults: [f64; 3]) -> Option<[f64; 3]> {
    let mut values = defaults;
    let given = [&file.critical, &file.normal, &file.sheddable];
    let mut valid = true;
    for (slot, (value, name)) in given.iter().zip(["critical", "normal", "sheddable"]).enumerate() {
        if let Some(value) = value {
            match share_or_zero(problems, value, &format!("{key}.{name}")) {
                Some(share) => values[slot] = share,
                None => valid = false,
            }
        }
    }
    valid.then_some(values)
}

/// `scale` divides the queue bound like it divides queue capacities.
pub fn admission(problems: &mut Problems, file: &AdmissionFile, key: &str, scale: f64) -> Option<Admission> {
    let max_queue = &file.max_queue;
    let bound = whole::<u64>(problems, max_queue, &format!("{key}.max_queue"), 1, MAX_QUEUE).map(|q| scaled(q, scale).max(1) as u32);
    // Every part is checked before any is given up on, so all their problems are reported.
    let max_wait = optional(file.max_wait.as_ref().map(|text| duration(problems, text, &format!("{key}.max_wait"))));
    let shares =
        file.shares.as_ref().map_or(Some(DEFAULT_SHARES), |given| shares(problems, given, &format!("{key}.shares"), DEFAULT_SHARES));
    Some(Admission { max_queue: bound?, max_wait: max_wait?, shares: shares? })
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

pub const DEFAULT_SCALE_INTERVAL: SimDuration = SimDuration::from_secs(30);
pub const DEFAULT_PROVISIONING_DELAY: SimDuration = SimDuration::from_secs(120);
pub const DEFAULT_COOLDOWN: SimDuration = SimDuration::from_secs(180);

/// `scale` divides the worker bounds like it divides worker counts. `workers` is the service's
/// starting pool, at `workers_key`. `None` when invalid (the problems are recorded).
pub fn autoscaling(
    problems: &mut Problems,
    file: &AutoscalingFile,
    key: &str,
    scale: f64,
    (workers, workers_key): (&S<i64>, &str),
) -> Option<AutoscalePolicy> {
    let fraction = |problems: &mut Problems, value: &S<f64>, name: &str| {
        if !(value.value > 0.0 && value.value <= 1.0) {
            problems
                .on(value, format!("{key}.{name}"), format!("{} is not a utilisation", value.value))
                .expected("a number greater than 0 and at most 1");
        }
        value.value
    };
    let target = fraction(problems, &file.target_utilisation, "target_utilisation");
    let out = file.scale_out_above.as_ref().map_or((target * 1.25).min(1.0), |v| fraction(problems, v, "scale_out_above"));
    let into = file.scale_in_below.as_ref().map_or(target * 0.5, |v| fraction(problems, v, "scale_in_below"));
    if !(into < target && target <= out) {
        problems
            .on(
                &file.target_utilisation,
                format!("{key}.target_utilisation"),
                format!("the band is inverted: scale in below {into}, target {target}, scale out above {out}"),
            )
            .expected("scale_in_below < target_utilisation ≤ scale_out_above");
    }
    let interval = positive_duration_or(problems, &file.interval, &format!("{key}.interval"), DEFAULT_SCALE_INTERVAL);
    let provisioning_delay =
        duration_or(problems, &file.provisioning_delay, &format!("{key}.provisioning_delay"), DEFAULT_PROVISIONING_DELAY);
    let cooldown = duration_or(problems, &file.cooldown, &format!("{key}.cooldown"), DEFAULT_COOLDOWN);
    let (min, max) = (file.min_workers.value, file.max_workers.value);
    if min < 1 || max < min || max > MAX_WORKERS {
        problems
            .on(&file.max_workers, format!("{key}.max_workers"), format!("min_workers {min}, max_workers {max}"))
            .expected(format!("1 ≤ min_workers ≤ max_workers ≤ {MAX_WORKERS}"));
        return None;
    }
    if !(min..=max).contains(&workers.value) {
        problems
            .on(workers, workers_key, format!("{} workers is outside the autoscaling bounds {min}–{max}", workers.value))
            .expected("a starting pool within min_workers and max_workers");
    }
    let scaled = |n: i64| scaled(n as u64, scale).max(1) as u32;
    Some(AutoscalePolicy {
        target_utilisation: target,
        scale_out_above: out,
        scale_in_below: into,
        interval: interval?,
        provisioning_delay: provisioning_delay?,
        min_workers: scaled(min),
        max_workers: scaled(max),
        cooldown: cooldown?,
    })
}

pub const DEFAULT_MODE_INTERVAL: SimDuration = SimDuration::from_secs(5);
pub const DEFAULT_MIN_DWELL: SimDuration = SimDuration::from_secs(30);

fn thresholds(problems: &mut Problems, file: &ThresholdsFile, key: &str) -> Thresholds {
    let check = |problems: &mut Problems, value: &Option<S<f64>>, name: &str, share: bool| {
        value.as_ref().map(|v| {
            let valid = if share { v.value > 0.0 && v.value <= 1.0 } else { v.value > 0.0 && v.value.is_finite() };
            if !valid {
                let expected = if share { "a number greater than 0 and at most 1" } else { "a number greater than 0" };
                problems.on(v, format!("{key}.{name}"), format!("{} is not allowed here", v.value)).expected(expected);
            }
            v.value
        })
    };
    Thresholds {
        p99_ms: check(problems, &file.p99_ms, "p99_ms", false),
        error_rate: check(problems, &file.error_rate, "error_rate", true),
        utilisation: check(problems, &file.utilisation, "utilisation", true),
    }
}

fn mode(problems: &mut Problems, file: &ModeFile, key: &str) -> (Thresholds, Thresholds, Option<ModeEffect>) {
    let enter = thresholds(problems, &file.enter, &format!("{key}.enter"));
    let exit = thresholds(problems, &file.exit, &format!("{key}.exit"));
    if enter == Thresholds::default() {
        problems
            .at(&file.enter_location(), format!("{key}.enter"), "no signal can enter this mode")
            .expected("at least one of p99_ms, error_rate, utilisation");
    }
    let pairs = [
        (enter.p99_ms, exit.p99_ms, "p99_ms"),
        (enter.error_rate, exit.error_rate, "error_rate"),
        (enter.utilisation, exit.utilisation, "utilisation"),
    ];
    for (entry, leave, name) in pairs {
        if let (Some(entry), Some(leave)) = (entry, leave)
            && leave > entry
        {
            problems
                .at(
                    &file.enter_location(),
                    format!("{key}.exit.{name}"),
                    format!("the exit bound {leave} is above the entry bound {entry}"),
                )
                .expected("exit bounds at or below entry bounds (hysteresis)");
        }
    }
    let share = |problems: &mut Problems, value: &Option<S<f64>>, name: &str, default: f64| {
        value.as_ref().map_or(Some(default), |v| share_or_zero(problems, v, &format!("{key}.{name}")))
    };
    let effect = (
        share(problems, &file.cheaper, "cheaper", 0.0),
        share(problems, &file.cost, "cost", 1.0),
        share(problems, &file.refuse, "refuse", 0.0),
    );
    let effect = match effect {
        (Some(cheaper), Some(cost), Some(refuse)) => Some(ModeEffect { cheaper, cost, refuse }),
        _ => None,
    };
    (enter, exit, effect)
}

pub fn modes(problems: &mut Problems, file: &ModesFile, key: &str) -> Option<ModePolicy> {
    let interval = positive_duration_or(problems, &file.interval, &format!("{key}.interval"), DEFAULT_MODE_INTERVAL);
    let min_dwell = duration_or(problems, &file.min_dwell, &format!("{key}.min_dwell"), DEFAULT_MIN_DWELL);
    let (degraded_enter, degraded_exit, degraded) = mode(problems, &file.degraded, &format!("{key}.degraded"));
    let (floor_enter, floor_exit, floor) = match &file.floor {
        Some(floor) => mode(problems, floor, &format!("{key}.floor")),
        None => (Thresholds::default(), Thresholds::default(), Some(ModeEffect { cheaper: 0.0, cost: 1.0, refuse: 0.0 })),
    };
    let (degraded, floor) = (degraded?, floor?);
    Some(ModePolicy { interval: interval?, min_dwell: min_dwell?, degraded_enter, degraded_exit, degraded, floor_enter, floor_exit, floor })
}
