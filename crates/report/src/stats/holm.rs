//! Holm's step-down correction for testing several pairs.

/// Holm's step-down adjustment of `p_values` (one family of tests), in their order: the
/// smallest is multiplied by the number of tests, the next by one fewer, and so on, kept
/// monotone and capped at 1.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::super::reference::close;
    use super::*;

    // Reference values from SciPy and statsmodels (stats/reference.rs); the script's lines are
    // quoted with each value.

    #[test]
    fn holm_matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03], method="holm")[1]
        let got = holm(&[0.01, 0.04, 0.03]);
        for (g, w) in got.iter().zip([0.03, 0.06, 0.06]) {
            close(*g, w, 1e-12);
        }
        // multipletests([0.2, 0.001, 0.04], method="holm")[1]
        let got = holm(&[0.2, 0.001, 0.04]);
        for (g, w) in got.iter().zip([0.2, 0.003, 0.08]) {
            close(*g, w, 1e-12);
        }
        assert!(holm(&[]).is_empty());
    }
}
