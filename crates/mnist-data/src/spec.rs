//! The datasets this tool knows, as data: one [`DatasetSpec`] per 28x28, 10-class IDX dataset.
//!
//! A spec names the dataset, its classes, its four files with the SHA-256 of their decoded
//! bytes, its licence and where to download it. Adding a dataset of the same shape is one more
//! spec in [`KNOWN`]; finding, verifying, downloading and identifying files all go through it.

use crate::error::DataError;
use crate::idx::N_CLASSES;
use crate::source::{Checksums, Part};

/// Everything the tool needs to know about one dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSpec {
    /// The name used on the command line, e.g. `fashion-mnist`.
    pub name: &'static str,
    /// The name people know it by, e.g. `Fashion-MNIST`: report titles use it.
    pub title: &'static str,
    /// One line saying what the images are.
    pub about: &'static str,
    /// What one class is called in prose and on axes (`digit`, `class`).
    pub class_noun: &'static str,
    /// The class of each label, 0 to 9.
    pub class_names: [&'static str; N_CLASSES],
    /// The canonical file names, without `.gz`, in [`Part::ALL`] order.
    pub files: [&'static str; 4],
    /// SHA-256 of each file's decoded bytes, in [`Part::ALL`] order.
    pub sha256: [&'static str; 4],
    /// The licence the data is published under.
    pub licence: &'static str,
    /// Base URLs serving the four `.gz` files, tried in turn.
    pub mirrors: &'static [&'static str],
    /// The environment variable naming a folder that holds this dataset.
    pub dir_env: &'static str,
    /// Whether a copy ships with the `mnist-data` crate (only MNIST does).
    pub bundled: bool,
}

/// The file names MNIST made canonical; Fashion-MNIST kept them.
pub const IDX_FILE_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// MNIST, the handwritten digits (Y. LeCun, C. Cortes, C. J. C. Burges).
pub const MNIST: DatasetSpec = DatasetSpec {
    name: "mnist",
    title: "MNIST",
    about: "handwritten digits",
    class_noun: "digit",
    class_names: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    files: IDX_FILE_NAMES,
    sha256: [
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ],
    licence: "CC BY-SA 3.0",
    mirrors: &[
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://yann.lecun.com/exdb/mnist/",
    ],
    dir_env: "MNIST_DIR",
    bundled: true,
};

/// Fashion-MNIST, Zalando's clothing images (H. Xiao, K. Rasul, R. Vollgraf, 2017): the drop-in
/// replacement for MNIST, with the same format, file names and sizes.
pub const FASHION_MNIST: DatasetSpec = DatasetSpec {
    name: "fashion-mnist",
    title: "Fashion-MNIST",
    about: "Zalando's clothing images",
    class_noun: "class",
    class_names: [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    files: IDX_FILE_NAMES,
    sha256: [
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ],
    licence: "MIT",
    mirrors: &[
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
    dir_env: "FASHION_MNIST_DIR",
    bundled: false,
};

/// Every dataset the command line knows, the default first.
pub const KNOWN: [&DatasetSpec; 2] = [&MNIST, &FASHION_MNIST];

impl DatasetSpec {
    /// The published checksums of the four files.
    pub fn checksums(&self) -> Checksums {
        Checksums(self.sha256.map(String::from))
    }

    /// The canonical name of `part`'s file, without `.gz`.
    pub fn file(&self, part: Part) -> &'static str {
        self.files[part as usize]
    }

    /// The file names a folder may hold for `part`, in the order they are looked for: canonical
    /// then with a dot before `idx` (`train-images.idx3-ubyte`), each gzipped then raw.
    pub fn candidates(&self, part: Part) -> [String; 4] {
        let canonical = self.file(part);
        let alternate = canonical.replacen("-idx", ".idx", 1);
        [
            format!("{canonical}.gz"),
            canonical.to_string(),
            format!("{alternate}.gz"),
            alternate,
        ]
    }

    /// Whether `sha256` (in [`Part::ALL`] order) are exactly this dataset's four files.
    pub fn matches(&self, sha256: &[&str; 4]) -> bool {
        self.sha256 == *sha256
    }
}

/// The known dataset called `name`, or an error listing the known ones.
pub fn by_name(name: &str) -> Result<&'static DatasetSpec, DataError> {
    find(name, &KNOWN)
}

/// The dataset called `name` among `known`, or an error listing them.
pub fn find(name: &str, known: &[&'static DatasetSpec]) -> Result<&'static DatasetSpec, DataError> {
    known
        .iter()
        .copied()
        .find(|d| d.name == name)
        .ok_or_else(|| DataError::UnknownDataset {
            name: name.to_string(),
            known: known
                .iter()
                .map(|d| format!("{} ({}, {})", d.name, d.title, d.about))
                .collect(),
        })
}

/// The dataset among `known` whose four files have exactly these checksums.
pub fn identify(
    sha256: &[&str; 4],
    known: &[&'static DatasetSpec],
) -> Option<&'static DatasetSpec> {
    known.iter().copied().find(|d| d.matches(sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_spec_is_complete() {
        for (i, d) in KNOWN.iter().enumerate() {
            assert!(KNOWN[i + 1..].iter().all(|o| o.name != d.name));
            assert!(d.sha256.iter().all(|s| s.len() == 64));
            assert!(d.class_names.iter().all(|c| !c.is_empty()));
            assert!(!d.mirrors.is_empty());
            assert_eq!(by_name(d.name).map(|s| s.title).ok(), Some(d.title));
        }
    }

    #[test]
    fn an_unknown_name_lists_the_known_datasets() {
        let err = by_name("nosuch").unwrap_err().to_string();
        assert!(err.contains("\"nosuch\""), "{err}");
        assert!(err.contains("mnist (MNIST") && err.contains("fashion-mnist (Fashion-MNIST"));
    }

    #[test]
    fn candidates_cover_both_spellings_gzipped_and_raw() {
        assert_eq!(
            MNIST.candidates(Part::TestLabels),
            [
                "t10k-labels-idx1-ubyte.gz",
                "t10k-labels-idx1-ubyte",
                "t10k-labels.idx1-ubyte.gz",
                "t10k-labels.idx1-ubyte"
            ]
        );
    }

    #[test]
    fn files_are_identified_by_all_four_checksums() {
        let fashion = FASHION_MNIST.sha256;
        assert_eq!(
            identify(&fashion, &KNOWN).map(|d| d.name),
            Some("fashion-mnist")
        );
        let mixed = [MNIST.sha256[0], fashion[1], fashion[2], fashion[3]];
        assert_eq!(identify(&mixed, &KNOWN), None);
    }
}
