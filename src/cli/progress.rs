//! A progress line on stderr while runs take a while. For one run: how much simulated time is
//! done and of how much, events per second, and the time left. For many runs (`check`, `sweep`,
//! `run --replications`): how many are done, and the time left.
//!
//! The line appears only on a terminal, and only after a second, so a quick run prints nothing
//! more than before. It is redrawn in place at most four times a second, and erased before
//! anything else is printed. `--quiet` turns it off, and so does a stderr that is not a terminal
//! (a pipe, a file, CI). The time left is the elapsed wall time scaled by what remains, which
//! assumes the rest goes as fast as what is done.
//!
//! Architecture invariant: this is the only code besides the benches that reads the wall clock,
//! and what it reads is only displayed. A run never sees it: the kernel shows the observer how
//! far the run has got between slices of events, and the observer gives nothing back.

use crate::kernel::Progress;
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A run shorter than this shows no line at all.
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

/// Decides when a line is due: after a while, then every so often.
struct Pace {
    started: Instant,
    show_after: Duration,
    last_drawn: Option<Duration>,
}

impl Pace {
    fn start() -> Self {
        let show_after = std::env::var(SHOW_AFTER_VARIABLE).ok().and_then(|ms| ms.parse().ok()).map_or(SHOW_AFTER, Duration::from_millis);
        Pace { started: wall_clock(), show_after, last_drawn: None }
    }

    /// The wall time since the start, when a line is due now.
    fn due(&mut self) -> Option<Duration> {
        let elapsed = wall_clock().duration_since(self.started);
        is_due(self.show_after, self.last_drawn, elapsed).then(|| {
            self.last_drawn = Some(elapsed);
            elapsed
        })
    }
}

fn is_due(show_after: Duration, last_drawn: Option<Duration>, elapsed: Duration) -> bool {
    elapsed >= show_after && last_drawn.is_none_or(|last| elapsed >= last + REDRAW_EVERY)
}

/// The line on stderr, drawn over itself.
#[derive(Default)]
struct Line {
    drawn: bool,
}

impl Line {
    /// Draws `label: details`, shortening the label first when the terminal is narrow.
    fn draw(&mut self, label: &str, details: &str) {
        let width = terminal_width().saturating_sub(1);
        let label = fit(label, width.saturating_sub(details.chars().count() + 2).max(12));
        let text = fit(&format!("{label}: {details}"), width);
        let mut stderr = std::io::stderr().lock();
        // A line that cannot be drawn is not worth failing a run for.
        let _ = write!(stderr, "{ERASE}{text}").and_then(|()| stderr.flush());
        self.drawn = true;
    }

    fn erase(&mut self) {
        if self.drawn {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{ERASE}").and_then(|()| stderr.flush());
            self.drawn = false;
        }
    }
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
pub struct RunProgress {
    label: String,
    pace: Option<Pace>,
    line: Line,
}

impl RunProgress {
    pub fn new(label: &str, wanted: bool) -> Self {
        RunProgress { label: label.to_string(), pace: wanted.then(Pace::start), line: Line::default() }
    }

    /// Called by the kernel between slices of the run.
    pub fn observe(&mut self, progress: Progress) {
        let Some(pace) = &mut self.pace else { return };
        if let Some(elapsed) = pace.due() {
            self.line.draw(&self.label, &run_text(progress, elapsed));
        }
    }
}

impl Drop for RunProgress {
    fn drop(&mut self) {
        self.line.erase();
    }
}

/// How many of several runs are done, counted from the threads that run them; the line is
/// erased when it is dropped.
pub struct RunsProgress {
    label: String,
    total: usize,
    state: Option<Mutex<RunsState>>,
}

struct RunsState {
    done: usize,
    pace: Pace,
    line: Line,
}

impl RunsProgress {
    pub fn new(label: &str, total: usize, wanted: bool) -> Self {
        let state = wanted.then(|| Mutex::new(RunsState { done: 0, pace: Pace::start(), line: Line::default() }));
        RunsProgress { label: label.to_string(), total, state }
    }

    pub fn one_done(&self) {
        let Some(state) = &self.state else { return };
        // A thread that panicked while drawing left nothing a count could break.
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.done += 1;
        if let Some(elapsed) = state.pace.due() {
            let details = runs_text(state.done, self.total, elapsed);
            state.line.draw(&self.label, &details);
        }
    }
}

impl Drop for RunsProgress {
    fn drop(&mut self) {
        if let Some(state) = &mut self.state {
            state.get_mut().unwrap_or_else(PoisonError::into_inner).line.erase();
        }
    }
}

/// `2m 31s of 5m 02s simulated · 7.8 M events/s · 1 s left`.
fn run_text(progress: Progress, elapsed: Duration) -> String {
    let (now_s, horizon_s) = (progress.now.as_secs_f64(), progress.horizon.as_secs_f64());
    let share = if horizon_s > 0.0 { (now_s / horizon_s).min(1.0) } else { 1.0 };
    let events_per_s = progress.events as f64 / elapsed.as_secs_f64().max(1e-3);
    format!(
        "{} of {} simulated · {} events/s · {}",
        span_text(now_s),
        span_text(horizon_s),
        count_text(events_per_s),
        left_text(elapsed, share)
    )
}

/// `3 of 10 runs done · 12 s left`.
fn runs_text(done: usize, total: usize, elapsed: Duration) -> String {
    let share = if total > 0 { done as f64 / total as f64 } else { 1.0 };
    format!("{done} of {total} runs done · {}", left_text(elapsed, share))
}

/// The wall time left if the rest goes as fast as the `share` done took `elapsed`.
fn left_text(elapsed: Duration, share: f64) -> String {
    if share <= 0.0 {
        return "time left unknown".to_string();
    }
    let left_s = (elapsed.as_secs_f64() * (1.0 - share) / share).round();
    let left = if left_s < 60.0 { format!("{left_s:.0} s") } else { span_text(left_s) };
    format!("{left} left")
}

/// `42.0 s`, `12m 05s`, `3h 04m`.
fn span_text(seconds: f64) -> String {
    let whole = seconds.max(0.0) as u64;
    match whole {
        0..60 => format!("{seconds:.1} s"),
        60..3600 => format!("{}m {:02}s", whole / 60, whole % 60),
        _ => format!("{}h {:02}m", whole / 3600, whole % 3600 / 60),
    }
}

/// `7.8 M`, `350 k`, `900`.
fn count_text(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.1} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.0} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
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
        let progress = Progress { now: at(151), horizon: at(302), events: 7_800_000 };
        assert_eq!(run_text(progress, SECOND), "2m 31s of 5m 02s simulated · 7.8 M events/s · 1 s left");
        let start = Progress { now: at(0), horizon: at(60), events: 65_536 };
        assert_eq!(run_text(start, SECOND), "0.0 s of 1m 00s simulated · 66 k events/s · time left unknown");
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
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
