//! The report's section "Where the theory stops": one row per boundary of a theorem (the
//! assumption dropped, what fails, how it is shown, the measured size of the effect and the entry's
//! status), read from the `EDGE-*` entries' results. Rows whose entry did not run are left out; the
//! section is empty when none ran. Theory:
//! `docs/theory/lowrank.md#where-it-stops`, `docs/theory/contrastive.md#where-it-stops`,
//! `docs/theory/modes.md#forecast`, `docs/theory/modes.md#coloured-input`.
use super::{EntryResult, Report};
use std::fmt::Write;

/// One boundary of a theorem and the catalogue entry that shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Boundary {
    /// The catalogue entry (`EDGE-…`).
    pub id: &'static str,
    /// The theorem whose assumption is dropped.
    pub theorem: &'static str,
    /// The assumption dropped.
    pub assumption: &'static str,
    /// What stops holding.
    pub fails: &'static str,
    /// How it is shown.
    pub shown: &'static str,
    /// The start of the label of the entry's finding that measures the size of the effect.
    pub size_finding: &'static str,
}

/// The boundaries, in report order.
pub const BOUNDARIES: &[Boundary] = &[
    Boundary {
        id: "EDGE-RNN-1",
        theorem: "Proposition 3.1 (RFLO's change has rank ≤ o)",
        assumption: "linear network (φ′ the same for every unit)",
        fails: "with tanh, leaky or not, RFLO's change [W_K − W_0 | B_K − B_0] leaves col(Rᵀ)",
        shown: "counterexample in 256-bit MPFR; the same setups with φ = identity stay inside \
                exactly (rationals)",
        size_finding: "smallest ‖(I − P)X‖_F/‖X‖_F of the tanh runs",
    },
    Boundary {
        id: "EDGE-RNN-2",
        theorem: "Proposition 3.1 (RFLO's change has rank ≤ o)",
        assumption: "scalar surrogate Ŵ = ŵ I",
        fails: "with the diagonal Ŵ = diag(W) (e-prop's trace, random R) the change leaves col(Rᵀ)",
        shown: "exact counterexample over rationals; with diag(W) = c·I one step equals RFLO(ŵ = c) \
                exactly",
        size_finding: "smallest ‖(I − P)X‖_F/‖X‖_F of the non-scalar runs",
    },
    Boundary {
        id: "EDGE-RNN-3",
        theorem: "the per-mode reduction (independent modes, docs/theory/modes.md)",
        assumption: "student aligned with the teacher's modes",
        fails: "with an off-diagonal misalignment ε the network's loss ratios leave the per-mode \
                map's, by ≈ 0.8 ε² of L(0) (7 % at ε = 0.3; within 1 % up to ε ≈ 0.1)",
        shown: "exact over rationals: equal at ε = 0, different at ε = 1/8, 1/4; f64 drift curve \
                with its fitted slope against the derived 2",
        size_finding: "log–log slope of the f64 drift",
    },
    Boundary {
        id: "EDGE-RNN-4",
        theorem: "the per-mode reduction (independent modes, docs/theory/modes.md)",
        assumption: "white input (E[x_t x_sᵀ] = δ_ts I)",
        fails: "under AR(1) input with lag-one correlation ρ the aligned network follows the \
                per-mode map with weights ρ^|j−k|, not the white one: its loss ratios leave the \
                white map's by ≈ 1.66 ρ of L(0) (within 1 % only up to ρ ≈ 0.006; 0.53 at ρ = 0.5)",
        shown: "exact over rationals: equal at ρ = 0, different at ρ = 1/4, 1/2; f64 drift curve \
                with its fitted slope against the derived 1 and its first-order coefficient",
        size_finding: "log–log slope of the f64 drift against ρ",
    },
    Boundary {
        id: "P-CL-13",
        theorem: "Eq.3-R's mean field follows Δ (stationary point m)",
        assumption: "balanced phase weights π⁺ω₊ = π⁻ω₋",
        fails: "unweighted with π⁺ = ¼ the stationary point moves to (π⁺/π⁻)m = 2/3 (m = 2)",
        shown: "Gaussian toy simulation lands on the moved point (z-score against 2/3)",
        size_finding: "unweighted:",
    },
    Boundary {
        id: "EDGE-CL-1",
        theorem: "Eq.3-R's stationary point E[θ | −] = π⁺ω₊m/(π⁻ω₋), any constant η",
        assumption: "step below η* = 2/ω₋",
        fails: "beyond η* the mean is multiplied by |1 − ηω₋| > 1 per negative step and θ diverges",
        shown: "exact threshold over rationals; simulation at η* − 1/16 settles at m, at η* + 1/16 \
                passes |θ| = 10⁶",
        size_finding: "η = 2.0625: measured growth",
    },
    Boundary {
        id: "EDGE-CL-2",
        theorem: "Eq.3-R's stationary point E[θ | −] = π⁺ω₊m/(π⁻ω₋)",
        assumption: "phase process independent of the data stream",
        fails: "strict alternation locked to a period-2 stream (clusters m ± δ) lands on m + δ; a \
                partial lock λ on m + (2λ − 1)δ",
        shown: "exact fixed point of the mean recursion over rationals equals the derived point; \
                simulations at λ = ½ and λ = 1 land on m and m + δ",
        size_finding: "λ = 1: E[θ | −] − m",
    },
];

/// The measured size of a boundary's effect: its size finding's value, with its unit.
fn size(b: &Boundary, e: &EntryResult) -> String {
    match e
        .findings
        .iter()
        .find(|f| f.label.starts_with(b.size_finding))
    {
        Some(f) => format!("{} ({})", f.value_text(), f.label),
        None => "not measured".into(),
    }
}

/// A table cell: `|` escaped so that it does not end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The section as markdown (empty when no `EDGE-*` entry ran).
pub fn section(r: &Report) -> String {
    let rows: Vec<(&Boundary, &EntryResult)> = BOUNDARIES
        .iter()
        .filter_map(|b| r.entries.iter().find(|e| e.id == b.id).map(|e| (b, e)))
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let _ = writeln!(out, "## Where the theory stops\n");
    let _ = writeln!(
        out,
        "Each row drops one assumption of a theorem and shows, by counterexample, what stops holding \
         and by how much. Each entry also runs the same setup inside the assumption, where the \
         theorem must hold again, so it notices if the boundary moved. The EDGE entries are \
         derived for this project (`[derived]`); see the sections \"Where it stops\" of `docs/theory/lowrank.md` and \
         `docs/theory/contrastive.md`, the sections \"Forecasting a network run\" and \
         \"Coloured input\" of `docs/theory/modes.md`, the figures on input scale and training \
         length, the figures on misalignment and coloured input and the figure on the locked \
         stream.\n"
    );
    let _ = writeln!(
        out,
        "| id | theorem | assumption dropped | what fails | how shown | measured size | status |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for (b, e) in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            b.id,
            cell(b.theorem),
            cell(b.assumption),
            cell(b.fails),
            cell(b.shown),
            cell(&size(b, e)),
            if e.status == "pass" {
                "pass"
            } else {
                "**FAIL**"
            }
        );
    }
    let _ = writeln!(out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Budget;

    #[test]
    fn section_has_one_row_per_boundary_that_ran() {
        let ids: Vec<&str> = BOUNDARIES.iter().map(|b| b.id).collect();
        let mut rep = super::super::run(Budget::Test, Some("EDGE-*"), 1, |_| {});
        rep.entries
            .extend(super::super::run(Budget::Test, Some("P-CL-13"), 1, |_| {}).entries);
        assert_eq!(rep.entries.len(), ids.len(), "one entry per boundary");
        let md = section(&rep);
        assert!(md.starts_with("## Where the theory stops"), "{md}");
        for b in BOUNDARIES {
            let row = md
                .lines()
                .find(|l| l.starts_with(&format!("| {} |", b.id)))
                .unwrap_or_else(|| panic!("no row for {}: {md}", b.id));
            assert!(!row.contains("not measured"), "size missing: {row}");
            // every unescaped `|` is a column separator: 8 of them for 7 columns
            let seps = row.replace("\\|", "").matches('|').count();
            assert_eq!(seps, 8, "{row}");
            assert!(row.ends_with("| pass |"), "{row}");
        }
        let none = super::super::run(Budget::Test, Some("P-RNN-7"), 1, |_| {});
        assert_eq!(section(&none), "");
    }

    #[test]
    fn every_boundary_names_a_catalogue_entry_and_its_size_finding() {
        for b in BOUNDARIES {
            let e = crate::catalogue::find(b.id).unwrap_or_else(|| panic!("{} unknown", b.id));
            let ev = (e.check)(Budget::Test).expect("the entry runs");
            assert!(
                ev.findings
                    .iter()
                    .any(|f| f.label.starts_with(b.size_finding)),
                "{}: no finding labelled {:?}",
                b.id,
                b.size_finding
            );
        }
    }
}
