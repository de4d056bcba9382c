//! `cargo xtask bench`: the workloads the backends declare, timed alone ([`timing`]) or side by
//! side with their Python twins ([`side_by_side`]). The flags are in [`args`]; the declared
//! workloads in [`workloads`]; the one runner in [`measure`]; the twin protocol in [`twin`]; the
//! table in [`table`]. No backend is named here: everything comes from the registry. No module
//! here imports one that imports it.

mod alone;
mod args;
mod destination;
mod measure;
mod side_by_side;
mod table;
mod timing;
mod twin;
mod workloads;

use std::process::ExitCode;

use anyhow::{Result, bail};

pub use args::BenchArgs;
use workloads::Declared;

/// Runs `bench` as its flags say.
pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    if let Some(request) = &args.alone {
        return alone::run_child(args, request);
    }
    if args.list {
        print!("{}", workloads::list()?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut named: Vec<Declared> = Vec::new();
    for name in &args.workloads {
        let d = workloads::find(name)?;
        if !named.iter().any(|n| n.workload.name == d.workload.name) {
            named.push(d);
        }
    }
    if let Some(python) = &args.reference {
        return side_by_side::run(args, python, (!named.is_empty()).then_some(named));
    }
    match named.as_slice() {
        [one] => timing::run(args, *one),
        [] => bail!(
            "name a workload to time ({}), or pass --reference",
            workloads::names(&workloads::declared())
        ),
        _ => bail!(
            "bench times one workload at a time, and {} were named; add --reference PYTHON to \
             time several side by side, alternated",
            named.len()
        ),
    }
}
