//! `cargo xtask predict`: saved models classify a user's own images; bad input is one line per
//! file, the other images still classified; and an MNIST test image, rendered as a user might
//! (larger, inverted, off-centre), gets the class the model gave the original.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{GrayImage, Luma};
use mnist_data::synth;

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_remove("MNIST_DIR")
        .env("MNIST_CACHE_DIR", "/nonexistent/mnist-compare-test-cache")
        .env("MNIST_MIRRORS", "http://127.0.0.1:9/")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Models of scratch, linfa and burn saved by `compare` on a synthetic fixture into `root/models`.
fn saved_models(root: &Path) -> PathBuf {
    let data = root.join("idx");
    mnist_data::write::write_dir(
        &data,
        &synth::separable(60, 1),
        &synth::separable(20, 2),
        true,
    )
    .unwrap();
    let models = root.join("models");
    let out = xtask(&[
        "compare",
        "--skip-checksum",
        "--data-dir",
        data.to_str().unwrap(),
        "--epochs",
        "2",
        "--out",
        root.join("report").to_str().unwrap(),
        "--save-models",
        models.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    models
}

/// A copy of the saved model `from` as `to`, both folders in `models`; returns the copy.
fn copy_model(models: &Path, from: &str, to: &str) -> PathBuf {
    let dir = models.join(to);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(models.join(from)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

/// A dark stroke on light paper: something to classify.
fn stroke(path: &Path) {
    GrayImage::from_fn(90, 120, |x, y| {
        Luma([if (40..52).contains(&x) && (20..100).contains(&y) {
            15
        } else {
            240
        }])
    })
    .save(path)
    .unwrap();
}

/// A PNG whose header claims `side x side` pixels (and holds no image data).
fn huge_png_header(path: &Path, side: u32) {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit grayscale
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(13u32.to_be_bytes());
    png.extend(&ihdr);
    png.extend(crc32(&ihdr).to_be_bytes());
    std::fs::write(path, png).unwrap();
}

#[test]
fn each_bad_image_is_one_line_naming_it_and_the_others_are_still_classified() {
    let tmp = tempfile::tempdir().unwrap();
    let models = saved_models(tmp.path());
    let dir = tmp.path().join("images");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.png");
    stroke(&good);
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.join("notes.txt"), "not an image this tool reads"),
        (dir.join("truncated.png"), "cannot decode"),
        (dir.join("huge.png"), "too large to read"),
        (dir.join("blank.png"), "the image is blank"),
        (dir.join("missing.png"), "cannot read"),
    ];
    std::fs::write(&cases[0].0, "a shopping list, not a picture").unwrap();
    let whole = std::fs::read(&good).unwrap();
    std::fs::write(&cases[1].0, &whole[..whole.len() / 2]).unwrap();
    huge_png_header(&cases[2].0, 100_000);
    GrayImage::from_pixel(64, 64, Luma([245]))
        .save(&cases[3].0)
        .unwrap();
    let mut args = vec!["predict", "--models", models.to_str().unwrap()];
    args.push(good.to_str().unwrap());
    for (path, _) in &cases {
        args.push(path.to_str().unwrap());
    }
    let out = xtask(&args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(2),
        "some failed:\n{stdout}\n{stderr}"
    );
    // The good image: each model's top three.
    assert!(
        stdout.starts_with(&format!("{}:\n", good.display())),
        "{stdout}"
    );
    for model in ["scratch seed 42: ", "linfa seed 42: ", "burn seed 42: "] {
        assert!(stdout.contains(model), "{model:?} in {stdout}");
    }
    // Each bad one: exactly one line, naming the file.
    assert_eq!(stderr.lines().count(), cases.len(), "{stderr}");
    for (path, expected) in &cases {
        let name = path.display().to_string();
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no line for {name} in:\n{stderr}"));
        assert!(line.contains(expected), "{expected:?} not in {line:?}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn models_of_another_dataset_or_version_are_named_and_the_others_used() {
    let tmp = tempfile::tempdir().unwrap();
    let models = saved_models(tmp.path());
    let edit = |from: &str, to: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let dir = copy_model(&models, from, to);
        let path = dir.join("model.json");
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        change(&mut json);
        std::fs::write(&path, json.to_string()).unwrap();
        dir
    };
    let fashion = edit("mnist-scratch-seed42", "scratch-fashion", &|j| {
        j["dataset"] = "fashion-mnist".into();
        j["dataset_title"] = "Fashion-MNIST".into();
    });
    let future = edit("mnist-linfa-seed42", "linfa-future", &|j| {
        j["format_version"] = 99.into()
    });
    let image = tmp.path().join("stroke.png");
    stroke(&image);
    // Two datasets in one folder: the user chooses.
    let out = xtask(&[
        "predict",
        "--models",
        models.to_str().unwrap(),
        image.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("pass --dataset NAME"), "{stderr}");
    let out = xtask(&[
        "predict",
        "--dataset",
        "mnist",
        "--models",
        models.to_str().unwrap(),
        image.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    for (dir, expected) in [
        (&fashion, "saved for Fashion-MNIST, not mnist"),
        (&future, "saved by another version of the tool"),
    ] {
        let name = dir.display().to_string();
        let line = stderr
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_else(|| {
                panic!("no line for {name} in:\n{stderr}");
            });
        assert!(line.contains(expected), "{expected:?} not in {line:?}");
    }
    assert!(stdout.contains("scratch seed 42: ") && stdout.contains("burn seed 42: "));
}

#[test]
fn without_saved_models_one_line_says_which_command_makes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("stroke.png");
    stroke(&image);
    let empty = tmp.path().join("models");
    let out = xtask(&[
        "predict",
        "--models",
        empty.to_str().unwrap(),
        image.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let command = format!("cargo xtask compare --save-models {}", empty.display());
    assert!(stderr.contains(&command), "{stderr}");
}

/// The round trip `predict` must pass: 200 test images of the bundled MNIST, each drawn as
/// a user might hand one in (2.5 times larger, dark on light, off-centre in a wider canvas),
/// classified by `predict`, against each model's class for the original 28x28 (from the
/// report's results.json of the same run). At least 95% must agree, per backend.
#[test]
fn rendered_test_images_get_the_class_the_model_gives_the_originals() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    // Models trained on the bundled MNIST: the networks briefly, linfa with its own budget.
    for (backends, extra) in [("scratch,burn", vec!["--epochs", "3"]), ("linfa", vec![])] {
        let report = tmp.path().join(format!("report-{backends}"));
        let mut args = vec!["compare", "--backends", backends, "--out"];
        args.push(report.to_str().unwrap());
        args.extend(["--save-models", models.to_str().unwrap()]);
        args.extend(extra);
        let out = xtask(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mut original: Vec<(String, Vec<u8>)> = Vec::new();
    for backends in ["scratch,burn", "linfa"] {
        let results = tmp
            .path()
            .join(format!("report-{backends}"))
            .join("results.json");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
        for run in json["runs"].as_array().unwrap() {
            let predictions = run["metrics"]["test_predictions"].as_array().unwrap();
            let label = format!("{} seed {}", run["backend"].as_str().unwrap(), 42);
            original.push((
                label,
                predictions
                    .iter()
                    .map(|p| p.as_u64().unwrap() as u8)
                    .collect(),
            ));
        }
    }
    let test = mnist_data::source::load_dir(
        &mnist_data::source::bundled_dir(),
        &mnist_data::MNIST,
        true,
        &[],
        mnist_data::Origin::Bundled(mnist_data::source::bundled_dir()),
    )
    .unwrap()
    .test;
    let dir = tmp.path().join("rendered");
    std::fs::create_dir_all(&dir).unwrap();
    let n = 200;
    let mut paths = Vec::new();
    for i in 0..n {
        let pixels = test.image(i);
        // 2.5 times larger (70x70, resampled with Catmull-Rom, not the area averaging predict
        // uses), inverted, at an offset that varies with the image.
        let small = GrayImage::from_raw(28, 28, pixels.to_vec()).unwrap();
        let large =
            image::imageops::resize(&small, 70, 70, image::imageops::FilterType::CatmullRom);
        let (ox, oy) = (10 + (i as u32 * 7) % 60, 5 + (i as u32 * 13) % 30);
        let canvas = GrayImage::from_fn(160, 130, |x, y| {
            let inside = x >= ox && y >= oy && x - ox < 70 && y - oy < 70;
            let v = if inside {
                large.get_pixel(x - ox, y - oy).0[0]
            } else {
                0
            };
            Luma([255 - v])
        });
        let path = dir.join(format!("{i:03}.png"));
        canvas.save(&path).unwrap();
        paths.push(path);
    }
    let mut args = vec!["predict", "--models", models.to_str().unwrap()];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let out = xtask(&args);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Parse: "PATH:" then "  LABEL: CLASS P%, ..." per model.
    let mut image = None;
    let mut agree = std::collections::BTreeMap::<String, usize>::new();
    for line in stdout.lines() {
        if let Some(path) = line.strip_suffix(':') {
            image = paths.iter().position(|p| p.to_str() == Some(path));
            continue;
        }
        let (label, classes) = line.trim().split_once(": ").unwrap();
        let class: u8 = classes.split(' ').next().unwrap().parse().unwrap();
        let i = image.unwrap();
        let (_, predictions) = original.iter().find(|(l, _)| l == label).unwrap();
        *agree.entry(label.to_string()).or_default() += usize::from(predictions[i] == class);
    }
    assert_eq!(agree.len(), 3, "{agree:?}");
    for (label, same) in &agree {
        eprintln!("{label}: {same} of {n} rendered images get the original's class");
        assert!(*same * 100 >= 95 * n, "{label}: {same} of {n}");
    }
}

#[test]
fn a_model_with_damaged_weights_is_one_line_naming_its_file_and_the_others_are_used() {
    let tmp = tempfile::tempdir().unwrap();
    let models = saved_models(tmp.path());
    // Copies of the burn and scratch models, their weights cut in half or replaced by noise.
    let damage = |from: &str, to: &str, file: &str, keep: &dyn Fn(&[u8]) -> Vec<u8>| {
        let path = copy_model(&models, from, to).join(file);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, keep(&bytes)).unwrap();
        path
    };
    let half = |b: &[u8]| b[..b.len() / 2].to_vec();
    let noise = |b: &[u8]| (0..b.len()).map(|i| (i * 7919 % 251) as u8).collect();
    let damaged = [
        damage("mnist-burn-seed42", "mnist-burn-half", "model.bpk", &half),
        damage("mnist-burn-seed42", "mnist-burn-noise", "model.bpk", &noise),
        damage(
            "mnist-scratch-seed42",
            "mnist-scratch-half",
            "weights.safetensors",
            &half,
        ),
    ];
    let image = tmp.path().join("stroke.png");
    stroke(&image);
    let out = xtask(&[
        "predict",
        "--models",
        models.to_str().unwrap(),
        image.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert_eq!(stderr.lines().count(), damaged.len(), "{stderr}");
    for path in &damaged {
        let name = path.display().to_string();
        assert!(
            stderr.lines().any(|l| l.contains(&name)),
            "no line naming {name} in:\n{stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    for model in ["scratch seed 42: ", "linfa seed 42: ", "burn seed 42: "] {
        assert!(stdout.contains(model), "{model:?} in {stdout}");
    }
}
