//! `cargo xtask compare`: every selected backend, same split, same seeds, one report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use bench_core::{Backend, FittedModel, Overrides, RunRecord, ValidHyperparams};
use clap::Args;
use mnist_data::Split;

use crate::progress::{RunProgress, interrupted};
use crate::registry::{self, SettingsArgs};
use crate::{DataArgs, EXIT_INTERRUPTED, EXIT_RUNS_FAILED, SplitArgs, provenance, saved_models};

/// Flags of `compare`.
#[derive(Debug, Args)]
#[command(after_help = registry::settings_help())]
pub struct CompareArgs {
    /// Backends to run, comma-separated, or `all` (default: every registered backend except the
    /// slow ones that run only when named).
    #[arg(long, value_name = "LIST")]
    pub backends: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub split: SplitArgs,
    /// Seed of the split, the initialisations, the shuffles and dropout.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Run each backend with this many model seeds (seed, seed+1, ...) and report mean ± std; the
    /// split stays that of --seed, so every run is tested on the same images.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub seeds: u64,
    /// Override every backend's number of epochs (for L-BFGS: its iteration budget).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Override the batch size of the mini-batch backends.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Override the learning rate of the backends that have one.
    #[arg(long, value_name = "F")]
    pub lr: Option<f64>,
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Also save each trained model into this folder: `<dataset>-<backend>-seed<N>/` with the
    /// backend's weights and model.json (dataset, class names, settings, seed, test accuracy,
    /// commit), for `cargo xtask predict --models DIR`. Each model's folder is claimed before
    /// anything trains (refused while another run saves it); a model that cannot be saved
    /// leaves the earlier one in place, is named in the report and makes the exit status 2.
    #[arg(long, value_name = "DIR")]
    pub save_models: Option<PathBuf>,
    /// Folder to write the report into: a new or empty folder, or an earlier report (it holds a
    /// .mnist-compare file), which is replaced atomically (reports nested in it are kept); with
    /// --shard, the part's folder (a new one or an earlier part). Any other folder, a report for
    /// a part or a part for a report, and a folder holding the --baseline are refused before
    /// anything trains. Default: reports/ for mnist,
    /// reports/<dataset>/ for another dataset, at the workspace root.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only the Kth of N shares of the runs (1-based) and write them as a part, into --out,
    /// for `cargo xtask merge`: the runs are dealt backend by backend, seed by seed, in turn, so
    /// a shard of a command is the same runs on any machine. For job arrays: Slurm's
    /// `--shard $((SLURM_ARRAY_TASK_ID+1))/$SLURM_ARRAY_TASK_COUNT`, Kubernetes'
    /// `--shard $((JOB_COMPLETION_INDEX+1))/N` (docs/scale.md).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::shard::Shard>,
    /// List the runs this command would make (with --shard K/N: how N shards split them) and
    /// exit without reading data or training.
    #[arg(long)]
    pub plan: bool,
    /// An earlier report (or merged output) of the same dataset and split to compare with: for
    /// each backend in both, whether its test accuracy changed, and its training time when both
    /// ran on the same CPU and build, neither merged from shards that shared a machine or ran on
    /// several CPUs (Welch across seeds, Holm over the backends). Checked before anything
    /// trains.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
}

/// `reports/` at the workspace root (wherever the command is run from) for MNIST, and
/// `reports/<dataset>/` for another dataset, so that neither report overwrites the other.
pub fn default_out(dataset: &mnist_data::DatasetSpec) -> PathBuf {
    let reports = provenance::workspace_root().join("reports");
    if dataset.name == mnist_data::MNIST.name {
        reports
    } else {
        reports.join(dataset.name)
    }
}

/// Runs the comparison; the exit code says whether every run succeeded.
pub fn run(args: &CompareArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let started_at = provenance::now_utc();
    let started_unix = provenance::unix_now();
    // The code as it is when the run starts: editing the tree while it trains changes nothing.
    let git_commit = provenance::git_commit();
    let command = provenance::command_line();
    let assignments = args.settings.assignments()?;
    let backends = registry::select(args.backends.as_deref(), &assignments)?;
    let dataset_spec = args.data.check()?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(dataset_spec));
    let seeds = model_seeds(args)?;
    // Every configuration is checked before any data is read or anything trains.
    let plan = plan(args, &backends, &seeds)?;

    let spec = args.split.spec(args.seed);
    let key = crate::shard::plan_key(
        args,
        dataset_spec,
        &backends,
        &plan,
        &assignments,
        &git_commit,
    );
    let names: Vec<(&str, u64)> = plan.iter().map(|p| (backends[p.0].name(), p.1)).collect();
    let selected = crate::shard::selected(args, &key, &names)?;
    if args.plan {
        print!("{}", crate::shard::describe(&key, args.shard));
        return Ok(ExitCode::SUCCESS);
    }
    if spec.validation_fraction == 0.0
        && let Some(reason) = backends.iter().find_map(|b| b.needs_validation())
    {
        anyhow::bail!("{reason}");
    }
    let baseline = crate::baseline::for_compare(args, dataset_spec)?;

    // So is the output folder, claimed for this run until the report is written: a run must not
    // train for minutes and then find it cannot write, or that another run wrote there meanwhile.
    let output = crate::output::claim(&out, args.out.is_some())?;
    let baseline_dir = args.baseline.iter().map(|b| ("the baseline", b.as_path()));
    crate::output::refuse_replacing(&output, args.shard.is_some(), baseline_dir)?;
    // And the folder of every model the run will save, so that two runs saving the same model
    // cannot race, and one that cannot save is refused now.
    let mine: Vec<_> = selected.iter().map(|&j| plan[j].clone()).collect();
    let model_folders = claim_models(args, &output, dataset_spec.name, &backends, &mine)?;

    let (split, data_origin, dataset, data) = load(args, spec, baseline.as_ref())?;
    if let Some(shard) = args.shard {
        eprintln!(
            "shard {shard}: {} of the {} runs",
            selected.len(),
            plan.len()
        );
    }

    let save = |record: &RunRecord, model: &dyn FittedModel, folder: &safe_write::Output| {
        let settings = registry::resolved_settings(&record.backend, &assignments);
        let names = bench_core::manifest::DatasetNames {
            name: dataset_spec.name,
            title: &dataset.title,
            class_names: &dataset.class_names,
        };
        let manifest = saved_models::Manifest::new(record, names, settings, &git_commit);
        save_model(folder, &manifest, model)
    };
    let runs = selected.iter().map(|&j| &plan[j]);
    let Some((records, not_saved)) = train(runs, &backends, &split, &model_folders, &save) else {
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    };

    let provenance = report::Provenance {
        dataset: dataset.clone(),
        command,
        seeds,
        split: spec.kind.to_string(),
        validation_fraction: spec.validation_fraction,
        split_sizes: split.sizes(),
        data: data_origin,
        git_commit,
        total_seconds: started.elapsed().as_secs_f64(),
        ..provenance::this_process(started_at)
    };
    if let Some(shard) = args.shard {
        let key = crate::shard::PlanKey {
            labels: dataset,
            data,
            ..key
        };
        let part = crate::part::Part::new(
            shard,
            key,
            &selected,
            records,
            not_saved,
            provenance,
            started_unix,
        );
        return crate::part::write_part(&output, &out, &part);
    }
    let report = report::Report {
        runs: &records,
        test: &split.test,
        provenance: &provenance,
        not_saved: &not_saved,
        baseline: baseline.as_ref().map(crate::baseline::Baseline::view),
    };
    finish(&output, &out, &report, baseline.as_ref())
}

/// Writes `report` into the claimed `output` (at `out`), lists its files, says what moved
/// against the `baseline`, and returns the exit code of its runs.
pub(crate) fn finish(
    output: &safe_write::Output,
    out: &Path,
    report: &report::Report<'_>,
    baseline: Option<&crate::baseline::Baseline>,
) -> Result<ExitCode> {
    write_and_list(output, out, report)?;
    if let Some(b) = baseline {
        print_baseline(report.runs, report.provenance, b);
    }
    Ok(exit_code(report.runs, report.not_saved))
}

/// Renders `report` into the claimed `output` (at `out`) and lists its files.
pub(crate) fn write_and_list(
    output: &safe_write::Output,
    out: &Path,
    report: &report::Report<'_>,
) -> Result<()> {
    let files = crate::output::replace(output, |dir| write_report(dir, report))
        .context("writing the report")?;
    println!("report written to {}:", out.display());
    for f in files {
        println!("  {}", f.display());
    }
    Ok(())
}

/// The comparison with the baseline, one sentence per backend, after the report's files.
pub(crate) fn print_baseline(
    records: &[RunRecord],
    provenance: &report::Provenance,
    b: &crate::baseline::Baseline,
) {
    println!("against the baseline {}:", b.label);
    for row in report::baseline::compare(records, provenance, &b.results) {
        println!("  {}", row.sentence());
    }
}

/// Trains `runs` (backend's index, seed, settings) one after the other, saving each model that
/// has a claimed folder through `save`; the records and the models not saved, or `None` when
/// Ctrl-C stopped it (what finished is said).
fn train<'a>(
    runs: impl Iterator<Item = &'a (usize, u64, ValidHyperparams)>,
    backends: &[Box<dyn Backend>],
    split: &Split,
    model_folders: &BTreeMap<(usize, u64), safe_write::Output>,
    save: &dyn Fn(&RunRecord, &dyn FittedModel, &safe_write::Output) -> Option<String>,
) -> Option<(Vec<RunRecord>, Vec<String>)> {
    let mut records: Vec<RunRecord> = Vec::new();
    let mut not_saved: Vec<String> = Vec::new();
    for (i, seed, hp) in runs {
        let backend = backends[*i].as_ref();
        let mut progress = RunProgress::new(
            format!("{} seed {seed}", backend.name()),
            hp.get().epochs,
            backend.history_unit(),
        );
        let (record, model) = bench_core::run_keeping_model(backend, hp, split, &mut progress);
        progress.finish();
        if let (Some(folder), Some(model)) = (model_folders.get(&(*i, *seed)), model) {
            not_saved.extend(save(&record, model.as_ref(), folder));
        }
        if interrupted() {
            report_interrupted(&records, &not_saved);
            return None;
        }
        eprintln!("{}", one_line(&record));
        records.push(record);
    }
    Some((records, not_saved))
}

/// Status 2 when a run failed or a model could not be saved, each said in the last lines.
pub(crate) fn exit_code(records: &[RunRecord], not_saved: &[String]) -> ExitCode {
    let failed = records.iter().filter(|r| !r.is_ok()).count();
    if failed > 0 {
        eprintln!(
            "{failed} of {} runs failed; see the status column",
            records.len()
        );
    }
    for line in not_saved {
        eprintln!("error: {line}");
    }
    if failed > 0 || !not_saved.is_empty() {
        ExitCode::from(EXIT_RUNS_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Saves `model` with its `manifest` into its claimed `folder`; the failure, if any, as one line
/// (said now, and again at the end of the run).
fn save_model(
    folder: &safe_write::Output,
    manifest: &saved_models::Manifest,
    model: &dyn FittedModel,
) -> Option<String> {
    match saved_models::save(folder, manifest, model) {
        Ok(path) => {
            eprintln!("saved {}", path.display());
            None
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Some(format!("{e:#}"))
        }
    }
}

/// The model seeds: `--seed`, and one more for each further run of `--seeds`.
fn model_seeds(args: &CompareArgs) -> Result<Vec<u64>> {
    (0..args.seeds)
        .map(|i| args.seed.checked_add(i))
        .collect::<Option<_>>()
        .with_context(|| {
            format!(
                "--seed {} with --seeds {} counts past the largest seed, {}: use a smaller --seed",
                args.seed,
                args.seeds,
                u64::MAX
            )
        })
}

/// Every run, seed by seed, each backend's settings checked: (backend's index, seed, settings).
fn plan(
    args: &CompareArgs,
    backends: &[Box<dyn Backend>],
    seeds: &[u64],
) -> Result<Vec<(usize, u64, ValidHyperparams)>> {
    let overrides = Overrides {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
    };
    let mut plan = Vec::new();
    for &seed in seeds {
        for (i, backend) in backends.iter().enumerate() {
            let hp = backend.defaults().with_overrides(seed, &overrides);
            let valid = bench_core::prepare(backend.as_ref(), hp)
                .with_context(|| format!("backend {}", backend.name()))?;
            plan.push((i, seed, valid));
        }
    }
    Ok(plan)
}

/// The data read and split as `spec` says, where it came from, its labels and its files'
/// checksums, checked against the baseline (dataset and sizes) if there is one.
fn load(
    args: &CompareArgs,
    spec: mnist_data::SplitSpec,
    baseline: Option<&crate::baseline::Baseline>,
) -> Result<(Split, String, report::DatasetLabels, Vec<String>)> {
    let loaded = args.data.load()?;
    let split = Split::new(&loaded.mnist.train, &loaded.mnist.test, spec)?;
    let sizes = split.sizes();
    if let Some(b) = baseline {
        let now = crate::baseline::checked(args, Some(&loaded.labels.title), Some(sizes));
        crate::baseline::check(b, &now)?;
    }
    let origin = loaded.describe();
    eprintln!(
        "data: {origin}; split {}: {} train, {} validation, {} test",
        spec.kind, sizes[0], sizes[1], sizes[2]
    );
    let data = crate::part::fingerprint(&loaded.mnist);
    Ok((split, origin, loaded.labels, data))
}

/// With `--save-models`: the folder of every model of `plan` claimed (see
/// [`claim_model_folders`]) after the folder itself is checked and created.
fn claim_models(
    args: &CompareArgs,
    output: &safe_write::Output,
    dataset: &str,
    backends: &[Box<dyn Backend>],
    plan: &[(usize, u64, ValidHyperparams)],
) -> Result<BTreeMap<(usize, u64), safe_write::Output>> {
    match &args.save_models {
        Some(dir) => {
            prepare_save_models(output, dir)?;
            claim_model_folders(dir, dataset, backends, plan)
        }
        None => Ok(BTreeMap::new()),
    }
}

/// Refuses `--save-models DIR` inside the claimed `output` or inside an earlier output of this
/// tool (replacing either would delete the models), then creates it.
fn prepare_save_models(output: &safe_write::Output, dir: &Path) -> Result<()> {
    if output.contains(dir) {
        anyhow::bail!(
            "--save-models {} is inside --out {}, which is replaced as a whole when the report \
             is written; save the models outside it (e.g. --save-models models)",
            dir.display(),
            output.path().display()
        );
    }
    if let Some(earlier) = safe_write::enclosing_output(dir) {
        anyhow::bail!(
            "--save-models {} is inside {}, an earlier output of this tool, which the next run \
             into it replaces as a whole; save the models outside it (e.g. --save-models models)",
            dir.display(),
            earlier.display()
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("--save-models {}: cannot create the folder", dir.display()))
}

/// Claims the folder of every model the `plan` will save under `dir`, keyed by the plan's
/// (backend's index, seed); refused, naming the holder, while another run saves one of them.
fn claim_model_folders(
    dir: &Path,
    dataset: &str,
    backends: &[Box<dyn Backend>],
    plan: &[(usize, u64, ValidHyperparams)],
) -> Result<BTreeMap<(usize, u64), safe_write::Output>> {
    plan.iter()
        .map(|&(i, seed, _)| {
            let folder = saved_models::folder(dir, dataset, backends[i].name(), seed);
            Ok(((i, seed), saved_models::claim(&folder)?))
        })
        .collect()
}

/// Renders the report and writes its files into `dir`, the staging folder of the output;
/// returns their paths, relative to it. Rendered here, inside the replacement, so that a second
/// Ctrl-C waits for the whole report.
pub(crate) fn write_report(dir: &Path, report: &report::Report<'_>) -> Result<Vec<PathBuf>> {
    let rendered = report::render(report)?;
    let files = rendered
        .iter()
        .map(|f| (f.path.as_path(), f.bytes.as_slice()));
    safe_write::write_files(dir, files)?;
    Ok(rendered.into_iter().map(|f| f.path).collect())
}

fn one_line(r: &RunRecord) -> String {
    let name = format!("{} seed {}", r.backend, r.hyperparams.seed);
    match &r.metrics {
        Some(m) => format!(
            "{name:>18}: test {:.2}%, train {:.2}%, {:.1} s training, {:.0} predictions/s",
            100.0 * m.test_accuracy,
            100.0 * m.train_accuracy,
            m.training_seconds,
            m.predictions_per_second
        ),
        None => format!("{name:>18}: {}", report::tables::status_text(r)),
    }
}

/// What an interrupted run did: the runs that finished and the models it could not save.
fn report_interrupted(done: &[RunRecord], not_saved: &[String]) {
    eprintln!("interrupted: no report written; the previous reports are untouched");
    if done.is_empty() {
        eprintln!("no run had finished");
    } else {
        eprintln!("runs that had finished:");
        for r in done {
            eprintln!("{}", one_line(r));
        }
    }
    for line in not_saved {
        eprintln!("error: {line}");
    }
}
