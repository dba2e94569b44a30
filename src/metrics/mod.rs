//! What clients saw: counts by outcome, latency histograms per client region and overall, and a
//! timeline per window.
//!
//! Latency is measured at the client, from the moment a request is issued to the moment its
//! answer arrives: access and backbone network both ways, queueing, and service. Only successful
//! requests enter the latency histograms; failures are counted by cause. Requests issued during
//! the warm-up are simulated but not counted. Timeline windows attribute a request's start to
//! the window it was issued in and its end to the window it ended in.
//!
//! Histograms record nanoseconds from 1 µs to 1 h with 3 significant digits (timeline windows
//! use 2, which is enough for a per-window p99 and keeps resetting a window cheap).

use crate::kernel::{SimDuration, SimTime};
use crate::world::RegionId;
use hdrhistogram::Histogram;

pub const LATENCY_LOW_NS: u64 = 1_000;
pub const LATENCY_HIGH_NS: u64 = 3_600_000_000_000;

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Succeeded(SimDuration),
    Timeout,
    Rejected,
    Error,
    Unreachable,
    /// The client's circuit breaker refused to send.
    BreakerOpen,
    /// The server's admission control shed it.
    Shed,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests issued.
    pub attempted: u64,
    pub succeeded: u64,
    pub timeout: u64,
    pub rejected: u64,
    pub error: u64,
    pub unreachable: u64,
    pub breaker_open: u64,
    pub shed: u64,
    pub retries: u64,
    pub hedges: u64,
}

impl Counters {
    /// Attempts sent: every request's first attempt, plus retries and hedges. Attempts per
    /// request is the amplification.
    pub fn attempts(&self) -> u64 {
        self.attempted + self.retries + self.hedges
    }

    pub fn failed(&self) -> u64 {
        self.timeout + self.rejected + self.error + self.unreachable + self.breaker_open + self.shed
    }

    /// Requests that ended, well or not.
    pub fn ended(&self) -> u64 {
        self.succeeded + self.failed()
    }

    /// Succeeded over ended; `None` when none ended.
    pub fn availability(&self) -> Option<f64> {
        let ended = self.ended();
        (ended > 0).then(|| self.succeeded as f64 / ended as f64)
    }

    /// Adds another set of counts to this one.
    pub fn merge(&mut self, other: &Counters) {
        self.attempted += other.attempted;
        self.succeeded += other.succeeded;
        self.timeout += other.timeout;
        self.rejected += other.rejected;
        self.error += other.error;
        self.unreachable += other.unreachable;
        self.breaker_open += other.breaker_open;
        self.shed += other.shed;
        self.retries += other.retries;
        self.hedges += other.hedges;
    }

    pub fn count(&mut self, ending: Ending) {
        match ending {
            Ending::Succeeded(_) => self.succeeded += 1,
            Ending::Timeout => self.timeout += 1,
            Ending::Rejected => self.rejected += 1,
            Ending::Error => self.error += 1,
            Ending::Unreachable => self.unreachable += 1,
            Ending::BreakerOpen => self.breaker_open += 1,
            Ending::Shed => self.shed += 1,
        }
    }
}

/// The measured window: what arrives (or is issued, or committed) in `[from, until)` counts,
/// after the warm-up and before arrivals stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    pub from: SimTime,
    pub until: SimTime,
}

impl Measured {
    /// Everything counts (for unit tests).
    pub const ALWAYS: Measured = Measured { from: SimTime::ZERO, until: SimTime(u64::MAX) };

    #[inline]
    pub fn contains(self, time: SimTime) -> bool {
        time >= self.from && time < self.until
    }
}

pub fn latency_histogram(significant_digits: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(LATENCY_LOW_NS, LATENCY_HIGH_NS, significant_digits).expect("static histogram bounds are valid")
}

/// For queueing waits, which are very often exactly zero: 1 ns resolution, so a zero reads as 0.
pub fn wait_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_HIGH_NS, 3).expect("static histogram bounds are valid")
}

/// Counts by outcome and a latency histogram of the successes.
pub struct Tally {
    pub counters: Counters,
    pub latency_ns: Histogram<u64>,
}

impl Tally {
    fn new(significant_digits: u8) -> Self {
        Tally { counters: Counters::default(), latency_ns: latency_histogram(significant_digits) }
    }

    fn end(&mut self, ending: Ending) {
        self.counters.count(ending);
        if let Ending::Succeeded(latency) = ending {
            self.latency_ns.saturating_record(latency.0.max(LATENCY_LOW_NS));
        }
    }
}

/// Everything recorded for one client region (or for all of them): the whole measured run, and
/// the timeline window in progress.
pub struct Record {
    pub total: Tally,
    window: Tally,
}

impl Record {
    fn new() -> Self {
        Record { total: Tally::new(3), window: Tally::new(2) }
    }

    fn close_window(&mut self, start: SimTime, length: SimDuration, scope: u32) -> TimelineRow {
        let histogram = &self.window.latency_ns;
        let quantile = |q: f64| (!histogram.is_empty()).then(|| histogram.value_at_quantile(q) as f64 / 1e6);
        let row = TimelineRow { start, length, scope, counters: self.window.counters, p50_ms: quantile(0.5), p99_ms: quantile(0.99) };
        self.window.counters = Counters::default();
        if !self.window.latency_ns.is_empty() {
            self.window.latency_ns.reset();
        }
        row
    }
}

/// A named period of the run measured on its own (a scenario's `windows:` and its faults):
/// every request issued in its span counts, warm-up or not, with how it ended and its latency.
pub struct Period {
    pub name: String,
    pub span: Measured,
    /// The fault whose end ends this period (see `PeriodPlan`).
    pub ends_with_fault: Option<u16>,
    pub overall: Tally,
    /// In the order of `Recorder::regions`.
    pub per_region: Vec<Tally>,
}

/// One line of the timeline: one window for one scope (`ALL` or a client region).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelineRow {
    pub start: SimTime,
    pub length: SimDuration,
    /// `TimelineRow::ALL`, or the index of the client region's record.
    pub scope: u32,
    pub counters: Counters,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl TimelineRow {
    pub const ALL: u32 = u32::MAX;
}

pub struct Recorder {
    /// Client regions with a record, in region order.
    pub regions: Vec<RegionId>,
    record_of_region: Vec<Option<u32>>,
    pub per_region: Vec<Record>,
    pub overall: Record,
    count_from: SimTime,
    window: SimDuration,
    window_start: SimTime,
    pub timeline: Vec<TimelineRow>,
    /// Overall counts per priority class (critical, normal, sheddable).
    pub by_priority: [Counters; 3],
    /// Fault starts and ends, convergences, breaker transitions, in time order.
    pub events: Vec<WorldEvent>,
    /// Server and breaker states at the end of every timeline window.
    pub states: Vec<StateSample>,
    /// Reads and writes, for scenarios with a key space.
    pub data: DataRecord,
    /// The scenario's named periods, in the order it declares them.
    pub periods: Vec<Period>,
}

/// What clients saw of the data: their reads and writes, and how old the data of successful
/// reads was when it reached them.
#[derive(Clone, Debug)]
pub struct DataRecord {
    pub reads: Counters,
    pub writes: Counters,
    /// Age of the data successful reads returned, nanoseconds (3 significant digits).
    pub read_age_ns: Histogram<u64>,
}

/// What a state sample is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A server, by index.
    Server(u32),
    /// A client population, by index.
    Population(u32),
    /// A link, by index.
    Link(u32),
    /// A server's dependency caller, by index.
    Dependency(u32),
}

/// A sampled value: a word or a count. No heap, so sampling does not allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateValue {
    Word(&'static str),
    Count(u64),
}

/// The state of one thing at one sampling time, for `states.csv` (long format).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StateSample {
    pub time: SimTime,
    pub subject: Subject,
    pub state: &'static str,
    pub value: StateValue,
}

/// Something that happened to the world or to a mechanism, not to one request.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldEvent {
    pub time: SimTime,
    pub event: &'static str,
    pub subject: String,
    pub detail: String,
}

impl Recorder {
    /// `client_regions` are the regions that host client populations; `region_count` is the
    /// topology's number of regions.
    pub fn new(region_count: usize, client_regions: &[RegionId], count_from: SimTime, window: SimDuration) -> Self {
        assert!(window.0 > 0, "timeline window must be positive");
        let mut regions: Vec<RegionId> = client_regions.to_vec();
        regions.sort();
        regions.dedup();
        let mut record_of_region = vec![None; region_count];
        for (index, region) in regions.iter().enumerate() {
            record_of_region[region.0 as usize] = Some(index as u32);
        }
        let per_region = regions.iter().map(|_| Record::new()).collect();
        Recorder {
            regions,
            record_of_region,
            per_region,
            overall: Record::new(),
            count_from,
            window,
            window_start: SimTime::ZERO,
            timeline: Vec::new(),
            by_priority: [Counters::default(); 3],
            events: Vec::new(),
            states: Vec::new(),
            data: DataRecord { reads: Counters::default(), writes: Counters::default(), read_age_ns: latency_histogram(3) },
            periods: Vec::new(),
        }
    }

    /// Measures each period on its own.
    pub fn with_periods(mut self, periods: &[crate::sim::plan::PeriodPlan]) -> Self {
        for period in periods {
            let per_region = self.regions.iter().map(|_| Tally::new(3)).collect();
            self.periods.push(Period {
                name: period.name.clone(),
                span: period.span,
                ends_with_fault: period.ends_with_fault,
                overall: Tally::new(3),
                per_region,
            });
        }
        self
    }

    /// Applies `apply` to every tally a request issued at `issued` from `region` counts in: its
    /// region's and the overall record (the run and the timeline window) when it is measured,
    /// and those of the periods it was issued in. A loop with a closure, not an iterator chain:
    /// it runs for every request's start and end.
    #[inline]
    fn each_tally(&mut self, region: RegionId, issued: SimTime, mut apply: impl FnMut(&mut Tally)) {
        let index = self.index_of(region);
        if issued >= self.count_from {
            for record in [&mut self.overall, &mut self.per_region[index]] {
                apply(&mut record.total);
                apply(&mut record.window);
            }
        }
        for period in &mut self.periods {
            if period.span.contains(issued) {
                apply(&mut period.overall);
                apply(&mut period.per_region[index]);
            }
        }
    }

    fn index_of(&self, region: RegionId) -> usize {
        self.record_of_region[region.0 as usize].expect("requests only come from client regions") as usize
    }

    pub fn started(&mut self, region: RegionId, now: SimTime, priority: u8) {
        self.advance(now);
        if now >= self.count_from {
            self.by_priority[priority as usize].attempted += 1;
        }
        self.each_tally(region, now, |tally| tally.counters.attempted += 1);
    }

    pub fn ended(&mut self, region: RegionId, issued: SimTime, now: SimTime, ending: Ending, priority: u8) {
        self.advance(now);
        if issued >= self.count_from {
            self.by_priority[priority as usize].count(ending);
        }
        self.each_tally(region, issued, |tally| tally.end(ending));
    }

    /// A keyed request ended: counted as a read or a write, with its data's age if it read.
    pub fn data_ended(&mut self, issued: SimTime, op: crate::actors::messages::Op, ending: Ending, age: crate::actors::messages::Age) {
        if issued < self.count_from {
            return;
        }
        let counters = if op.is_write() { &mut self.data.writes } else { &mut self.data.reads };
        counters.attempted += 1;
        counters.count(ending);
        if !op.is_write() && matches!(ending, Ending::Succeeded(_)) {
            self.data.read_age_ns.saturating_record(age.duration().0.max(LATENCY_LOW_NS));
        }
    }

    /// Counts one more of a request's counters (retries, hedges), where the request counts.
    fn bump(&mut self, region: RegionId, issued: SimTime, now: SimTime, counter: fn(&mut Counters) -> &mut u64) {
        self.advance(now);
        self.each_tally(region, issued, |tally| *counter(&mut tally.counters) += 1);
    }

    pub fn retry(&mut self, region: RegionId, issued: SimTime, now: SimTime) {
        self.bump(region, issued, now, |c| &mut c.retries);
    }

    pub fn hedge(&mut self, region: RegionId, issued: SimTime, now: SimTime) {
        self.bump(region, issued, now, |c| &mut c.hedges);
    }

    /// Logs a breaker's change of state.
    pub fn breaker(&mut self, time: SimTime, label: &str, state: crate::actors::policy::BreakerState) {
        self.log(time, "breaker", label, state.as_str().to_string());
    }

    /// Records one state sample (for `states.csv`).
    pub fn sample(&mut self, time: SimTime, subject: Subject, state: &'static str, value: StateValue) {
        self.states.push(StateSample { time, subject, state, value });
    }

    /// Notes something that happened to the world or to a mechanism (for `events.csv`).
    pub fn log(&mut self, time: SimTime, event: &'static str, subject: &str, detail: String) {
        self.events.push(WorldEvent { time, event, subject: subject.to_string(), detail });
    }

    /// The latest closed timeline row of `scope` (all clients, or one client region), if it
    /// ends at `end`.
    pub fn row_ending_at(&self, end: SimTime, scope: Option<RegionId>) -> Option<&TimelineRow> {
        let scope = match scope {
            None => TimelineRow::ALL,
            Some(region) => self.record_of_region[region.0 as usize]?,
        };
        let latest = self.timeline.len().saturating_sub(1 + self.per_region.len());
        self.timeline[latest..].iter().find(|row| row.scope == scope && row.start + row.length == end)
    }

    /// A fault ended (or was called off) at `now`: the periods that end with it end now.
    pub fn end_periods_of_fault(&mut self, fault: u16, now: SimTime) {
        for period in self.periods.iter_mut().filter(|p| p.ends_with_fault == Some(fault)) {
            period.span.until = period.span.until.min(now).max(period.span.from);
        }
    }

    /// Closes every window that ends at or before `now`.
    pub fn advance(&mut self, now: SimTime) {
        while now >= self.window_start + self.window {
            self.close_window();
        }
    }

    fn close_window(&mut self) {
        let (start, length) = (self.window_start, self.window);
        let row = self.overall.close_window(start, length, TimelineRow::ALL);
        self.timeline.push(row);
        for index in 0..self.per_region.len() {
            let row = self.per_region[index].close_window(start, length, index as u32);
            self.timeline.push(row);
        }
        self.window_start = start + length;
    }

    /// Closes the last, possibly partial, window at the end of the run.
    pub fn finish(&mut self, end: SimTime) {
        self.advance(end);
        if end > self.window_start {
            let length = end.since(self.window_start);
            self.window = length;
            self.close_window();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_cause_and_honours_warmup() {
        let region = RegionId(1);
        let mut recorder = Recorder::new(3, &[region], SimTime(100), SimDuration(1_000_000_000));
        recorder.started(region, SimTime(50), 1); // warm-up: not counted
        recorder.ended(region, SimTime(50), SimTime(60), Ending::Timeout, 1);
        for (i, ending) in
            [Ending::Succeeded(SimDuration::from_millis(5)), Ending::Timeout, Ending::Rejected, Ending::Unreachable].into_iter().enumerate()
        {
            let t = SimTime(200 + i as u64);
            recorder.started(region, t, 1);
            recorder.ended(region, t, t, ending, 1);
        }
        let counters = recorder.overall.total.counters;
        assert_eq!(counters, Counters { attempted: 4, succeeded: 1, timeout: 1, rejected: 1, unreachable: 1, ..Counters::default() });
        assert_eq!(recorder.per_region[0].total.counters, counters);
        assert_eq!(recorder.overall.total.latency_ns.len(), 1);
        let p50 = recorder.overall.total.latency_ns.value_at_quantile(0.5) as f64;
        assert!((p50 - 5e6).abs() / 5e6 < 1e-3);
    }

    #[test]
    fn timeline_rows_cover_every_window() {
        let region = RegionId(0);
        let second = SimDuration::from_secs(1);
        let mut recorder = Recorder::new(1, &[region], SimTime::ZERO, second);
        recorder.started(region, SimTime(500), 1);
        recorder.ended(region, SimTime(500), SimTime(2_500_000_000), Ending::Succeeded(SimDuration::from_millis(2)), 1);
        recorder.finish(SimTime(3_200_000_000));
        let all: Vec<&TimelineRow> = recorder.timeline.iter().filter(|r| r.scope == TimelineRow::ALL).collect();
        assert_eq!(all.len(), 4, "windows [0,1) [1,2) [2,3) [3,3.2)");
        assert_eq!(all[0].counters.attempted, 1);
        assert_eq!(all[2].counters.succeeded, 1);
        assert!(all[1].p50_ms.is_none());
        assert_eq!(all[3].length, SimDuration(200_000_000));
    }
}
