//! The checks every section of a scenario or topology applies to its numbers and durations, in
//! one place, so a check says the same thing wherever it is made. Each records a located
//! problem when the value is wrong; the `Option`-returning ones return `None` then, so a caller
//! can stop at the first wrong value without reporting it twice.

use super::diagnostic::Problems;
use super::files::S;
use super::units::{DURATION_FORMS, parse_duration};
use crate::kernel::SimDuration;

/// Reports every key given (with where it was written) that `allowed` does not hold:
/// `` `<name>` does not apply to <what> ``, and what is expected instead.
pub(crate) fn reject_keys(
    problems: &mut Problems,
    given: &[(&str, Option<serde_saphyr::Location>)],
    allowed: &[&str],
    key: &str,
    what: &str,
    expected: &str,
) {
    for (name, location) in given {
        if let Some(location) = location.filter(|_| !allowed.contains(name)) {
            problems.at(&location, format!("{key}.{name}"), format!("`{name}` does not apply to {what}")).expected(expected);
        }
    }
}

/// A number greater than 0. Returns the value as written (problem recorded if wrong).
pub(crate) fn positive(problems: &mut Problems, value: &S<f64>, key: &str) -> f64 {
    if !(value.value.is_finite() && value.value > 0.0) {
        problems.on(value, key, format!("{} is not allowed here", value.value)).expected("a number greater than 0");
    }
    value.value
}

/// A number of at least 0. Returns the value as written (problem recorded if wrong).
pub(crate) fn non_negative(problems: &mut Problems, value: &S<f64>, key: &str) -> f64 {
    if !(value.value.is_finite() && value.value >= 0.0) {
        problems.on(value, key, format!("{} is not allowed here", value.value)).expected("a number of at least 0");
    }
    value.value
}

/// A share or probability that must be more than nothing: 0 < value ≤ 1.
pub(crate) fn share(problems: &mut Problems, value: &S<f64>, key: &str) -> Option<f64> {
    if !(value.value > 0.0 && value.value <= 1.0) {
        problems.on(value, key, format!("{} is not a share", value.value)).expected("a number greater than 0 and at most 1");
        return None;
    }
    Some(value.value)
}

/// A share that may be zero: 0 ≤ value ≤ 1.
pub(crate) fn share_or_zero(problems: &mut Problems, value: &S<f64>, key: &str) -> Option<f64> {
    if !(0.0..=1.0).contains(&value.value) {
        problems.on(value, key, format!("{} is not a share", value.value)).expected("a number from 0 to 1");
        return None;
    }
    Some(value.value)
}

/// A whole number from `min` to `max`, as the integer type the caller needs (which holds that
/// range).
pub(crate) fn whole<T: TryFrom<i64>>(problems: &mut Problems, value: &S<i64>, key: &str, min: i64, max: i64) -> Option<T> {
    if !(min..=max).contains(&value.value) {
        problems.on(value, key, format!("{} is out of range", value.value)).expected(format!("a whole number from {min} to {max}"));
        return None;
    }
    T::try_from(value.value).ok()
}

/// An optional duration: `default` when it is not given.
pub(crate) fn duration_or(problems: &mut Problems, value: &Option<S<String>>, key: &str, default: SimDuration) -> Option<SimDuration> {
    value.as_ref().map_or(Some(default), |v| duration(problems, v, key))
}

/// An optional duration longer than zero: `default` when it is not given.
pub(crate) fn positive_duration_or(
    problems: &mut Problems,
    value: &Option<S<String>>,
    key: &str,
    default: SimDuration,
) -> Option<SimDuration> {
    value.as_ref().map_or(Some(default), |v| positive_duration(problems, v, key))
}

/// A duration such as `250ms` or `5m`.
pub(crate) fn duration(problems: &mut Problems, value: &S<String>, key: &str) -> Option<SimDuration> {
    match parse_duration(&value.value) {
        Ok(d) => Some(d),
        Err(message) => {
            problems.on(value, key, message).expected(DURATION_FORMS);
            None
        }
    }
}

/// A duration longer than zero.
pub(crate) fn positive_duration(problems: &mut Problems, value: &S<String>, key: &str) -> Option<SimDuration> {
    let parsed = duration(problems, value, key)?;
    if parsed.0 == 0 {
        problems.on(value, key, "must be longer than zero").expected(DURATION_FORMS);
        return None;
    }
    Some(parsed)
}

/// An optional setting, validated: absent is fine (`Some(None)`), present and valid is
/// `Some(Some(v))`, present and invalid is `None` (its problem is already recorded).
pub(crate) fn optional<T>(validated: Option<Option<T>>) -> Option<Option<T>> {
    match validated {
        None => Some(None),
        Some(value) => value.map(Some),
    }
}
