//! Writing outputs safely: whatever stops a run (an error, Ctrl-C, a crash, a full disk), a reader
//! finds the previous output or the new one whole, never a part, and nothing this tool did not
//! write is ever replaced.
//!
//! This crate owns every write of the workspace that replaces something:
//! - output folders ([`Output`], `output.rs`), reports and saved models alike: claimed by one
//!   run at a time with a lock file (`lock.rs`), written into a staging folder beside them and
//!   swapped in, outputs nested in them carried over (`nested.rs`), what a crashed run left
//!   beside them recovered (`recover.rs`), and only folders marked as this tool's ([`MARKER`],
//!   `marker.rs`), or adopted when the caller recognises them (`Output::claim_adopting`),
//!   replaced;
//! - the swap itself (`swap.rs`);
//! - a single file replaced atomically ([`replace_file`], [`write_file`]) and files written into
//!   a staging folder ([`write_files`]), in `file.rs`.
//!
//! It depends on no other workspace crate. Every error ([`WriteError`]) names the path it is
//! about; a folder in use or not this tool's also says what to do.

mod error;
mod file;
mod lock;
mod marker;
mod nested;
mod output;
mod recover;
mod swap;

pub use error::WriteError;
pub use file::{replace_file, write_file, write_files};
pub use marker::{MARKER, check_replaceable, enclosing_output};
pub use output::Output;
