//! Where burn runs: the device chosen at run time among those compiled in.

use std::fmt;
use std::str::FromStr;

use bench_core::network::DeviceNames;
use burn::prelude::Device;

/// Where burn runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BurnDevice {
    /// The `burn-ndarray` CPU backend (deprecated upstream in favour of Flex, still the default here).
    #[default]
    Ndarray,
    /// Flex, burn's pure-Rust CPU backend (`flex` feature).
    #[cfg(feature = "flex")]
    Flex,
    /// The first CUDA GPU (`cuda` feature).
    #[cfg(feature = "cuda")]
    Cuda,
    /// The default wgpu adapter (`wgpu` feature).
    #[cfg(feature = "wgpu")]
    Wgpu,
}

/// Every device this crate knows, with the cargo feature that compiles it in (`None`: always).
pub const KNOWN_DEVICES: [(&str, Option<&str>); 4] = [
    ("ndarray", None),
    ("flex", Some("flex")),
    ("cuda", Some("cuda")),
    ("wgpu", Some("wgpu")),
];

impl BurnDevice {
    /// The fastest CPU device compiled in: Flex with the `flex` feature, else ndarray.
    pub fn fastest_cpu() -> BurnDevice {
        #[cfg(feature = "flex")]
        let fastest = Self::Flex;
        #[cfg(not(feature = "flex"))]
        let fastest = Self::Ndarray;
        fastest
    }

    /// Every device compiled in.
    pub fn all() -> Vec<BurnDevice> {
        vec![
            Self::Ndarray,
            #[cfg(feature = "flex")]
            Self::Flex,
            #[cfg(feature = "cuda")]
            Self::Cuda,
            #[cfg(feature = "wgpu")]
            Self::Wgpu,
        ]
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ndarray => "ndarray",
            #[cfg(feature = "flex")]
            Self::Flex => "flex",
            #[cfg(feature = "cuda")]
            Self::Cuda => "cuda",
            #[cfg(feature = "wgpu")]
            Self::Wgpu => "wgpu",
        }
    }

    /// The burn device (without autodiff).
    pub fn device(self) -> Device {
        match self {
            // Deprecated upstream, but it is the backend this project was specified with.
            #[allow(deprecated)]
            Self::Ndarray => Device::ndarray(),
            #[cfg(feature = "flex")]
            Self::Flex => Device::flex(),
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::cuda(0),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Device::wgpu(Default::default()),
        }
    }
}

impl fmt::Display for BurnDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BurnDevice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compiled: Vec<(BurnDevice, &str)> =
            Self::all().into_iter().map(|d| (d, d.name())).collect();
        DeviceNames {
            framework: "burn",
            known: &KNOWN_DEVICES,
        }
        .parse(s, &compiled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_round_trip_and_unknown_ones_are_explained() {
        for d in BurnDevice::all() {
            assert_eq!(d.name().parse::<BurnDevice>().unwrap(), d);
        }
        let err = "tpu".parse::<BurnDevice>().unwrap_err();
        assert!(
            err.starts_with("unknown burn device \"tpu\"; compiled in: ndarray"),
            "{err}"
        );
        assert!(
            err.ends_with("(flex, cuda and wgpu come with the cargo features of those names)"),
            "{err}"
        );
        // A known device left out of this build names the feature that brings it.
        for (name, feature) in KNOWN_DEVICES {
            match (name.parse::<BurnDevice>(), feature) {
                (Ok(d), _) => assert_eq!(d.name(), name),
                (Err(e), Some(feature)) => assert!(
                    e.contains(&format!("rebuild with the `{feature}` cargo feature")),
                    "{e}"
                ),
                (Err(e), None) => panic!("{name} is always compiled in: {e}"),
            }
        }
    }
}
