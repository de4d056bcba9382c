//! `## Models not saved`: the models the run was asked to save (`--save-models`) and could not,
//! first after the title, since the run did not do all it was asked; absent otherwise.

/// The section, or nothing when `not_saved` is empty.
pub(super) fn section(not_saved: &[String]) -> String {
    if not_saved.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "## Models not saved\n\nThe run was asked to save every model it trained. These were not \
         saved; an earlier model in the same folder, if there was one, is kept as it was:\n\n",
    );
    for line in not_saved {
        md.push_str(&format!("- {line}\n"));
    }
    md.push('\n');
    md
}
