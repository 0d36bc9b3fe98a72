//! The memory a run needs, estimated before anything big is allocated, and the memory the
//! machine can give: a run that cannot fit is refused with both figures instead of aborting
//! on allocation part-way.
//!
//! The room is the smaller of `MemAvailable` (`/proc/meminfo`) and what the address-space
//! limit (`RLIMIT_AS`, the soft "Max address space" of `/proc/self/limits`) leaves above the
//! process's current size (`VmSize` of `/proc/self/status`). Where these files do not exist
//! (not Linux) nothing is known and nothing is refused.

use anyhow::{bail, Result};

/// The address space a worker thread reserves beyond what it uses: glibc's 64 MiB heap arena,
/// which it maps at twice that size to align it before trimming (so 128 MiB for a moment),
/// and the thread's 8 MiB stack. It counts against `RLIMIT_AS`, not against memory: measured,
/// a run that needs 39 MiB of memory and holds 21 MiB needs 150 to 200 MiB of address space on
/// 2 cores with the threaded matrix product, and with 72 MiB per thread a run under twice its
/// estimate still failed now and then, when an arena was being created.
pub const THREAD_RESERVE: u64 = 136 << 20;

/// What is known of the room for a run, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Room {
    /// `MemAvailable`.
    pub available: Option<u64>,
    /// The address-space limit minus the address space already used.
    pub address_space: Option<u64>,
}

impl Room {
    /// Read from `/proc` (all unknown where it is missing). The address space left is net of
    /// what the other threads reserve without using ([`THREAD_RESERVE`] each: the engine's
    /// pool, `get_num_threads` or one per core, and the progress bar's).
    pub fn of_this_process() -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let mut room = Self::parse(
            &read("/proc/meminfo"),
            &read("/proc/self/limits"),
            &read("/proc/self/status"),
        );
        let threads = (autograd::get_num_threads() as u64)
            .max(std::thread::available_parallelism().map_or(1, |n| n.get() as u64))
            + 1;
        room.address_space = room
            .address_space
            .map(|a| a.saturating_sub(threads.saturating_mul(THREAD_RESERVE)));
        room
    }

    /// From the text of `/proc/meminfo`, `/proc/self/limits` and `/proc/self/status`.
    pub fn parse(meminfo: &str, limits: &str, status: &str) -> Self {
        let kib = |text: &str, key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
                .map(|k| k.saturating_mul(1024))
        };
        let limit = limits
            .lines()
            .find_map(|l| l.strip_prefix("Max address space"))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok());
        let used = kib(status, "VmSize:").unwrap_or(0);
        Self {
            available: kib(meminfo, "MemAvailable:"),
            address_space: limit.map(|l| l.saturating_sub(used)),
        }
    }

    /// The most a run may use: the smaller of the known figures.
    pub fn limit(&self) -> Option<u64> {
        match (self.available, self.address_space) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Refuses `need` bytes for `what` if they do not fit, naming the estimate and the room.
    pub fn check(&self, what: &str, need: u64) -> Result<()> {
        match self.limit() {
            Some(limit) if need > limit => bail!(
                "{what} needs about {} of memory, but {}; choose a smaller model or batch, or free memory",
                bytes(need),
                self.describe()
            ),
            _ => Ok(()),
        }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = self.available {
            parts.push(format!("the machine has {} available", bytes(a)));
        }
        if let Some(s) = self.address_space {
            parts.push(format!(
                "the address-space limit (ulimit -v) leaves {} (net of the threads' reserves)",
                bytes(s)
            ));
        }
        parts.join(" and ")
    }
}

/// `n` bytes in binary units with 3 significant figures: `512 B`, `1.50 KiB`, `3.21 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = n as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    match u {
        0 => format!("{n} B"),
        _ if x >= 100.0 => format!("{x:.0} {}", UNITS[u]),
        _ if x >= 10.0 => format!("{x:.1} {}", UNITS[u]),
        _ => format!("{x:.2} {}", UNITS[u]),
    }
}

/// What a training run holds, per parameter and per activation, in elements of its dtype.
///
/// Measured (peak resident size, 2 cores, f32 and f64, digits): 6.6 parameter-sized buffers
/// with Adam (values, gradients, two moments, the bound copies and the update's temporaries)
/// and 6.0 with SGD; about 7 activation-sized buffers per example of the largest batch (the
/// forward values and their gradients). The factors below round these up, so the estimate is
/// an upper bound within about 25% of the measured peak.
pub struct Footprint {
    /// Parameter-sized buffers alive at once.
    pub per_param: u64,
    /// Activation-sized buffers per example of a batch.
    pub per_activation: u64,
}

/// The bytes a run holds: `params` parameters, batches of `batch` examples through layers of
/// `outputs` (the sum of every layer's output size), `data` input elements, elements of
/// `elem` bytes, plus 16 MiB for the program itself. Saturates instead of overflowing.
pub fn estimate(f: &Footprint, params: u64, batch: u64, outputs: u64, data: u64, elem: u64) -> u64 {
    let elems = params
        .saturating_mul(f.per_param)
        .saturating_add(batch.saturating_mul(outputs).saturating_mul(f.per_activation))
        .saturating_add(data);
    elems.saturating_mul(elem).saturating_add(16 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str =
        "MemTotal:       24683664 kB\nMemFree:        15442132 kB\nMemAvailable:   23477848 kB\n";
    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \n\
        Max cpu time              unlimited            unlimited            seconds   \n\
        Max address space         4000000000           unlimited            bytes     \n";
    const STATUS: &str = "Name:\tchainrule\nVmPeak:\t   10000 kB\nVmSize:\t    8000 kB\n";

    #[test]
    fn room_is_read_from_proc_texts() {
        let room = Room::parse(MEMINFO, LIMITS, STATUS);
        assert_eq!(room.available, Some(23477848 * 1024));
        assert_eq!(room.address_space, Some(4_000_000_000 - 8000 * 1024));
        assert_eq!(room.limit(), Some(4_000_000_000 - 8000 * 1024));
        let unlimited = LIMITS.replace("4000000000  ", "unlimited   ");
        let room = Room::parse(MEMINFO, &unlimited, STATUS);
        assert_eq!((room.address_space, room.limit()), (None, Some(23477848 * 1024)));
        // Elsewhere nothing is known and nothing is refused.
        let none = Room::parse("", "", "");
        assert_eq!(none, Room::default());
        assert!(none.check("x", u64::MAX).is_ok());
    }

    #[test]
    fn a_run_that_does_not_fit_is_refused_with_both_figures() {
        let room = Room::parse(MEMINFO, LIMITS, STATUS);
        let err = room.check("the model", 5 << 30).unwrap_err().to_string();
        assert_eq!(
            err,
            "the model needs about 5.00 GiB of memory, but the machine has 22.4 GiB available and \
             the address-space limit (ulimit -v) leaves 3.72 GiB (net of the threads' reserves); \
             choose a smaller model or batch, or free memory"
        );
        assert!(room.check("the model", 3 << 30).is_ok());
    }

    #[test]
    fn sizes_and_estimates() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.50 KiB");
        assert_eq!(bytes(300 << 20), "300 MiB");
        let f = Footprint {
            per_param: 7,
            per_activation: 8,
        };
        // 10 parameters, batch 2 through 5 outputs, 3 inputs, f32: (70 + 80 + 3) * 4 + 16 MiB.
        assert_eq!(estimate(&f, 10, 2, 5, 3, 4), 153 * 4 + (16 << 20));
        assert_eq!(estimate(&f, u64::MAX, 1, 1, 1, 8), u64::MAX);
    }
}
