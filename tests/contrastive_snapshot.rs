//! Rounded summary table (estimator × phase process × model → final error, predicted bias, bound)
//! as an insta snapshot. Estimators are after Williams et al. 2023, reconstructed
//! for this project. Errors: Gaussian |θ̄ − m| (Eq.3-R: mean over negative steps); Boltzmann
//! ‖F(θ̄ − θ_ML)‖∞ (Fisher metric). Every row must also lie within its bound.
use lro::contrastive::experiments::summary_table;
use lro::tolerances::batch_sigmas_for;

#[test]
fn contrastive_summary_table() {
    // 20 rows, each up to 2·10 coordinates; Student-t with 29 degrees of freedom (30 batches).
    let z = batch_sigmas_for(20 * 20, 30);
    let text = summary_table(z).expect("summary runs");
    assert!(
        !text.contains("| NO |"),
        "a row is outside its bound:\n{text}"
    );
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("contrastive_summary", text)
    });
}
