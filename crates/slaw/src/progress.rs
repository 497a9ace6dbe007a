//! How a long computation reports its progress to whoever shows it: the
//! library itself shows nothing. A step announces how many units it has
//! (datasets x budgets, curves, repeats), then each unit done ticks, from
//! any thread.

/// Receives the progress of a long computation (benchmarks, protocols).
pub trait Progress: Sync {
    /// A step named `what` of `total` units begins (it replaces the last).
    fn start(&self, what: &str, total: usize) {
        let _ = (what, total);
    }
    /// One unit of the current step is done.
    fn tick(&self) {}
}

/// No one watching: every report is dropped.
impl Progress for () {}

/// `f()`, then one tick of `progress`: a unit of work counted as done.
pub fn counted<T>(progress: &dyn Progress, f: impl FnOnce() -> T) -> T {
    let out = f();
    progress.tick();
    out
}

/// Progress kept as counts, for callers that poll it (and for tests): the
/// steps announced, with their totals, and the ticks of the current step.
#[derive(Debug, Default)]
pub struct Count {
    steps: std::sync::Mutex<Vec<(String, usize)>>,
    ticks: std::sync::atomic::AtomicUsize,
}

impl Count {
    /// The steps announced so far: (name, total), in order.
    pub fn steps(&self) -> Vec<(String, usize)> {
        self.steps.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Units done in the current step.
    pub fn ticks(&self) -> usize {
        self.ticks.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Progress for Count {
    fn start(&self, what: &str, total: usize) {
        if let Ok(mut s) = self.steps.lock() {
            s.push((what.to_string(), total));
        }
        self.ticks.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    fn tick(&self) {
        self.ticks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_restart_with_each_step() {
        let c = Count::default();
        let p: &dyn Progress = &c;
        p.start("a", 3);
        (0..3).for_each(|_| p.tick());
        assert_eq!(c.ticks(), 3);
        p.start("b", 5);
        assert_eq!(c.ticks(), 0);
        p.tick();
        assert_eq!(c.ticks(), 1);
        assert_eq!(c.steps(), vec![("a".to_string(), 3), ("b".to_string(), 5)]);
        // The silent one accepts the same calls.
        ().start("x", 1);
        ().tick();
    }
}
