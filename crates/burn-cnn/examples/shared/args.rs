//! The cnn's timing examples' arguments.

/// The first argument as a whole number above 0, `default` without one; exits with a usage
/// line naming `usage` otherwise.
pub fn count_arg(arg: Option<String>, default: usize, usage: &str) -> usize {
    match arg.map(|a| a.parse::<usize>()) {
        None => default,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: {usage}, each a whole number above 0");
            std::process::exit(2);
        }
    }
}
