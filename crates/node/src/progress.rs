//! Progress bars of the long commands (`import`, `export`, `dump-state`).
//!
//! They are drawn on stderr only when stderr is a terminal (indicatif hides them otherwise):
//! a person watching gets a live bar with rate and ETA, while logs, CI output and pipes get no
//! carriage-return noise, only the summary line each command prints when it is done.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` `unit`s with count, rate and ETA (`~` marks an estimated total).
pub(crate) fn progress_bar(len: u64, unit: &str, estimated: bool) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let total = if estimated { "~{len}" } else { "{len}" };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{total} {unit} {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
