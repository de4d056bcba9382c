//! Where candle runs: its CPU device always, its GPU devices behind cargo features.

use std::fmt;
use std::str::FromStr;

use bench_core::TrainError;
use bench_core::network::DeviceNames;
use candle_core::Device;

/// A candle device, chosen at run time among those compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CandleDevice {
    /// candle's CPU device (its own kernels, `gemm` for products, rayon threads).
    #[default]
    Cpu,
    /// The first CUDA GPU (`cuda` feature).
    #[cfg(feature = "cuda")]
    Cuda,
    /// The first Metal GPU (`metal` feature, macOS).
    #[cfg(feature = "metal")]
    Metal,
}

/// Every device this crate knows, with the cargo feature that compiles it in (`None`: always).
pub const KNOWN_DEVICES: [(&str, Option<&str>); 3] = [
    ("cpu", None),
    ("cuda", Some("cuda")),
    ("metal", Some("metal")),
];

impl CandleDevice {
    /// Every device compiled in.
    pub fn all() -> Vec<CandleDevice> {
        vec![
            Self::Cpu,
            #[cfg(feature = "cuda")]
            Self::Cuda,
            #[cfg(feature = "metal")]
            Self::Metal,
        ]
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            #[cfg(feature = "cuda")]
            Self::Cuda => "cuda",
            #[cfg(feature = "metal")]
            Self::Metal => "metal",
        }
    }

    /// The candle device; a GPU that cannot be opened is an error naming it.
    pub fn device(self) -> Result<Device, TrainError> {
        match self {
            Self::Cpu => Ok(Device::Cpu),
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::new_cuda(0).map_err(|e| self.unavailable(e)),
            #[cfg(feature = "metal")]
            Self::Metal => Device::new_metal(0).map_err(|e| self.unavailable(e)),
        }
    }

    #[cfg(any(feature = "cuda", feature = "metal"))]
    fn unavailable(self, e: candle_core::Error) -> TrainError {
        TrainError::Backend(format!("candle {self} device: {e}"))
    }
}

impl fmt::Display for CandleDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CandleDevice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compiled: Vec<(CandleDevice, &str)> =
            Self::all().into_iter().map(|d| (d, d.name())).collect();
        DeviceNames {
            framework: "candle",
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
        for d in CandleDevice::all() {
            assert_eq!(d.name().parse::<CandleDevice>().unwrap(), d);
        }
        let err = "tpu".parse::<CandleDevice>().unwrap_err();
        assert!(
            err.starts_with("unknown candle device \"tpu\"; compiled in: cpu"),
            "{err}"
        );
        for (name, feature) in KNOWN_DEVICES {
            match (name.parse::<CandleDevice>(), feature) {
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
