//! A progress line on stderr while runs take a while. For one run: how much simulated time is
//! done and of how much, events per second, and the time left. For many runs (`check`, `sweep`,
//! `run --replications`): how many are done, and the time left.
//!
//! The line appears only on a terminal, and only after a second, so a quick run prints nothing
//! more than before. It is redrawn in place at most four times a second, and erased before
//! anything else is printed. `--quiet` turns it off, and so does a stderr that is not a terminal
//! (a pipe, a file, CI). The time left is the elapsed wall time scaled by what remains, which
//! assumes the rest goes as fast as what is done. For one run the clock starts once the world is
//! built and the first slice of events has run (see `RunProgress`); for many, at the start.
//!
//! Architecture invariant: this is the only code besides the benches that reads the wall clock,
//! and what it reads is only displayed. A run never sees it: the kernel shows the observer how
//! far the run has got between slices of events, and the observer gives nothing back.

use crate::kernel::Progress;
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A run shorter than this (counted as `RunProgress` and `RunsProgress` say) shows no line at all.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Redrawing more often only makes the numbers flicker.
const REDRAW_EVERY: Duration = Duration::from_millis(250);
/// Overrides `SHOW_AFTER`, in milliseconds: a test sees the line without a long run.
pub const SHOW_AFTER_VARIABLE: &str = "PLANETSIM_PROGRESS_AFTER_MS";
/// Erases the terminal's current line and returns to its start.
const ERASE: &str = "\r\x1b[2K";

/// Whether to draw progress lines: on a terminal, unless `--quiet`.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// The one place the wall clock is read.
#[allow(clippy::disallowed_methods)] // Display only: the time read here is printed, and never reaches a run.
fn wall_clock() -> Instant {
    Instant::now()
}

/// One progress line on stderr: when it is due (after a while, then every so often), drawing
/// it over itself, and erasing it when dropped.
struct Ticker {
    label: String,
    /// What the elapsed time, the rates and the time left count from.
    started: Instant,
    show_after: Duration,
    /// When the line was last drawn, counted from `started`; `None` while none is on the terminal.
    last_drawn: Option<Duration>,
}

impl Ticker {
    fn start(label: &str) -> Self {
        let show_after = std::env::var(SHOW_AFTER_VARIABLE).ok().and_then(|ms| ms.parse().ok()).map_or(SHOW_AFTER, Duration::from_millis);
        Ticker { label: label.to_string(), started: wall_clock(), show_after, last_drawn: None }
    }

    /// Starts the clock again, so that what came before (building the world) is not counted.
    /// Only before the first line, or the redraw pace would count from two clocks.
    fn restart(&mut self) {
        assert!(self.last_drawn.is_none(), "the clock restarts before the line is drawn");
        self.started = wall_clock();
    }

    /// Draws `label: details(elapsed)` if a line is due now; `details` is only built then.
    fn offer(&mut self, details: impl FnOnce(Duration) -> String) {
        let elapsed = wall_clock().duration_since(self.started);
        if !is_due(self.show_after, self.last_drawn, elapsed) {
            return;
        }
        self.last_drawn = Some(elapsed);
        draw(&self.label, &details(elapsed));
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        if self.last_drawn.is_some() {
            let mut stderr = std::io::stderr().lock();
            // A line that cannot be erased is not worth failing a run for.
            let _ = write!(stderr, "{ERASE}").and_then(|()| stderr.flush());
        }
    }
}

fn is_due(show_after: Duration, last_drawn: Option<Duration>, elapsed: Duration) -> bool {
    elapsed >= show_after && last_drawn.is_none_or(|last| elapsed >= last + REDRAW_EVERY)
}

/// Draws `label: details` over the terminal's current line, shortening the label first when the
/// terminal is narrow.
fn draw(label: &str, details: &str) {
    let width = terminal_width().saturating_sub(1);
    let label = fit(label, width.saturating_sub(details.chars().count() + 2).max(12));
    let text = fit(&format!("{label}: {details}"), width);
    let mut stderr = std::io::stderr().lock();
    // A line that cannot be drawn is not worth failing a run for.
    let _ = write!(stderr, "{ERASE}{text}").and_then(|()| stderr.flush());
}

/// A line longer than the terminal would wrap, and `\r` would then redraw only its last row.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(unix)]
fn terminal_width() -> usize {
    let mut size = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given, which lives here.
    let known = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    if known && size.ws_col > 0 { usize::from(size.ws_col) } else { 80 }
}

#[cfg(not(unix))]
fn terminal_width() -> usize {
    80
}

/// The progress of one run; the line is erased when it is dropped.
///
/// The clock starts at the kernel's first observation, after the first slice of events, not
/// when this is made: building the world (loading, routing) comes before and runs at a pace of
/// its own, which the time left must not extrapolate. The rates and the time left count from
/// that first observation, and so does the second that a quick run never shows a line in.
pub struct RunProgress {
    ticker: Option<Ticker>,
    /// Where the run was when the clock started.
    first: Option<Progress>,
}

impl RunProgress {
    pub fn new(label: &str, wanted: bool) -> Self {
        RunProgress { ticker: wanted.then(|| Ticker::start(label)), first: None }
    }

    /// Called by the kernel between slices of the run.
    pub fn observe(&mut self, progress: Progress) {
        let Some(ticker) = &mut self.ticker else { return };
        let Some(first) = self.first else {
            ticker.restart();
            self.first = Some(progress);
            return;
        };
        ticker.offer(|elapsed| run_text(progress, first, elapsed));
    }
}

/// How many of several runs are done, counted from the threads that run them; the line is
/// erased when it is dropped. The clock starts when this is made: every run builds its world,
/// so the time that takes is part of what the time left extrapolates.
pub struct RunsProgress {
    total: usize,
    /// Runs done, and the line.
    state: Option<Mutex<(usize, Ticker)>>,
}

impl RunsProgress {
    pub fn new(label: &str, total: usize, wanted: bool) -> Self {
        RunsProgress { total, state: wanted.then(|| Mutex::new((0, Ticker::start(label)))) }
    }

    pub fn one_done(&self) {
        let Some(state) = &self.state else { return };
        // A thread that panicked while drawing left nothing a count could break.
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, ticker) = &mut *state;
        *done += 1;
        ticker.offer(|elapsed| runs_text(*done, self.total, elapsed));
    }
}

/// `2m 31s of 5m 02s simulated · 7.8 M events/s · 1 s left`, where the run took `elapsed` to
/// get from `first` to `progress`.
fn run_text(progress: Progress, first: Progress, elapsed: Duration) -> String {
    let share = |at: Progress| {
        let (now_s, horizon_s) = (at.now.as_secs_f64(), at.horizon.as_secs_f64());
        if horizon_s > 0.0 { (now_s / horizon_s).min(1.0) } else { 1.0 }
    };
    let events_per_s = progress.events.saturating_sub(first.events) as f64 / elapsed.as_secs_f64().max(1e-3);
    format!(
        "{} of {} simulated · {} events/s · {}",
        span_text(progress.now.as_secs_f64()),
        span_text(progress.horizon.as_secs_f64()),
        count_text(events_per_s),
        left_text(elapsed, share(progress) - share(first), 1.0 - share(progress))
    )
}

/// `3 of 10 runs done · 12 s left`.
fn runs_text(done: usize, total: usize, elapsed: Duration) -> String {
    let share = if total > 0 { done as f64 / total as f64 } else { 1.0 };
    format!("{done} of {total} runs done · {}", left_text(elapsed, share, 1.0 - share))
}

/// The wall time left if the `share_left` of the work goes as fast as the `share_done` that took
/// `elapsed`.
fn left_text(elapsed: Duration, share_done: f64, share_left: f64) -> String {
    if share_done <= 0.0 {
        return "time left unknown".to_string();
    }
    let left_s = (elapsed.as_secs_f64() * share_left.max(0.0) / share_done).round();
    let left = if left_s < 60.0 { format!("{left_s:.0} s") } else { span_text(left_s) };
    format!("{left} left")
}

/// `42.0 s`, `12m 05s`, `3h 04m`. Rounded to what is shown before the form is chosen, so that
/// 59.96 s reads `1m 00s`, not `60.0 s`.
fn span_text(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    let tenths = (seconds * 10.0).round() as u64;
    if tenths < 600 {
        return format!("{}.{} s", tenths / 10, tenths % 10);
    }
    let whole = seconds.round() as u64;
    if whole < 3600 {
        return format!("{}m {:02}s", whole / 60, whole % 60);
    }
    let minutes = (seconds / 60.0).round() as u64;
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

/// `7.8 M`, `350 k`, `900`. Rounded to what is shown before the form is chosen, so that 999,600
/// reads `1.0 M`, not `1000 k`.
fn count_text(value: f64) -> String {
    let value = value.max(0.0);
    if value.round() < 1e3 {
        return format!("{:.0}", value.round());
    }
    let thousands = (value / 1e3).round();
    if thousands < 1e3 {
        return format!("{thousands:.0} k");
    }
    format!("{:.1} M", value / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{SimDuration, SimTime};

    fn at(seconds: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(seconds)
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_line_waits_a_second_then_comes_at_most_four_times_a_second() {
        assert!(!is_due(SHOW_AFTER, None, Duration::from_millis(999)), "a quick run shows nothing");
        assert!(is_due(SHOW_AFTER, None, SECOND));
        assert!(!is_due(SHOW_AFTER, Some(SECOND), SECOND + Duration::from_millis(249)));
        assert!(is_due(SHOW_AFTER, Some(SECOND), SECOND + REDRAW_EVERY));
        assert!(is_due(Duration::ZERO, None, Duration::ZERO), "the test override shows it at once");
    }

    #[test]
    fn a_run_line_says_how_far_how_fast_and_how_long_to_go() {
        let zero = |horizon: u64| Progress { now: at(0), horizon: at(horizon), events: 0 };
        let progress = Progress { now: at(151), horizon: at(302), events: 7_800_000 };
        assert_eq!(run_text(progress, zero(302), SECOND), "2m 31s of 5m 02s simulated · 7.8 M events/s · 1 s left");
        let start = Progress { now: at(0), horizon: at(60), events: 65_536 };
        assert_eq!(run_text(start, zero(60), SECOND), "0.0 s of 1m 00s simulated · 66 k events/s · time left unknown");
        // Counted from the first observation: a second for 100 s of 300 and 1 M events after it.
        let first = Progress { now: at(100), horizon: at(400), events: 500_000 };
        let later = Progress { now: at(200), horizon: at(400), events: 1_500_000 };
        assert_eq!(run_text(later, first, SECOND), "3m 20s of 6m 40s simulated · 1.0 M events/s · 2 s left");
        assert_eq!(run_text(first, first, SECOND), "1m 40s of 6m 40s simulated · 0 events/s · time left unknown");
    }

    #[test]
    fn a_runs_line_counts_runs() {
        assert_eq!(runs_text(3, 12, 3 * SECOND), "3 of 12 runs done · 9 s left");
    }

    #[test]
    fn spans_counts_and_long_lines_read_well() {
        assert_eq!(span_text(42.04), "42.0 s");
        assert_eq!(span_text(725.0), "12m 05s");
        assert_eq!(span_text(86_400.0), "24h 00m");
        assert_eq!(count_text(350_400.0), "350 k");
        assert_eq!(count_text(900.0), "900");
        // Rounded first, then put in its form.
        assert_eq!(span_text(59.94), "59.9 s");
        assert_eq!(span_text(59.96), "1m 00s");
        assert_eq!(span_text(3599.4), "59m 59s");
        assert_eq!(span_text(3599.6), "1h 00m");
        assert_eq!(span_text(7199.0), "2h 00m");
        assert_eq!(count_text(999.4), "999");
        assert_eq!(count_text(999.6), "1 k");
        assert_eq!(count_text(999_400.0), "999 k");
        assert_eq!(count_text(999_600.0), "1.0 M");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
