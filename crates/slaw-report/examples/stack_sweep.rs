//! The Chinchilla kernel's CPU time per point against the stack address it
//! runs at (issue 22, branch `k240`). The same call is made from under
//! 0, 1, 2, ... extra frames of a recursive padding function, which moves
//! the kernel's stack frame through every offset of a 4 KiB page in steps
//! of one padding frame; each offset keeps the fastest of `reps` timings
//! (CPU time of this thread, ~0.5e6 points each), so load on a shared
//! machine drops out. Prints the spread over the offsets, then one line per
//! offset (the padding's address mod 4096, ns per point).
//!
//! cargo run --release -p slaw-report --example stack_sweep -- [points=240] [reps=30] [data=../shared/data]
use slaw::law::catalog;
use slaw::objective::{Loss, Objective, Space};
use std::path::Path;

fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Calls `f` with the address of a local under `k` more frames of itself.
#[inline(never)]
fn padded(k: usize, f: &mut dyn FnMut(usize) -> f64) -> f64 {
    let a = [0u8; 16];
    std::hint::black_box(&a);
    if k == 0 {
        f(&a as *const _ as usize)
    } else {
        padded(k - 1, f) + std::hint::black_box(0.0)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(240, |s| s.parse().expect("points"));
    let reps: usize = args.get(2).map_or(30, |s| s.parse().expect("reps"));
    let data = args.get(3).map_or("../shared/data", |s| s.as_str());
    let law = catalog::chinchilla();
    let file = Path::new(data).join("chinchilla/svg_extracted_data.csv");
    let full = slaw::datasets::chinchilla(&file, 5).expect("the Chinchilla data");
    // n points: the 240 runs, repeated as needed.
    let obs = full.subset(&(0..n).map(|i| i % full.len()).collect::<Vec<_>>());
    let objective = Objective::new(&law, &obs, Loss::Huber { delta: 1e-3 }, Space::Log);
    let u = law.grid()[0].clone();
    let mut g = vec![0.0; u.len()];
    let calls = (480_000 / n).max(1);
    let (mut a0, mut a1) = (0, 0);
    padded(0, &mut |a| {
        a0 = a;
        0.0
    });
    padded(1, &mut |a| {
        a1 = a;
        0.0
    });
    let frame = a0 - a1;
    let steps = 4096 / frame + 1;
    let mut best = vec![f64::INFINITY; steps];
    let mut at = vec![0usize; steps];
    for _ in 0..reps {
        for k in 0..steps {
            let t = padded(k, &mut |a| {
                at[k] = a % 4096;
                let c = thread_cpu_seconds();
                let mut s = 0.0;
                for _ in 0..calls {
                    s += objective.value_grad(std::hint::black_box(&u), &mut g);
                }
                std::hint::black_box(s);
                (thread_cpu_seconds() - c) * 1e9 / (calls * n) as f64
            });
            best[k] = best[k].min(t);
        }
    }
    let mut sorted = best.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{n} points, padding frame {frame} bytes, {steps} stack offsets, fastest of {reps} each: \
         ns per point min {:.3}, median {:.3}, max {:.3}; offsets > 5% above the min: {}",
        sorted[0],
        sorted[steps / 2],
        sorted[steps - 1],
        sorted.iter().filter(|&&t| t > 1.05 * sorted[0]).count()
    );
    for (a, t) in at.iter().zip(&best) {
        println!("{a:5} {t:.3}");
    }
}
