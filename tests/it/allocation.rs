//! The hot path does not allocate per event: doubling a run's length must not double its
//! allocations. A counting allocator (per thread, so parallel tests do not interfere) measures it.

use crate::support::repo_path;
use planetsim::kernel::SimDuration;
use planetsim::{scenario, sim};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// (allocations, events) of the quickstart run for `seconds` of arrivals.
fn measure(seconds: u64) -> (u64, u64) {
    let mut plan = scenario::load_scenario(&repo_path("scenarios/quickstart.yaml")).unwrap();
    plan.duration = SimDuration::from_secs(seconds);
    let before = ALLOCATIONS.with(Cell::get);
    let result = sim::run(&plan);
    let allocations = ALLOCATIONS.with(Cell::get) - before;
    (allocations, result.outcome.events)
}

#[test]
fn longer_runs_do_not_allocate_per_event() {
    let (short_allocations, short_events) = measure(30);
    let (long_allocations, long_events) = measure(90);
    let extra_events = long_events - short_events;
    let extra_allocations = long_allocations.saturating_sub(short_allocations);
    assert!(extra_events > 1_000_000, "the runs are long enough to tell: {extra_events} extra events");
    // Timeline rows grow one Vec (amortised doubling) and queues may grow once more: a handful of
    // allocations, where per-event allocation would add millions.
    assert!(
        extra_allocations * 10_000 < extra_events,
        "{extra_allocations} more allocations for {extra_events} more events ({short_allocations} → {long_allocations})"
    );
}
