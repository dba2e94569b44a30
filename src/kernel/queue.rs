//! The pending-event set, ordered by `(time, seq)`.
//!
//! **Ordering contract.** Events run in increasing time; events scheduled for the same time run in
//! the order they were scheduled (first-in first-out), because each event carries a sequence
//! number assigned when it is scheduled. This total order is what makes a run reproducible: it
//! never depends on heap internals, allocation addresses or hash order.
//!
//! The set is a 4-ary implicit min-heap, which does fewer cache-missing levels than a binary heap
//! for the same size. Each slot stores `time` and `seq` as two `u64`s (compared as one 128-bit
//! number, which compiles to a branch-free `cmp`/`sbb` pair) next to the target and message, so a
//! slot is 24 bytes for a message of at most 4 bytes. `pop` moves the hole left at the root straight
//! down to a leaf, promoting the smallest child at each level (picked without data-dependent
//! branches), then sifts the former last element up from there (Floyd's bottom-up variant): the
//! former last element almost always belongs near the bottom, so this saves one comparison per
//! level and the hard-to-predict early exit. It never shrinks its storage, so a steady-state run
//! does not allocate.

use super::time::SimTime;

/// Identifies the actor an event is delivered to. Dense, assigned by the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(pub u32);

/// A scheduled delivery of `msg` to `target` at `time`.
#[derive(Clone, Copy, Debug)]
pub struct Event<M> {
    pub time: SimTime,
    pub seq: u64,
    pub target: ActorId,
    pub msg: M,
}

#[derive(Clone, Copy)]
struct Slot<M> {
    time: u64,
    seq: u64,
    target: ActorId,
    msg: M,
}

impl<M: Copy> Slot<M> {
    /// The `(time, seq)` ordering key as one number, so comparisons are branch-free.
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }

    #[inline(always)]
    fn into_event(self) -> Event<M> {
        Event { time: SimTime(self.time), seq: self.seq, target: self.target, msg: self.msg }
    }
}

/// Min-heap of events keyed by `(time, seq)`.
pub struct EventQueue<M> {
    heap: Vec<Slot<M>>,
}

const ARITY: usize = 4;

impl<M: Copy> EventQueue<M> {
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue { heap: Vec::with_capacity(capacity) }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Bytes of storage currently reserved, for the memory-per-event figure of the benchmarks.
    pub fn reserved_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Slot<M>>()
    }

    #[inline]
    pub fn push(&mut self, event: Event<M>) {
        let slot = Slot { time: event.time.0, seq: event.seq, target: event.target, msg: event.msg };
        let index = self.heap.len();
        self.heap.push(slot);
        sift_up(&mut self.heap, index, slot);
    }

    /// The earliest event's time, without removing it.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|slot| SimTime(slot.time))
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Event<M>> {
        let last = self.heap.pop()?;
        let heap = &mut self.heap[..];
        let len = heap.len();
        if len == 0 {
            return Some(last.into_event());
        }
        let top = heap[0];
        // Phase 1: walk the hole at the root down to a leaf, promoting the smallest child.
        let mut hole = 0;
        loop {
            let first = hole * ARITY + 1;
            if let Some(children) = heap.get(first..first + ARITY) {
                let (k0, k1, k2, k3) = (children[0].key(), children[1].key(), children[2].key(), children[3].key());
                let (i01, k01) = if k1 < k0 { (1, k1) } else { (0, k0) };
                let (i23, k23) = if k3 < k2 { (3, k3) } else { (2, k2) };
                let best = first + if k23 < k01 { i23 } else { i01 };
                heap[hole] = heap[best];
                hole = best;
            } else {
                // A partial (last) group of children: they are leaves.
                if first < len {
                    let mut best = first;
                    let mut best_key = heap[first].key();
                    for (offset, slot) in heap[first + 1..len].iter().enumerate() {
                        let key = slot.key();
                        if key < best_key {
                            best = first + 1 + offset;
                            best_key = key;
                        }
                    }
                    heap[hole] = heap[best];
                    hole = best;
                }
                break;
            }
        }
        // Phase 2: the former last element fills the hole, moving up to where it belongs.
        sift_up(heap, hole, last);
        Some(top.into_event())
    }
}

/// Moves `moving` from the hole at `index` towards the root until its parent is not larger.
#[inline(always)]
fn sift_up<M: Copy>(heap: &mut [Slot<M>], mut index: usize, moving: Slot<M>) {
    let key = moving.key();
    while index > 0 {
        let parent = (index - 1) / ARITY;
        let above = heap[parent];
        if above.key() <= key {
            break;
        }
        heap[index] = above;
        index = parent;
    }
    heap[index] = moving;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::RngStreams;
    use rand::Rng;

    fn event(time: u64, seq: u64) -> Event<u32> {
        Event { time: SimTime(time), seq, target: ActorId(0), msg: seq as u32 }
    }

    #[test]
    fn pops_in_time_then_sequence_order() {
        let mut queue = EventQueue::with_capacity(0);
        let mut rng = RngStreams::new(3).stream("test", 0);
        let mut expected = Vec::new();
        for seq in 0..5_000u64 {
            let time = rng.next_u64() % 50; // many ties, to exercise the FIFO rule
            queue.push(event(time, seq));
            expected.push((time, seq));
        }
        expected.sort();
        let popped: Vec<(u64, u64)> = std::iter::from_fn(|| queue.pop()).map(|e| (e.time.0, e.seq)).collect();
        assert_eq!(popped, expected);
    }

    #[test]
    fn interleaved_push_and_pop_keep_the_order() {
        let mut queue = EventQueue::with_capacity(0);
        let mut rng = RngStreams::new(4).stream("test", 0);
        let mut now = 0;
        let mut seq = 0;
        for _ in 0..64 {
            queue.push(event(now, seq));
            seq += 1;
        }
        for _ in 0..20_000 {
            let next = queue.pop().unwrap();
            assert!(next.time.0 >= now, "time went back from {now} to {}", next.time.0);
            now = next.time.0;
            queue.push(event(now + rng.next_u64() % 100, seq));
            seq += 1;
        }
    }
}
