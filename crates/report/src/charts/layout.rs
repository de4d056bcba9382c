//! Where things go on a chart: legend entries in rows, tags beside reference lines moved apart,
//! and subtitles wrapped between clauses.

use super::canvas::text_width;

/// The legend's font size, row height, and the length of a backend's colour swatch.
pub(super) const LEGEND_FONT: u32 = 18;
pub(super) const LEGEND_ROW: i32 = 28;
pub(super) const SWATCH: i32 = 30;

/// Where each backend's legend entry goes, as (x, row): entries left to right, a new row when
/// the next would pass `width`. An entry is its swatch, a gap and its name.
pub(super) fn legend_layout(names: &[&str], width: i32) -> Vec<(i32, usize)> {
    let mut out = Vec::with_capacity(names.len());
    let (mut x, mut row) = (0, 0);
    for name in names {
        let w = legend_entry_width(name);
        if x > 0 && x + w > width {
            x = 0;
            row += 1;
        }
        out.push((x, row));
        x += w + 36;
    }
    out
}

/// The width of one legend entry: swatch, gap, name.
pub(super) fn legend_entry_width(name: &str) -> i32 {
    SWATCH + 8 + text_width(name, LEGEND_FONT, false)
}

/// The tag font of a reference line, and the least distance between two tags' centres.
pub(super) const TAG_FONT: u32 = 15;
pub(super) const TAG_GAP: i32 = 18;

/// Vertical positions for tags that want to stand at `wanted` (pixels, any order), moved apart
/// so that no two centres are closer than `gap`, each as near its wish as that allows, and kept
/// within `top..=bottom` where there is room. Returned in the order of `wanted`.
pub(super) fn spread_tags(wanted: &[i32], gap: i32, top: i32, bottom: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i]);
    let mut placed = vec![0; wanted.len()];
    // Down from the top: each at its wish or just below the one above it.
    let mut floor = top;
    for &i in &order {
        placed[i] = wanted[i].max(floor);
        floor = placed[i] + gap;
    }
    // Then up from the bottom, where the last ones ran past it.
    let mut ceiling = bottom;
    for &i in order.iter().rev() {
        placed[i] = placed[i].min(ceiling);
        ceiling = placed[i] - gap;
    }
    placed
}

/// Joins `clauses` with "; " into lines of at most `width` characters, breaking only between
/// clauses (a clause longer than `width` gets a line of its own). A line that goes on ends in
/// ";", which may take it one character past `width`.
pub(super) fn wrap_clauses(clauses: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for clause in clauses {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 2 + clause.chars().count() <= width => {
                line.push_str("; ");
                line.push_str(clause);
            }
            Some(line) => {
                line.push(';');
                lines.push(clause.clone());
            }
            None => lines.push(clause.clone()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::TEST_NAMES as NAMES;
    use super::super::curves::CURVES_WIDTH;
    use super::*;

    #[test]
    fn legend_entries_never_overlap_and_stay_on_the_canvas() {
        let width = CURVES_WIDTH as i32 - 60;
        for n in 1..=NAMES.len() {
            let layout = legend_layout(&NAMES[..n], width);
            assert_eq!(layout.len(), n);
            for (k, &(x, row)) in layout.iter().enumerate() {
                let right = x + legend_entry_width(NAMES[k]);
                assert!(right <= width, "{n} backends: entry {k} ends at {right}");
                if let Some(&(next_x, next_row)) = layout.get(k + 1)
                    && next_row == row
                {
                    assert!(
                        right < next_x,
                        "{n} backends: entries {k} and {} touch",
                        k + 1
                    );
                }
            }
        }
        // Entries too wide for one row go on to the next.
        let narrow = legend_layout(&NAMES, 300);
        assert!(narrow.iter().any(|e| e.1 > 0), "{narrow:?}");
        // Each entry fits, unless it is too wide for any row and stands alone at its start.
        for (k, &(x, _)) in narrow.iter().enumerate() {
            assert!(
                x == 0 || x + legend_entry_width(NAMES[k]) <= 300,
                "{narrow:?}"
            );
        }
    }

    #[test]
    fn tags_of_close_lines_are_moved_apart_and_kept_in_the_plot() {
        // Six lines within 10 pixels of each other, in no order, near the bottom.
        let wanted = [405, 400, 409, 401, 404, 408];
        let at = spread_tags(&wanted, TAG_GAP, 20, 410);
        let mut sorted = at.clone();
        sorted.sort();
        for pair in sorted.windows(2) {
            assert!(pair[1] - pair[0] >= TAG_GAP, "{at:?}");
        }
        assert!(sorted.iter().all(|&y| (20..=410).contains(&y)), "{at:?}");
        // The order of the lines is kept: the higher line keeps the higher tag.
        assert!(at[1] < at[3] && at[3] < at[4] && at[4] < at[0], "{at:?}");
        // Lines far apart keep their own heights.
        assert_eq!(spread_tags(&[300, 100], TAG_GAP, 0, 500), [300, 100]);
    }

    #[test]
    fn subtitles_wrap_between_clauses() {
        let clauses: Vec<String> = ["aaaa", "bbbb", "cccccccc", "dd"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            wrap_clauses(&clauses, 10),
            ["aaaa; bbbb;", "cccccccc;", "dd"]
        );
        assert_eq!(wrap_clauses(&clauses, 100), ["aaaa; bbbb; cccccccc; dd"]);
        assert_eq!(wrap_clauses(&clauses[2..3], 4), ["cccccccc"]);
    }
}
