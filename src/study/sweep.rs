//! The sweep driver: a grid of [`Point`]s × [`RULES`] × seeds, run in parallel on std threads, with
//! a line-per-run cache (JSON lines) that a rerun with `resume` picks up after an interruption, and
//! shards (`i/N`) whose caches a merge step combines.
use super::{Point, RULES, Result, RunRecord, StudyError, run_one};
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A named grid of points with a number of seeds per (point, rule).
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// `quick` or `full`.
    pub name: String,
    /// The points, in order.
    pub points: Vec<Point>,
    /// Seeds 0 … seeds − 1 per (point, rule).
    pub seeds: u64,
}

/// One axis of a product grid: the values of a point along it.
type Axis<'a> = &'a dyn Fn(&Point) -> Vec<Point>;

fn product(base: &Point, axes: &[Axis]) -> Vec<Point> {
    let mut pts = vec![base.clone()];
    for axis in axes {
        pts = pts.iter().flat_map(axis).collect();
    }
    pts
}

impl Grid {
    /// The quick grid (20 seeds, K = 2000, T = 10): initial scale {0.1, 0.5, 1} × o ∈ {1, m} ×
    /// ŵ ∈ {0, 0.5} × η ∈ {0.05, 0.1} at n = 8, d = m = 4, expected updates: 24 points,
    /// 1 920 runs.
    pub fn quick() -> Self {
        let mut base = Point::base(2000);
        base.horizon = 10;
        let points = product(
            &base,
            &[
                &|p| {
                    [0.1, 0.5, 1.0]
                        .iter()
                        .map(|&s| Point {
                            init_std: s,
                            ..p.clone()
                        })
                        .collect()
                },
                &|p| [1, 4].iter().map(|&o| Point { o, ..p.clone() }).collect(),
                &|p| {
                    [0.0, 0.5]
                        .iter()
                        .map(|&w| Point {
                            w_hat: w,
                            ..p.clone()
                        })
                        .collect()
                },
                &|p| {
                    [0.05, 0.1]
                        .iter()
                        .map(|&eta| Point { eta, ..p.clone() })
                        .collect()
                },
            ],
        );
        Grid {
            name: "quick".into(),
            points,
            seeds: 20,
        }
    }

    /// The full grid (20 seeds, K = 4000, T = 10, n = 8, d = m = 4, Gaussian feedback, expected
    /// updates, constant η): initial scale {0.1, 0.3, 0.6, 1} × η ∈ {0.02, 0.05, 0.075, 0.1} ×
    /// o ∈ {1, 2, 4} × ŵ ∈ {0, 0.2, 0.5}: 144 points, 11 520 runs, about 10 minutes of CPU (a
    /// quarter of an hour of wall time on two shared cores).
    ///
    /// It is the earlier 592-point definition (47 360 runs at K = 8000, T = 20, also sweeping the
    /// schedule, n, the feedback's distribution and online / mini-batch updates) pruned around the
    /// settings the quick and focus grids found influential: the output dimension o, the initial
    /// scale and η (and ŵ, which sets where RFLO's branch lies). The pruned axes are held at the
    /// selected point's values. K = 4000 at a constant rate contains the K = 2000 runs of the
    /// quick and focus grids as its first half (expected updates are deterministic), so the
    /// criteria at K/4 and K/2 judge the same trajectories at 1000 and 2000 steps.
    pub fn full() -> Self {
        let mut base = Point::base(4000);
        base.horizon = 10;
        let points = product(
            &base,
            &[
                &|p| {
                    [0.1, 0.3, 0.6, 1.0]
                        .iter()
                        .map(|&s| Point {
                            init_std: s,
                            ..p.clone()
                        })
                        .collect()
                },
                &|p| {
                    [0.02, 0.05, 0.075, 0.1]
                        .iter()
                        .map(|&eta| Point { eta, ..p.clone() })
                        .collect()
                },
                &|p| {
                    [1, 2, 4]
                        .iter()
                        .map(|&o| Point { o, ..p.clone() })
                        .collect()
                },
                &|p| {
                    [0.0, 0.2, 0.5]
                        .iter()
                        .map(|&w| Point {
                            w_hat: w,
                            ..p.clone()
                        })
                        .collect()
                },
            ],
        );
        Grid {
            name: "full".into(),
            points,
            seeds: 20,
        }
    }

    /// The focus grid (20 seeds, K = 2000, T = 10, o = m = 4: the data-aligned teacher): initial
    /// scale {0.4, 0.5, 0.6} × η ∈ {0.075, 0.1} × ŵ ∈ {0, 0.1, …, 0.5}: 36 points, 2 880 runs, the
    /// neighbourhood of the quick grid's points closest to the paper's pattern.
    pub fn focus() -> Self {
        let mut base = Point::base(2000);
        base.horizon = 10;
        base.o = 4;
        let points = product(
            &base,
            &[
                &|p| {
                    [0.4, 0.5, 0.6]
                        .iter()
                        .map(|&s| Point {
                            init_std: s,
                            ..p.clone()
                        })
                        .collect()
                },
                &|p| {
                    [0.075, 0.1]
                        .iter()
                        .map(|&eta| Point { eta, ..p.clone() })
                        .collect()
                },
                &|p| {
                    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
                        .iter()
                        .map(|&w| Point {
                            w_hat: w,
                            ..p.clone()
                        })
                        .collect()
                },
            ],
        );
        Grid {
            name: "focus".into(),
            points,
            seeds: 20,
        }
    }

    /// A smoke grid (5 seeds, K = 2000, T = 10, η = 0.075, ŵ = 0.2, n = 8, d = m = 4, expected
    /// updates): o ∈ {1, 4} × initial scale {0.3, 0.6, 1}: 6 points, 120 runs, seconds on two
    /// cores. It spans the two settings that move the counts most (o and the initial scale)
    /// through the selected point ([`super::selected`]); its fractions are out of 5 seeds, so it
    /// shows where the counts change, not counts to compare with the paper's.
    pub fn mini() -> Self {
        let mut base = Point::base(2000);
        base.horizon = 10;
        base.eta = 0.075;
        base.w_hat = 0.2;
        let points = product(
            &base,
            &[
                &|p| [1, 4].iter().map(|&o| Point { o, ..p.clone() }).collect(),
                &|p| {
                    [0.3, 0.6, 1.0]
                        .iter()
                        .map(|&s| Point {
                            init_std: s,
                            ..p.clone()
                        })
                        .collect()
                },
            ],
        );
        Grid {
            name: "mini".into(),
            points,
            seeds: 5,
        }
    }

    /// The grid named `name` (`mini`, `quick`, `focus` or `full`).
    pub fn named(name: &str) -> Result<Self> {
        match name {
            "quick" => Ok(Self::quick()),
            "full" => Ok(Self::full()),
            "focus" => Ok(Self::focus()),
            "mini" => Ok(Self::mini()),
            other => Err(StudyError::Invalid {
                name: "grid".into(),
                reason: format!("unknown grid {other:?}; use mini, quick, focus or full"),
            }),
        }
    }

    /// Every job `(point index, rule, seed)` in a fixed order.
    pub fn jobs(&self) -> Vec<Job> {
        let mut out = Vec::new();
        for (i, _) in self.points.iter().enumerate() {
            for rule in RULES {
                for seed in 0..self.seeds {
                    out.push(Job {
                        point: i,
                        rule,
                        seed,
                    });
                }
            }
        }
        out
    }
}

/// One unit of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Index into [`Grid::points`].
    pub point: usize,
    /// Rule name.
    pub rule: &'static str,
    /// Seed.
    pub seed: u64,
}

/// A shard `index/count` (1-based index, as in a CI matrix or a job array).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1 … count.
    pub index: usize,
    /// Number of shards ≥ 1.
    pub count: usize,
}

impl Shard {
    /// The whole grid.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parses `i/N` with 1 ≤ i ≤ N.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || StudyError::Invalid {
            name: "shard".into(),
            reason: format!("{text:?} is not i/N with 1 ≤ i ≤ N (e.g. 2/8)"),
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether job number `k` (in [`Grid::jobs`] order) belongs to this shard (round robin, so
    /// every shard gets a similar mix of points).
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }

    /// The cache file name of this shard: `runs-i-of-N.jsonl`.
    pub fn file_name(&self) -> String {
        format!("runs-{}-of-{}.jsonl", self.index, self.count)
    }
}

/// The cache key of a run.
pub fn run_key(point: &str, rule: &str, seed: u64) -> String {
    format!("{point}|{rule}|{seed}")
}

/// Reads every `runs-*.jsonl` cache in `dir` (none is fine), skipping duplicate runs.
pub fn read_caches(dir: &Path) -> Result<Vec<RunRecord>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("runs-") && n.ends_with(".jsonl"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for f in files {
        let file = std::fs::File::open(&f).map_err(|source| StudyError::Io {
            path: f.display().to_string(),
            source,
        })?;
        let lines: Vec<String> = std::io::BufReader::new(file)
            .lines()
            .collect::<std::io::Result<_>>()
            .map_err(|source| StudyError::Io {
                path: f.display().to_string(),
                source,
            })?;
        let last = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let rec: RunRecord = match serde_json::from_str(&line) {
                Ok(r) => r,
                // The last line cut by an interruption: the run is simply redone.
                Err(_) if i + 1 == last => continue,
                Err(e) => {
                    return Err(StudyError::Parse {
                        path: f.display().to_string(),
                        line: i + 1,
                        reason: e.to_string(),
                    });
                }
            };
            if seen.insert(run_key(&rec.point, &rec.rule, rec.seed)) {
                out.push(rec);
            }
        }
    }
    Ok(out)
}

/// Removes a last line cut by an interruption (and ends the file with a newline), so that appended
/// runs start on a line of their own.
fn drop_cut_line(path: &Path) -> Result<()> {
    let io = |source| StudyError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    let mut lines: Vec<&str> = text.lines().collect();
    let cut = lines
        .last()
        .is_some_and(|l| serde_json::from_str::<RunRecord>(l).is_err());
    if cut {
        lines.pop();
    }
    if cut || !text.is_empty() && !text.ends_with('\n') {
        let mut fixed = lines.join("\n");
        if !fixed.is_empty() {
            fixed.push('\n');
        }
        std::fs::write(path, fixed).map_err(io)?;
    }
    Ok(())
}

/// What a sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepStats {
    /// Jobs of this shard.
    pub jobs: usize,
    /// Jobs found in the cache and skipped.
    pub cached: usize,
    /// Jobs run now.
    pub ran: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
}

/// Runs this shard's jobs of `grid` (optionally only `seeds` seeds) on `threads` threads, appending
/// each finished run to `dir/runs-i-of-N.jsonl`. With `resume`, runs already in any cache in `dir`
/// are skipped; without it, this shard's cache is started afresh. `progress(done, total)` is called
/// after every job (from worker threads).
pub fn run(
    grid: &Grid,
    dir: &Path,
    shard: Shard,
    resume: bool,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepStats> {
    for p in &grid.points {
        p.validate()?;
    }
    std::fs::create_dir_all(dir).map_err(|source| StudyError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let done: HashSet<String> = if resume {
        read_caches(dir)?
            .iter()
            .map(|r| run_key(&r.point, &r.rule, r.seed))
            .collect()
    } else {
        HashSet::new()
    };
    let keys: Vec<String> = grid.points.iter().map(Point::key).collect();
    let all = grid.jobs();
    let mine: Vec<Job> = all
        .iter()
        .enumerate()
        .filter(|(k, _)| shard.owns(*k))
        .map(|(_, j)| *j)
        .collect();
    let todo: Vec<Job> = mine
        .iter()
        .filter(|j| !done.contains(&run_key(&keys[j.point], j.rule, j.seed)))
        .copied()
        .collect();
    let path = dir.join(shard.file_name());
    if resume {
        drop_cut_line(&path)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(resume)
        .write(true)
        .truncate(!resume)
        .open(&path)
        .map_err(|source| StudyError::Io {
            path: path.display().to_string(),
            source,
        })?;
    let sink = Mutex::new(std::io::BufWriter::new(file));
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let first_error: Mutex<Option<StudyError>> = Mutex::new(None);
    let start = std::time::Instant::now();
    let threads = threads.max(1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = todo.get(k) else { break };
                    if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                        break;
                    }
                    let outcome =
                        run_one(&grid.points[job.point], job.rule, job.seed).and_then(|rec| {
                            let line =
                                serde_json::to_string(&rec).map_err(|e| StudyError::Invalid {
                                    name: "record".into(),
                                    reason: e.to_string(),
                                })?;
                            let mut w = sink.lock().map_err(|_| StudyError::Invalid {
                                name: "cache".into(),
                                reason: "a worker panicked while writing".into(),
                            })?;
                            writeln!(w, "{line}")
                                .and_then(|_| w.flush())
                                .map_err(|source| StudyError::Io {
                                    path: path.display().to_string(),
                                    source,
                                })
                        });
                    if let Err(e) = outcome {
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                        break;
                    }
                    let f = finished.fetch_add(1, Ordering::Relaxed) + 1;
                    progress(f, todo.len());
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(SweepStats {
        jobs: mine.len(),
        cached: mine.len() - todo.len(),
        ran: todo.len(),
        seconds: start.elapsed().as_secs_f64(),
        threads,
    })
}
