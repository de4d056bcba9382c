//! `compare`'s options and the backends' settings: a bad one is one clear error, exit status 1,
//! before anything trains and with `--out` untouched; `--help` documents every command, option
//! and setting, and a backend or device left out of the build is named with its cargo feature.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_clean_failure, assert_one_line_error, fixture_dir, xtask};

#[test]
fn an_unknown_backend_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--backends", "nosuch"],
        &out,
        "unknown backend \"nosuch\"; available: scratch",
    );
}

#[test]
fn an_out_that_this_tool_did_not_write_is_refused_before_training() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder of someone's files: replacing it would delete them.
    let theirs = tmp.path().join("thesis");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("chapter1.tex"), "keep me").unwrap();
    // A file where the folder should go.
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "keep me too").unwrap();
    for (out, expected) in [
        (&theirs, "not an earlier output of this tool"),
        (&file, "exists and is not a folder"),
    ] {
        let stderr = assert_one_line_error(&[], out, expected);
        assert!(stderr.starts_with("error: --out: "), "{stderr}");
        // Refused before the data was loaded (which prints "data: ..."), let alone a model
        // trained: the one line is the error.
    }
    assert_eq!(
        std::fs::read_to_string(theirs.join("chapter1.tex")).unwrap(),
        "keep me"
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 1);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me too");
}

#[test]
fn a_save_models_path_that_is_a_file_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("models");
    std::fs::write(&file, "not a folder").unwrap();
    assert_clean_failure(
        &["--save-models", file.to_str().unwrap()],
        &tmp.path().join("reports"),
        "--save-models",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
}

#[test]
fn early_stopping_without_a_validation_set_is_refused_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    // pooled-80-20 holds no validation set out by default.
    assert_clean_failure(
        &[
            "--backends",
            "scratch,burn",
            "--split",
            "pooled-80-20",
            "--set",
            "burn.patience=2",
        ],
        &out,
        "--set burn.patience: early stopping watches the validation loss, and this split holds \
         no validation set out: give --val-fraction above 0",
    );
}

#[test]
fn zero_epochs_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--epochs", "0"],
        &out,
        "--epochs must be at least 1, got 0",
    );
}

#[test]
fn seeds_out_of_range_are_one_clear_error_each() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--seed", "18446744073709551615", "--seeds", "2"],
        &out,
        "--seed 18446744073709551615 with --seeds 2 counts past the largest seed",
    );
    // numpy's RandomState, whose shuffle pooled-80-20 reproduces, takes 32-bit seeds.
    let dir = fixture_dir(tmp.path());
    assert_clean_failure(
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "--skip-checksum",
            "--split",
            "pooled-80-20",
            "--seed",
            "4294967296",
        ],
        &out,
        "--seed 4294967296 is too large for --split pooled-80-20",
    );
}

#[test]
fn class_names_must_be_ten_and_are_checked_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    // One line, the error: the data was not even read (that would print "data: ...").
    assert_clean_failure(
        &["--class-names", "a,b,c,d,e,f,g,h,i"],
        &out,
        "--class-names: 9 names given, expected 10 (one per label 0-9, comma-separated)",
    );
    assert_clean_failure(
        &["--class-names", "a,b,c,d,,f,g,h,i,j"],
        &out,
        "--class-names: the name of label 4 is empty",
    );
}

#[test]
fn help_explains_every_command_and_the_exit_codes() {
    let help = String::from_utf8(xtask(&["--help"]).stdout).unwrap();
    for expected in [
        "compare",
        "data",
        "bench",
        "split",
        "Exit status",
        "130",
        "another run holds",
        "could not be written",
    ] {
        assert!(help.contains(expected), "missing {expected:?} in:\n{help}");
    }
    let help = String::from_utf8(xtask(&["compare", "--help"]).stdout).unwrap();
    for flag in [
        "--backends",
        "--data-dir",
        "--split",
        "--seed",
        "--seeds",
        "--epochs",
        "--out",
        "--skip-checksum",
    ] {
        assert!(help.contains(flag), "missing {flag} in compare --help");
    }
}

#[test]
fn a_bad_backend_setting_is_one_clear_error_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    for (set, expected) in [
        (
            "burn.device=gpu",
            "--set burn.device: cannot use \"gpu\": unknown burn device \"gpu\"",
        ),
        (
            "burn.colour=red",
            "--set burn.colour: burn has no setting \"colour\"; its settings: device, hidden, dropout",
        ),
        (
            "scratch.hidden=128,0",
            "--set scratch.hidden: give one or more positive widths",
        ),
        (
            "nosuch.x=1",
            "--set nosuch.x: unknown backend \"nosuch\"; available: scratch, linfa, burn",
        ),
        (
            "burndevice",
            "--set burndevice: expected BACKEND.SETTING=VALUE",
        ),
    ] {
        // A setting of a backend that is not selected is checked too.
        assert_clean_failure(&["--set", set], &out, expected);
    }
    // The per-backend flags are aliases of --set, with the same errors.
    assert_clean_failure(
        &["--hidden", "0"],
        &out,
        "--set scratch.hidden: give one or more positive widths",
    );
    let help = String::from_utf8(xtask(&["compare", "--help"]).stdout).unwrap();
    assert!(
        help.contains("burn.device (default ndarray)")
            && help.contains("scratch.hidden (default 128)"),
        "{help}"
    );
}

/// In a build without the candle backend, naming it (to run, or in a setting) is one error naming
/// the cargo feature, with the command that works, before anything trains; with it, candle is in
/// the default run's list.
#[test]
fn an_optional_backend_is_named_with_its_cargo_feature_in_a_build_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    if cfg!(feature = "candle") {
        let help = xtask(&["compare", "--help"]);
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(help.contains("candle.device"), "{help}");
        return;
    }
    let missing = "the candle backend is not compiled into this build; rebuild with the `candle` \
                   cargo feature";
    let line = assert_one_line_error(
        &["--backends", "scratch,candle"],
        &out,
        &format!("--backends candle: {missing}"),
    );
    assert!(
        line.contains("the same command with it: ") && line.contains("--features candle"),
        "{line}"
    );
    assert_clean_failure(
        &["--set", "candle.hidden=32"],
        &out,
        &format!("--set candle.hidden: {missing}"),
    );
    assert!(!out.exists());
    let list = xtask(&["bench", "--list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains(&format!("Not listed: {missing}.")), "{list}");
    let timed = xtask(&["bench", "candle-epoch"]);
    let stderr = String::from_utf8_lossy(&timed.stderr);
    assert_eq!(timed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unknown workload \"candle-epoch\"") && stderr.contains(missing),
        "{stderr}"
    );
}

/// In a build without Flex, naming it (for burn, or through the cnn's default device) is one
/// error naming the cargo feature that brings it, before anything trains.
#[cfg(not(feature = "flex"))]
#[test]
fn a_device_not_compiled_in_is_named_with_its_cargo_feature() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let missing = "the flex device is not compiled into this build; rebuild with the `flex` \
                   cargo feature";
    // Set on a backend that is not selected (the helper runs scratch alone): checked all the same.
    assert_clean_failure(
        &["--burn-device", "flex"],
        &out,
        &format!("--set burn.device: cannot use \"flex\": {missing}"),
    );
    // The cnn's default device: said to be the default, not blamed on a --set nobody typed,
    // and the command that works given, with the arguments as typed.
    for backends in ["cnn", "all"] {
        let line = assert_one_line_error(
            &["--backends", backends],
            &out,
            &format!("cnn.device is \"flex\" by default, which this build cannot use: {missing}"),
        );
        assert!(!out.exists());
        let works = line
            .split_once("the same command with it: ")
            .map(|(_, c)| c.trim_end())
            .unwrap_or_else(|| panic!("no command in {line}"));
        // The alias in a release build with the default features (as CI's); spelled out in a
        // debug one, or with another feature (candle) beside flex.
        let spelled_out = if cfg!(feature = "candle") {
            "cargo run --release -p xtask --features candle,flex -- compare --out "
        } else {
            "cargo run -p xtask --features flex -- compare --out "
        };
        assert!(
            works.starts_with("cargo xtask-flex compare --out ") || works.starts_with(spelled_out),
            "{works}"
        );
        assert!(
            works.ends_with(&format!("--backends {backends}")),
            "{works}"
        );
    }
}
