//! The convergence study's quick grid (24 points × 4 rules × 20 seeds = 1 920 runs of K = 2000
//! expected steps at T = 10) as `lro experiment convergence --grid quick` runs it: the parallel
//! sweep on all cores writing its cache, then the analysis of the cache (no SVG). One iteration is
//! the whole grid, so the sample is small (10 iterations, about five minutes on two cores).
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use lro::study::analysis::analyse;
use lro::study::sweep::{self, Grid, Shard, read_caches};
use std::hint::black_box;
use std::time::Duration;

fn quick_grid(c: &mut Criterion) {
    let grid = Grid::quick();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let dir = std::env::temp_dir().join(format!("lro-bench-study-{}", std::process::id()));
    let mut group = c.benchmark_group("study");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    group.bench_function(format!("quick_grid_1920_runs_{threads}_threads"), |b| {
        b.iter(|| {
            let stats = sweep::run(&grid, &dir, Shard::ALL, false, threads, &|_, _| {})
                .expect("the quick grid runs");
            let records = read_caches(&dir).expect("the cache reads back");
            black_box((stats.ran, analyse(&records).runs))
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, quick_grid);
criterion_main!(benches);
