//! Text forms of durations and instants used in scenario files.
//!
//! Durations always carry a unit (`250ms`, `1.5s`, `5m`, `2h`, `1d`, also `µs` and `ns`): a bare
//! number is ambiguous and rejected. Instants are ISO-8601 UTC (`2026-12-31T23:59:00Z`), a local
//! clock time in a region (`2026-12-31T23:59:00 local`), or an offset from the start (`+90s`).

use crate::kernel::SimDuration;

/// The longest duration, and the farthest instant from the run's start, a scenario may state:
/// ten years. Sums of a few of them (a surge's start, ramps and hold) stay far inside simulated
/// time's range, so nothing downstream can overflow.
pub const MAX_SPAN_NS: u64 = 3_650 * 86_400 * 1_000_000_000;

/// Every unit a duration may carry, with its length in nanoseconds. `parse_duration` looks units
/// up here and the schema builds its pattern from here, so the two cannot disagree. Microseconds
/// come in three spellings: `us`, the micro sign `µs` (U+00B5, which macOS types for Option-M)
/// and the Greek letter mu `μs` (U+03BC, which Greek keyboards type and Unicode's NFKC
/// normalisation turns the micro sign into). The last two look identical.
pub const DURATION_UNITS: [(&str, f64); 10] = [
    ("ns", 1.0),
    ("us", 1e3),
    ("\u{b5}s", 1e3),
    ("\u{3bc}s", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("min", 60e9),
    ("h", 3600e9),
    ("d", 86_400e9),
];

/// What a duration looks like, for error messages and the schema's description.
pub const DURATION_FORMS: &str = "a duration with a unit: `250ms`, `1.5s`, `5m`, `2h`, `1d`, also `µs` (or `us`) and `ns`";

/// Parses `"250ms"`, `"1.5s"`, `"5m"`, `"2h"`, `"1d"`, `"20µs"`, `"20us"`, `"7ns"`: a number, then
/// one of [`DURATION_UNITS`].
///
/// ```
/// use planetsim::kernel::SimDuration;
/// use planetsim::scenario::units::parse_duration;
/// assert_eq!(parse_duration("1.5s"), Ok(SimDuration::from_millis(1500)));
/// assert_eq!(parse_duration("20µs"), Ok(SimDuration::from_micros(20)));
/// assert!(parse_duration("250").is_err(), "a bare number is ambiguous");
/// ```
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let text = text.trim();
    let split =
        text.find(|c: char| c.is_alphabetic()).ok_or_else(|| format!("`{text}` has no unit; write it as e.g. `{text}ms` or `{text}s`"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.trim().parse().map_err(|_| format!("`{number}` is not a number in duration `{text}`"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("duration `{text}` must be zero or positive"));
    }
    let Some(&(_, nanos_per_unit)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!("unknown unit `{unit}` in duration `{text}`"));
    };
    let nanos = value * nanos_per_unit;
    if nanos > MAX_SPAN_NS as f64 {
        return Err(format!("duration `{text}` is too long (at most 3650d)"));
    }
    Ok(SimDuration(nanos.round() as u64))
}

/// Seconds since 1970-01-01T00:00:00 for a civil date-time (no leap seconds, proleptic Gregorian).
pub fn unix_seconds(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
}

/// Nanoseconds from the run's start (`start_unix_s`) to `unix_s`, if that is within ten years
/// either way (`MAX_SPAN_NS`).
pub fn ns_from_start(unix_s: i64, start_unix_s: i64) -> Result<i64, String> {
    unix_s
        .checked_sub(start_unix_s)
        .and_then(|s| s.checked_mul(1_000_000_000))
        .filter(|ns| ns.unsigned_abs() <= MAX_SPAN_NS)
        .ok_or_else(|| "this instant is too far from the run's start (more than ten years)".to_string())
}

/// Parses `YYYY-MM-DDTHH:MM[:SS]` into seconds since the epoch (the caller decides the zone).
pub fn parse_civil(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a date-time like 2026-12-31T23:59:00");
    let (date, time) = text.split_once('T').ok_or_else(bad)?;
    let date_parts: Vec<&str> = date.split('-').collect();
    let time_parts: Vec<&str> = time.split(':').collect();
    if date_parts.len() != 3 || !(2..=3).contains(&time_parts.len()) {
        return Err(bad());
    }
    let number = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let year: i64 = date_parts[0].parse().map_err(|_| bad())?;
    if !(1..=9999).contains(&year) {
        return Err(format!("year {year} is out of range (1 to 9999)"));
    }
    let (month, day) = (number(date_parts[1])?, number(date_parts[2])?);
    let (hour, minute) = (number(time_parts[0])?, number(time_parts[1])?);
    let second = if time_parts.len() == 3 { number(time_parts[2])? } else { 0 };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return Err(format!("month {month} is out of range in `{text}`")),
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return Err(format!("`{text}` is not a valid date-time"));
    }
    Ok(unix_seconds(year, month, day, hour, minute, second))
}

/// When something happens, as written in a scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instant {
    /// Nanoseconds after the start of the run.
    Offset(SimDuration),
    /// Seconds since the Unix epoch, UTC.
    Utc(i64),
    /// Seconds since the Unix epoch on a local wall clock (resolved with a region's UTC offset).
    Local(i64),
}

pub const INSTANT_FORMS: &str = "an offset `+90s`, a UTC time `2026-12-31T23:59:00Z` or a local time `2026-12-31T23:59:00 local`";

pub fn parse_instant(text: &str) -> Result<Instant, String> {
    let text = text.trim();
    if let Some(offset) = text.strip_prefix('+') {
        return parse_duration(offset).map(Instant::Offset);
    }
    if let Some(local) = text.strip_suffix(" local") {
        return parse_civil(local.trim()).map(Instant::Local);
    }
    if let Some(utc) = text.strip_suffix('Z') {
        return parse_civil(utc).map(Instant::Utc);
    }
    Err(format!("`{text}` is not {INSTANT_FORMS}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit_and_convert_exactly() {
        assert_eq!(parse_duration("250ms"), Ok(SimDuration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(SimDuration::from_millis(1500)));
        assert_eq!(parse_duration("5m"), Ok(SimDuration::from_secs(300)));
        assert_eq!(parse_duration("20us"), Ok(SimDuration::from_micros(20)));
        assert_eq!(parse_duration("20µs"), Ok(SimDuration::from_micros(20)), "the micro sign is a letter too");
        assert_eq!(parse_duration("20\u{3bc}s"), Ok(SimDuration::from_micros(20)), "so is the Greek mu, which looks the same");
        assert!(parse_duration("250").unwrap_err().contains("no unit"));
        assert!(parse_duration("3 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("3650d").is_ok());
        assert!(parse_duration("3651d").unwrap_err().contains("too long"));
        assert!(ns_from_start(0, 11 * 365 * 86_400).unwrap_err().contains("ten years"));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn every_unit_in_the_table_parses_to_its_length() {
        for (unit, nanos) in DURATION_UNITS {
            assert_eq!(parse_duration(&format!("2{unit}")), Ok(SimDuration((2.0 * nanos) as u64)), "`2{unit}`");
            assert_eq!(parse_duration(&format!(" 0.5 {unit} ")), Ok(SimDuration((0.5 * nanos).round() as u64)), "` 0.5 {unit} `");
            // The parser splits the number from the unit at the unit's first letter.
            assert!(unit.starts_with(char::is_alphabetic), "`{unit}` starts with a letter");
        }
        let micro: Vec<&str> = DURATION_UNITS.iter().filter(|(_, nanos)| *nanos == 1e3).map(|(unit, _)| *unit).collect();
        assert_eq!(micro, ["us", "\u{b5}s", "\u{3bc}s"], "the micro sign and the Greek mu are different characters");
    }

    #[test]
    fn civil_times_match_known_epochs() {
        assert_eq!(parse_civil("1970-01-01T00:00:00"), Ok(0));
        assert_eq!(parse_civil("2027-01-01T00:00"), Ok(1_798_761_600));
        assert_eq!(parse_civil("2024-02-29T12:00:00"), Ok(1_709_208_000));
        assert!(parse_civil("2023-02-29T12:00:00").is_err());
        assert!(parse_civil("2026-13-01T00:00:00").is_err());
    }

    #[test]
    fn instants_come_in_three_forms() {
        assert_eq!(parse_instant("+90s"), Ok(Instant::Offset(SimDuration::from_secs(90))));
        assert_eq!(parse_instant("1970-01-01T00:01:00Z"), Ok(Instant::Utc(60)));
        assert_eq!(parse_instant("1970-01-01T00:01 local"), Ok(Instant::Local(60)));
        assert!(parse_instant("tomorrow").is_err());
    }
}
