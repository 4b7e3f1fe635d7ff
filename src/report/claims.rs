//! The report's headline section: the seed papers' main claims, the catalogue entries behind each,
//! and a one-line verdict computed from those entries' results.
//!
//! A claim is stated in lro's words with the provenance of its source (the papers' full texts were
//! not available: `[paper]` is the abstract or opening, `[notes]` a public summary; where a claim is
//! lro's reading of a summary sentence the source says so). Its verdict is computed, never written
//! by hand:
//!
//! - **holds**: every listed entry ran and passed;
//! - **holds on k of n entries**: every entry that ran passed, some were not run (e.g. `--only`);
//! - **fails**: at least one listed entry ran and failed (the failing ids are named);
//! - **not checked**: none of the listed entries ran.
//!
//! The theory behind each claim is linked by page and anchor under `docs/theory/`
//! ([`THEORY_BASE`] relative to a report written in `./lro-report` of a checkout; use
//! [`headline_with_base`] for another location).

use super::{EntryResult, Report};
use serde::Serialize;
use std::fmt::{self, Write};

/// Where `docs/theory/` is seen from a report written into `./lro-report` of a checkout.
pub const THEORY_BASE: &str = "../docs/theory/";

/// A seed paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Paper {
    /// Williams, Payeur & Lajoie (ICML 2026): local approximations to gradient learning in linear
    /// RNNs.
    LinearRnn,
    /// Williams, Bredenberg & Lajoie (ICML 2023): flexible phase dynamics for contrastive learning.
    Contrastive,
}

impl Paper {
    /// Both papers, in report order.
    pub const ALL: [Paper; 2] = [Paper::LinearRnn, Paper::Contrastive];

    /// The citation shown as the section's heading.
    pub fn citation(self) -> &'static str {
        match self {
            Paper::LinearRnn => {
                "Williams, Payeur & Lajoie (ICML 2026), \"Dynamics and Representation Structure of \
                 Local Approximations to Gradient-Based Learning in Linear Recurrent Neural Networks\""
            }
            Paper::Contrastive => {
                "Williams, Bredenberg & Lajoie (ICML 2023), \"Flexible Phase Dynamics for \
                 Bio-Plausible Contrastive Learning\""
            }
        }
    }
}

/// One main claim of a seed paper and the entries that check it.
#[derive(Clone, Copy, Debug)]
pub struct Claim {
    /// The paper it comes from.
    pub paper: Paper,
    /// The claim, in lro's words.
    pub text: &'static str,
    /// Where the claim comes from (provenance tags, and "lro's reading" where it is an
    /// interpretation).
    pub source: &'static str,
    /// The theory page and anchor, relative to `docs/theory/`.
    pub theory: &'static str,
    /// Catalogue ids whose results decide the verdict.
    pub entries: &'static [&'static str],
}

/// The claims, in report order.
pub const CLAIMS: &[Claim] = &[
    // ---- Williams, Payeur & Lajoie 2026 ----
    Claim {
        paper: Paper::LinearRnn,
        text: "RFLO's learned change has rank ≤ o: W_K − W_0 and B_K − B_0 lie in col(Rᵀ), for any \
               data, initialisation and schedule, aligned or not (Proposition 3.1); the readout is \
               not constrained",
        source: "[paper; notes] statement; [derived] proof",
        theory: "lowrank.md#statement",
        entries: &["P-RNN-35.a", "P-RNN-35.b", "P-RNN-35.c", "P-RNN-35.d"],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "Other rules escape that bound: BPTT's change is generically of rank > o, e-prop's \
               exceeds o inside its Krylov space, one-step tBPTT with A frozen stays ≤ o",
        source: "[notes] (Fig. 6); [derived] bounds",
        theory: "lowrank.md#other-rules",
        entries: &["P-RNN-36", "P-RNN-37"],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "In the student–teacher experiment BPTT and one-step tBPTT converge on every run \
               while RFLO and e-prop fail on some (13/20 and 12/20 converged), and RFLO's learned \
               change has rank ≤ o",
        source: "[notes] (main experiment, Fig. 6); settings chosen by the project",
        theory: "linear-rnn.md#experiments",
        entries: &["EXP-RNN-6"],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "Under data alignment learning splits into independent modes, and the rules keep \
               the alignment at every step",
        source: "[paper; notes]; [derived] per-mode forms",
        theory: "linear-rnn.md#data-alignment",
        entries: &[
            "P-RNN-12",
            "P-RNN-13",
            "P-RNN-14",
            "P-RNN-14.a",
            "P-RNN-15",
            "P-RNN-15.a",
            "P-RNN-16",
            "P-RNN-16.a",
        ],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "BPTT, tBPTT and RFLO have different fixed points: all share the optimal manifold \
               ab = c*, w = w*; only BPTT and tBPTT have the non-optimal saddle line a = b = 0",
        source: "[notes]; [derived] completeness and eigenvalues",
        theory: "modes.md#fixed-points",
        entries: &[
            "P-RNN-17",
            "P-RNN-17.a",
            "P-RNN-17.b",
            "P-RNN-18",
            "P-RNN-18.a",
            "P-RNN-19",
            "P-RNN-26",
            "P-RNN-26.a",
        ],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "BPTT and one-step tBPTT are stable along the whole optimal manifold (tBPTT = BPTT \
               at w* = 0); RFLO is stable only where â s > 0 and a saddle or unstable elsewhere",
        source: "[notes]; [derived] Jacobians and sign conditions",
        theory: "modes.md#stability",
        entries: &[
            "P-RNN-20",
            "P-RNN-20.a",
            "P-RNN-20.b",
            "P-RNN-21",
            "P-RNN-21.a",
            "P-RNN-22",
            "P-RNN-22.a",
            "P-RNN-23",
            "P-RNN-23.a",
            "P-RNN-24",
            "P-RNN-25",
        ],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "BPTT converges slowest at the balanced point s = ±√|c*|; RFLO is faster than BPTT \
               only as s → 0",
        source: "[notes]; [derived] rate formulas",
        theory: "modes.md#rates",
        entries: &["P-RNN-27", "P-RNN-28"],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "RFLO takes a detour to the branch sgn(s) = sgn(â), even from a start nearer the \
               other branch (Fig. 4)",
        source: "[notes]; [derived] branch condition",
        theory: "modes.md#trajectories",
        entries: &["P-RNN-32", "EXP-RNN-4"],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "The rules' learning flows differ beyond their fixed points: BPTT conserves \
               a² − b², one-step tBPTT a² − b² − w², and from a balanced start with c* < 0 only \
               BPTT stalls",
        source: "[derived] (not in the summary)",
        theory: "modes.md#conservation",
        entries: &[
            "P-RNN-29",
            "P-RNN-29.a",
            "P-RNN-30",
            "P-RNN-30.a",
            "P-RNN-31",
            "P-RNN-33",
        ],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "A non-aligned student becomes aligned during training, and the per-mode ODE \
               predicts its dominant modes",
        source: "[notes]",
        theory: "linear-rnn.md#experiments",
        entries: &["EXP-RNN-5"],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "The rank of the learned solution goes with its performance",
        source: "[notes] (Supp. Fig. 10)",
        theory: "lowrank.md#experiments",
        entries: &["EXP-RNN-10"],
    },
    Claim {
        paper: Paper::LinearRnn,
        text: "Groundwork: the rules are implemented as defined — BPTT is the exact gradient, RTRL \
               equals BPTT, the rules coincide where theory says they must, online means converge \
               to the expected updates",
        source: "[derived; standard]",
        theory: "linear-rnn.md#identities",
        entries: &[
            "P-RNN-1", "P-RNN-2", "P-RNN-3", "P-RNN-4", "P-RNN-5", "P-RNN-6", "P-RNN-7", "P-RNN-8",
            "P-RNN-9", "P-RNN-10", "P-RNN-11", "P-RNN-34",
        ],
    },
    // ---- Williams, Bredenberg & Lajoie 2023 ----
    Claim {
        paper: Paper::Contrastive,
        text: "Contrastive learning converges with temporally local updates, random phase lengths \
               and random phase order, without learning-rate modulation (to an O(τ_mix / mean \
               length) neighbourhood of the CL solution)",
        source: "[paper; notes]; lro's theorem CL-T2 [derived, unchecked]",
        theory: "contrastive.md#cl-t2",
        entries: &["CL-T2", "P-CL-11", "P-CL-15", "P-CL-16", "P-CL-18"],
    },
    Claim {
        paper: Paper::Contrastive,
        text: "The temporally local estimator (Eq.3-R) follows the CL direction, scaled by the \
               time fractions, and agrees with the standard two-phase estimator (Eq.2-R) for \
               slow learning up to the transient factor κ",
        source: "[notes] (Fig. 1); [derived] mean field, κ",
        theory: "contrastive.md#mean-field",
        entries: &["P-CL-7", "P-CL-7.ws", "P-CL-10", "P-CL-12"],
    },
    Claim {
        paper: Paper::Contrastive,
        text: "Random phase lengths and order remove periodicity while keeping the time fractions \
               the renewal and Markov formulas give",
        source: "[notes] (Fig. 1B); [standard] time fractions",
        theory: "contrastive.md#phase-processes",
        entries: &["P-CL-5", "P-CL-6"],
    },
    Claim {
        paper: Paper::Contrastive,
        text: "Unequal phase time without importance weights learns another objective; importance \
               weights restore the CL solution",
        source: "[derived] (lro's reading of the IS estimator's purpose)",
        theory: "contrastive.md#gaussian-toy",
        entries: &["P-CL-13", "P-CL-18"],
    },
    Claim {
        paper: Paper::Contrastive,
        text: "The importance-sampling estimator (IS-R) is unbiased",
        source: "[notes] name; [assumed] definition; [derived] property",
        theory: "contrastive.md#is-r",
        entries: &["P-CL-1", "P-CL-2", "P-CL-14"],
    },
    Claim {
        paper: Paper::Contrastive,
        text: "Unequal phase time can be optimal: the variance-optimal positive-phase share is \
               √M⁺/(√M⁺ + √M⁻), equal to ½ only when M⁺ = M⁻",
        source: "[notes]; lro's reading [derived]",
        theory: "contrastive.md#is-r",
        entries: &["P-CL-3", "P-CL-4", "P-CL-14"],
    },
    Claim {
        paper: Paper::Contrastive,
        text: "Models the theory applies to behave as the standard results say: EP's one-sided \
               estimate is O(β) and its symmetric one O(β²); CHL becomes backprop as feedback \
               weakens; the Boltzmann machine's contrastive gradient is exact",
        source: "[standard]",
        theory: "contrastive.md#standard-oracles",
        entries: &[
            "P-CL-8", "P-CL-8.b", "P-CL-9", "P-CL-17", "P-CL-19", "P-CL-20",
        ],
    },
];

/// A claim's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every listed entry ran and passed.
    Holds,
    /// Every entry that ran passed; `checked` of `of` entries ran.
    HoldsPartly {
        /// Entries that ran.
        checked: usize,
        /// Entries listed.
        of: usize,
    },
    /// At least one listed entry failed.
    Fails {
        /// The failing ids, in the claim's order.
        failed: Vec<String>,
    },
    /// None of the listed entries ran.
    NotChecked,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Holds => f.write_str("holds"),
            Verdict::HoldsPartly { checked, of } => {
                write!(f, "holds on {checked} of {of} entries (the rest not run)")
            }
            Verdict::Fails { failed } => write!(f, "fails: {}", failed.join(", ")),
            Verdict::NotChecked => f.write_str("not checked"),
        }
    }
}

fn passed(e: &EntryResult) -> bool {
    e.status == "pass"
}

/// The verdict of one claim from a report's entries.
pub fn verdict(claim: &Claim, report: &Report) -> Verdict {
    let ran: Vec<&EntryResult> = claim
        .entries
        .iter()
        .filter_map(|id| report.entries.iter().find(|e| e.id == *id))
        .collect();
    let failed: Vec<String> = ran
        .iter()
        .filter(|e| !passed(e))
        .map(|e| e.id.clone())
        .collect();
    if !failed.is_empty() {
        Verdict::Fails { failed }
    } else if ran.is_empty() {
        Verdict::NotChecked
    } else if ran.len() < claim.entries.len() {
        Verdict::HoldsPartly {
            checked: ran.len(),
            of: claim.entries.len(),
        }
    } else {
        Verdict::Holds
    }
}

/// One claim with its verdict, as written to `report.json`.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimResult {
    /// The paper.
    pub paper: Paper,
    /// The paper's citation (the heading report.md shows).
    pub citation: String,
    /// The claim.
    pub claim: String,
    /// Its source and provenance.
    pub source: String,
    /// Theory page and anchor, relative to `docs/theory/`.
    pub theory: String,
    /// The entries behind it.
    pub entries: Vec<String>,
    /// The verdict: `"verdict"` is `holds`, `holds-partly` (with `checked` and `of`), `fails`
    /// (with `failed`, the failing ids) or `not-checked`.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The verdict as the one line report.md shows.
    pub verdict_line: String,
}

/// Every claim with its verdict, in report order.
pub fn claims(report: &Report) -> Vec<ClaimResult> {
    CLAIMS
        .iter()
        .map(|c| ClaimResult {
            paper: c.paper,
            citation: c.paper.citation().into(),
            claim: c.text.into(),
            source: c.source.into(),
            theory: c.theory.into(),
            entries: c.entries.iter().map(|s| s.to_string()).collect(),
            verdict_line: verdict(c, report).to_string(),
            verdict: verdict(c, report),
        })
        .collect()
}

/// The headline section of `report.md`, linking the theory pages through [`THEORY_BASE`].
pub fn headline(report: &Report) -> String {
    headline_with_base(report, THEORY_BASE)
}

/// The headline section with theory links rooted at `base` (a path or URL ending in `/` that
/// points at `docs/theory/`).
pub fn headline_with_base(report: &Report, base: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Main claims of the seed papers\n");
    let _ = writeln!(
        out,
        "Each paper's main claims, in lro's words, with the catalogue entries that check them. A \
         verdict is computed from those entries in this run: **holds** when all passed, **fails** \
         when one failed (named), **not checked** when none ran. Sources: `[paper]` the abstract or \
         opening, `[notes]` a public summary; the papers' full texts were not available, so \
         formulas behind a claim are derived for this project where marked `[derived]`.\n"
    );
    for paper in Paper::ALL {
        let rows: Vec<&Claim> = CLAIMS.iter().filter(|c| c.paper == paper).collect();
        let _ = writeln!(out, "### {}\n", paper.citation());
        let _ = writeln!(out, "| claim | source | theory | entries | verdict |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for c in rows {
            let v = verdict(c, report);
            let shown = match &v {
                Verdict::Holds => "holds".to_string(),
                Verdict::Fails { .. } => format!("**{v}**"),
                _ => v.to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | [{}]({}{}) | {} | {} |",
                c.text.replace('|', "\\|"),
                c.source,
                c.theory,
                base,
                c.theory,
                c.entries.join(", "),
                shown
            );
        }
        let _ = writeln!(out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Bound, Budget, Measure};

    fn entry(id: &str, status: &str) -> EntryResult {
        EntryResult {
            id: id.into(),
            area: crate::catalogue::Area::RnnRules,
            statement: String::new(),
            provenance: "[derived]".into(),
            status: status.into(),
            instances: 1,
            measure: Measure::ExactMismatches,
            value: 0.0,
            bound: Bound::AtMost { value: 0.0 },
            findings: vec![],
            reproducer: None,
            detail: String::new(),
            seconds: 0.0,
        }
    }

    fn report(entries: Vec<EntryResult>) -> Report {
        Report {
            version: super::super::REPORT_VERSION,
            budget: Budget::Test,
            entries,
            claims: vec![],
            power: None,
            lro_version: String::new(),
        }
    }

    const C: Claim = Claim {
        paper: Paper::LinearRnn,
        text: "t",
        source: "[notes]",
        theory: "lowrank.md#statement",
        entries: &["A-1", "A-2", "A-3"],
    };

    #[test]
    fn verdicts_follow_the_entries() {
        let all = |s: &str| report(vec![entry("A-1", s), entry("A-2", s), entry("A-3", s)]);
        assert_eq!(verdict(&C, &all("pass")), Verdict::Holds);
        let one_bad = report(vec![
            entry("A-1", "pass"),
            entry("A-2", "fail"),
            entry("A-3", "pass"),
            entry("B-9", "fail"),
        ]);
        assert_eq!(
            verdict(&C, &one_bad),
            Verdict::Fails {
                failed: vec!["A-2".into()]
            }
        );
        assert_eq!(
            verdict(&C, &report(vec![entry("B-9", "pass")])),
            Verdict::NotChecked
        );
        assert_eq!(
            verdict(&C, &report(vec![entry("A-3", "pass")])),
            Verdict::HoldsPartly { checked: 1, of: 3 }
        );
        // A failure outweighs missing entries.
        assert_eq!(
            verdict(&C, &report(vec![entry("A-3", "fail")])),
            Verdict::Fails {
                failed: vec!["A-3".into()]
            }
        );
    }

    #[test]
    fn every_claimed_id_is_a_catalogue_entry_and_claims_have_entries() {
        let ids: Vec<&str> = crate::catalogue::all().iter().map(|e| e.id).collect();
        for c in CLAIMS {
            assert!(!c.entries.is_empty(), "claim without entries: {}", c.text);
            for id in c.entries {
                assert!(
                    ids.contains(id),
                    "claim names {id}, which is not in the catalogue"
                );
            }
        }
    }

    #[test]
    fn theory_links_point_at_existing_anchors() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/theory");
        for c in CLAIMS {
            let (page, anchor) = c.theory.split_once('#').expect("page#anchor");
            let text = std::fs::read_to_string(dir.join(page))
                .unwrap_or_else(|e| panic!("docs/theory/{page}: {e}"));
            assert!(
                text.contains(&format!("<a id=\"{anchor}\"></a>")),
                "docs/theory/{page} has no anchor {anchor}"
            );
        }
    }

    #[test]
    fn claims_serialise_with_their_verdicts() {
        let r = report(vec![entry("P-RNN-35.a", "fail"), entry("P-CL-1", "pass")]);
        let json = serde_json::to_value(claims(&r)).expect("claims serialise");
        let rows = json.as_array().expect("an array");
        assert_eq!(rows.len(), CLAIMS.len());
        // The first claim lists P-RNN-35.a … d; one of them failed.
        assert_eq!(rows[0]["paper"], "linear-rnn");
        assert_eq!(rows[0]["verdict"], "fails");
        assert_eq!(rows[0]["failed"], serde_json::json!(["P-RNN-35.a"]));
        assert_eq!(rows[0]["verdict_line"], "fails: P-RNN-35.a");
        assert_eq!(rows[0]["entries"][3], "P-RNN-35.d");
        // The IS-R unbiasedness claim lists P-CL-1, P-CL-2, P-CL-14; only P-CL-1 ran.
        let is_r = rows
            .iter()
            .find(|c| c["claim"] == "The importance-sampling estimator (IS-R) is unbiased")
            .expect("the IS-R claim");
        assert_eq!(is_r["paper"], "contrastive");
        assert_eq!(is_r["verdict"], "holds-partly");
        assert_eq!((&is_r["checked"], &is_r["of"]), (&1.into(), &3.into()));
        // A claim none of whose entries ran.
        let rates = rows
            .iter()
            .find(|c| c["entries"] == serde_json::json!(["P-RNN-27", "P-RNN-28"]))
            .expect("the rates claim");
        assert_eq!(rates["verdict"], "not-checked");
        assert!(
            rates["citation"]
                .as_str()
                .is_some_and(|c| c.contains("ICML 2026"))
        );
    }

    #[test]
    fn headline_lists_each_claim_with_its_verdict() {
        let r = report(vec![entry("P-RNN-35.a", "fail"), entry("P-CL-1", "pass")]);
        let md = headline(&r);
        assert!(md.starts_with("## Main claims of the seed papers"));
        assert!(md.contains("**fails: P-RNN-35.a**"));
        assert!(md.contains("holds on 1 of 3 entries"));
        assert!(md.contains("](../docs/theory/lowrank.md#statement)"));
        for c in CLAIMS {
            assert!(
                md.contains(&c.text.replace('|', "\\|")),
                "missing claim {}",
                c.text
            );
        }
    }
}
