//! Cost per step of the online-learning family against n: time (criterion) and peak heap memory
//! (a counting allocator), for one sample of T = 10 steps in a leaky-tanh network (o = 2, d = 4,
//! f64, final-step loss, variance-minimising scalars for the stochastic rules, KeRNL frozen at
//! β = I, γ = α, efficient and future BPTT with k = 3).
//!
//! `cargo bench --bench family` runs criterion over every rule and size, then writes
//! `docs/measurements/family-costs.json`: for each (rule, n) the minimum over criterion's samples
//! of the time per step, and the peak number of heap bytes one update allocates beyond what was live
//! before it. The report's section "Online-learning family" fits the exponents from that file and
//! sets them beside the costs derived in `docs/theory/costs.md`. A filtered run (`-- NAME`) times
//! only some rules and leaves the file alone.
use criterion::{BenchmarkId, Criterion};
use lro::rnn::{Rnn, inputs};
use lro::rules::uoro::Scaling;
use lro::rules::{
    Feedback, Loss, Rule, Update, kernl, kf_rtrl, online, reverse_kf_rtrl, snap, uoro,
    windowed_bptt,
};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const O: usize = 2;
const D: usize = 4;
/// Steps per sample; times are divided by it.
const T: usize = 10;
/// Window (efficient BPTT) and horizon (future BPTT) k.
const WINDOW: usize = 3;
/// Sizes of the rules whose cost per step is at most cubic. Below n ≈ 100 the per-step fixed
/// costs and the stored trajectory (about 10·T scalars per unit) still show, so the sizes go on to
/// 512 and the report fits the largest four.
const SIZES: &[usize] = &[16, 32, 64, 128, 256, 512];
/// Sizes of SnAp-1, which stores RTRL's full n × n(n + d) influence matrix (n⁴ time per step:
/// about 3·10⁸ multiply-adds per step at n = 128, 17 MB for the matrix). RTRL itself runs its
/// factored form at T = 10 (`docs/theory/linear-rnn.md#rtrl-factored`: T n³ time, T n² memory)
/// and takes the cubic rules' sizes.
const DENSE_SIZES: &[usize] = &[8, 16, 32, 64, 128];

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are only read.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grow(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes `f` allocates beyond those live when it starts.
fn peak_bytes(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - base
}

struct Setup {
    net: Rnn<f64>,
    r: DMatrix<f64>,
    xs: Vec<DVector<f64>>,
    ys: Vec<DVector<f64>>,
    /// UORO's signs (n per step).
    nu: Vec<DVector<f64>>,
    /// KF-RTRL's sign pairs.
    pairs: Vec<DVector<f64>>,
}

fn signs(rng: &mut ChaCha8Rng, len: usize) -> Vec<DVector<f64>> {
    (0..T)
        .map(|_| DVector::from_fn(len, |_, _| if rng.random::<bool>() { 1.0 } else { -1.0 }))
        .collect()
}

fn setup(n: usize) -> Setup {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    let mut g = |r: usize, c: usize, s: f64| {
        DMatrix::from_fn(r, c, |_, _| s * rng.sample::<f64, _>(StandardNormal))
    };
    let s = 1.0 / (n as f64).sqrt();
    let net = Rnn::new(g(O, n, s), g(n, n, 0.8 * s), g(n, D, 1.0))
        .and_then(|net| net.with_leak(0.5))
        .map(|net| net.with_activation(lro::rnn::Activation::Tanh))
        .expect("valid network");
    let r = g(O, n, s);
    let mut data = ChaCha8Rng::seed_from_u64(7);
    let xs = inputs::white_noise(D, T, &mut data);
    let ys = inputs::white_noise(O, T, &mut data);
    let nu = signs(&mut data, n);
    let pairs = signs(&mut data, 2);
    Setup {
        net,
        r,
        xs,
        ys,
        nu,
        pairs,
    }
}

/// A rule of the family as benchmarked: its name and its update on a setup.
struct Member {
    name: &'static str,
    dense: bool,
    run: fn(&Setup) -> Update<f64>,
}

fn rule(s: &Setup, rule: &Rule<f64>) -> Update<f64> {
    online::update(rule, &s.net, &s.xs, &s.ys, Loss::Final).expect("valid setup")
}

const MEMBERS: &[Member] = &[
    Member {
        name: "bptt",
        dense: false,
        run: |s| rule(s, &Rule::Bptt),
    },
    Member {
        name: "rflo",
        dense: false,
        run: |s| {
            rule(
                s,
                &Rule::Rflo {
                    feedback: s.r.clone(),
                    w_hat: 0.5,
                },
            )
        },
    },
    Member {
        name: "eprop-random",
        dense: false,
        run: |s| {
            rule(
                s,
                &Rule::Eprop {
                    feedback: Feedback::Random(s.r.clone()),
                },
            )
        },
    },
    Member {
        name: "uoro",
        dense: false,
        run: |s| {
            uoro::update(
                &s.net,
                &s.xs,
                &s.ys,
                Loss::Final,
                &s.nu,
                Scaling::VarianceMin,
            )
            .expect("valid setup")
        },
    },
    Member {
        name: "kf-rtrl",
        dense: false,
        run: |s| {
            kf_rtrl::update(
                &s.net,
                &s.xs,
                &s.ys,
                Loss::Final,
                &s.pairs,
                Scaling::VarianceMin,
            )
            .expect("valid setup")
        },
    },
    Member {
        name: "reverse-kf-rtrl",
        dense: false,
        run: |s| {
            reverse_kf_rtrl::update(
                &s.net,
                &s.xs,
                &s.ys,
                Loss::Final,
                &s.nu,
                Scaling::VarianceMin,
            )
            .expect("valid setup")
        },
    },
    Member {
        name: "kernl",
        dense: false,
        run: |s| {
            let k = kernl::Kernel::identity(s.net.n(), *s.net.alpha());
            kernl::update(&s.net, &s.xs, &s.ys, Loss::Final, &k).expect("valid setup")
        },
    },
    Member {
        name: "efficient-bptt",
        dense: false,
        run: |s| {
            windowed_bptt::efficient_update(&s.net, &s.xs, &s.ys, Loss::Final, WINDOW)
                .expect("valid setup")
        },
    },
    Member {
        name: "future-bptt",
        dense: false,
        run: |s| {
            windowed_bptt::future_update(&s.net, &s.xs, &s.ys, Loss::Final, WINDOW)
                .expect("valid setup")
        },
    },
    Member {
        name: "rtrl",
        dense: false,
        run: |s| rule(s, &Rule::Rtrl),
    },
    Member {
        name: "snap-1",
        dense: true,
        run: |s| snap::update(&s.net, &s.xs, &s.ys, Loss::Final, 1).expect("valid setup"),
    },
];

/// Where criterion writes its results.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The minimum over criterion's samples of the time per iteration, in seconds (`None` when the
/// benchmark did not run in this invocation).
fn min_seconds(name: &str, n: usize) -> Option<f64> {
    #[derive(serde::Deserialize)]
    struct Sample {
        iters: Vec<f64>,
        times: Vec<f64>,
    }
    let path = target_dir()
        .join("criterion")
        .join("family")
        .join(name)
        .join(n.to_string())
        .join("new")
        .join("sample.json");
    let s: Sample = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    s.iters
        .iter()
        .zip(&s.times)
        .map(|(i, t)| t / i * 1e-9)
        .reduce(f64::min)
}

/// Today's date (UTC) from the system clock, as YYYY-MM-DD (civil-from-days).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn main() {
    let mut c = Criterion::default()
        .without_plots()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let mut rows = Vec::new();
    let mut complete = true;
    {
        let mut group = c.benchmark_group("family");
        for m in MEMBERS {
            let sizes = if m.dense { DENSE_SIZES } else { SIZES };
            for &n in sizes {
                let s = setup(n);
                group.bench_with_input(BenchmarkId::new(m.name, n), &n, |b, _| {
                    b.iter(|| black_box((m.run)(&s)))
                });
                let bytes = peak_bytes(|| {
                    black_box((m.run)(&s));
                });
                match min_seconds(m.name, n) {
                    Some(sec) => rows.push(serde_json::json!({
                        "rule": m.name,
                        "n": n,
                        "seconds_per_step": sec / T as f64,
                        "peak_bytes": bytes,
                    })),
                    None => complete = false,
                }
            }
        }
        group.finish();
    }
    c.final_summary();
    if !complete || std::env::args().any(|a| a == "--list" || a == "--test") {
        eprintln!(
            "family: not every rule and size was timed; docs/measurements/family-costs.json left alone"
        );
        return;
    }
    let out = serde_json::json!({
        "command": "cargo bench --bench family",
        "measured_on": today(),
        "cores": std::thread::available_parallelism().map_or(0, |p| p.get()),
        "horizon": T,
        "o": O,
        "d": D,
        "network": "leaky tanh (α = ½), W ~ N(0, 0.8²/n), f64, final-step loss",
        "time": "minimum over criterion's samples of the time per update, divided by T",
        "memory": "peak heap bytes one update allocates beyond those live before it",
        "rows": rows,
    });
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/measurements/family-costs.json");
    let text = serde_json::to_string_pretty(&out).expect("serialisable") + "\n";
    if let Err(e) = std::fs::create_dir_all(path.parent().expect("has a parent"))
        .and_then(|()| std::fs::write(&path, text))
    {
        eprintln!("family: could not write {}: {e}", path.display());
    } else {
        eprintln!("family: wrote {}", path.display());
    }
}
