//! Independent jobs on every core, results in the jobs' order: the Monte-Carlo rows of the
//! contrastive summary and the oracle's batch samples. Each job runs with the caller's fault
//! ([`faults::carried`]), so fault-injection tests see it on every thread.
use crate::faults;
use std::sync::Mutex;

/// `f` applied to every item, on up to `available_parallelism` threads (each takes the next item
/// not yet started, so uneven jobs balance), returned in the items' order. One thread, or one
/// item, runs in the caller's thread. A panic in a job is re-raised here.
pub fn map_in_order<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = Mutex::new(0usize);
    let results = Mutex::new((0..items.len()).map(|_| None).collect::<Vec<Option<R>>>());
    std::thread::scope(|scope| {
        let (f, next, results) = (&f, &next, &results);
        for _ in 0..workers {
            scope.spawn(faults::carried(move || {
                loop {
                    let i = {
                        let mut k = next.lock().unwrap_or_else(|e| e.into_inner());
                        *k += 1;
                        *k - 1
                    };
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            }));
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every item ran: a job that panicked re-raised in the scope"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Fault;

    #[test]
    fn results_come_back_in_order_with_the_callers_fault() {
        let items: Vec<u64> = (0..37).collect();
        let f = Fault::ALL[0];
        let got = faults::inject(f, || {
            map_in_order(&items, |&k| {
                // Uneven work, so that the threads finish out of order.
                let spin = (k % 5) * 20_000;
                let mut x = k;
                for _ in 0..spin {
                    x = std::hint::black_box(x);
                }
                (x * x, faults::active(f))
            })
        });
        let want: Vec<(u64, bool)> = items.iter().map(|&k| (k * k, true)).collect();
        assert_eq!(got, want);
    }
}
