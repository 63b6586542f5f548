//! The one way sync spreads CPU work over the cores: a shared queue that idle threads take
//! small batches from (statements vary a lot in cost), results back in input order.

use std::sync::Mutex;

/// Items a thread takes per visit to the queue: few enough to balance uneven work, enough
/// that the lock is not the cost.
const BATCH: usize = 32;

/// `f` over `items` on up to `threads` threads, results in the order of `items`. Items are
/// moved into `f`, so each can free what it holds as soon as it is done. Small inputs stay
/// on this thread: spawning costs more than it saves.
pub(crate) fn map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let total = items.len();
    let threads = threads.min(total.div_ceil(BATCH));
    if threads <= 1 || total < 64 {
        return items.into_iter().map(f).collect();
    }
    let queue = Mutex::new(items.into_iter().enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            let taken: Vec<(usize, T)> = match queue.lock() {
                Ok(mut q) => q.by_ref().take(BATCH).collect(),
                Err(_) => return done,
            };
            if taken.is_empty() {
                return done;
            }
            done.extend(taken.into_iter().map(|(at, item)| (at, f(item))));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.sort_unstable_by_key(|(at, _)| *at);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The cores this machine offers.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_input_order_whatever_thread_ran_them() {
        let items: Vec<u64> = (0..10_000).collect();
        // Uneven work: some items cost far more than others.
        let out = super::map(items, 4, |i| {
            if i % 97 == 0 {
                (0..10_000u64).fold(i, |a, b| a.wrapping_add(b)) - 49_995_000
            } else {
                i
            }
        });
        assert_eq!(out, (0..10_000).collect::<Vec<u64>>());
        assert_eq!(super::map(vec![1, 2, 3], 8, |i| i * 2), vec![2, 4, 6]);
        assert!(super::map(Vec::<u8>::new(), 2, |i| i).is_empty());
    }
}
