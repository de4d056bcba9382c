//! `cargo xtask bench`: the workloads the backends declare, timed alone ([`timing`]) or side by
//! side with their Python twins ([`side_by_side`]). The flags are in [`args`]; the declared
//! workloads in [`workloads`]; the one runner in [`measure`]; the twin protocol in [`twin`]; the
//! table in [`table`]. No backend is named here: everything comes from the registry.

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

/// Runs `bench` as its flags say.
pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    if args.list {
        print!("{}", workloads::list()?);
        return Ok(ExitCode::SUCCESS);
    }
    let declared = args.workload.as_deref().map(workloads::find).transpose()?;
    if let Some(python) = &args.reference {
        return side_by_side::run(args, python, declared);
    }
    let Some(declared) = declared else {
        bail!(
            "name a workload to time ({}), or pass --reference",
            workloads::names(&workloads::declared())
        );
    };
    timing::run(args, declared)
}
