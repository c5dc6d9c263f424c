//! Keeping the replicas of one machine on one processor.
//!
//! ## Why
//!
//! Under the simulator every replica runs on the same machine and is
//! asleep almost all the time: a put wakes the leader, then one follower,
//! then the next, each for a few tens of microseconds. What a wake-up
//! costs is mostly the caches refilling, and every replica runs the same
//! program. Left to the scheduler, the three replicas on a put's path
//! land on whichever processor is free, often one whose caches the
//! simulator just filled with its own work. Pinned to one processor they
//! find the code, and much of the decoder's and the core's working set,
//! still warm from the previous replica.
//!
//! Measured on a two-processor machine, simple-2, four seeds, each run
//! once unpinned and once pinned, interleaved: median latency 0.680 ms
//! unpinned against 0.631 ms (processor 0) and 0.634 ms (processor 1);
//! the simulator's floor responder, pinned the same way, moved from 0.413
//! to 0.407 ms.
//!
//! The cost: the replicas share one processor. Each uses a fraction of a
//! percent of it under the simulator, so none waits for another; a
//! deployment with one replica per machine loses nothing either.
//!
//! ## The choice
//!
//! `KVSTORE_CPU` picks the processor: a number, or `off` to leave the
//! scheduler alone. Unset, a replica takes the highest-numbered processor
//! it may run on, so that every replica started from the same place picks
//! the same one. A number that names no processor the replica may use is
//! an error; the default is a best effort: if it cannot be applied, the
//! replica runs unpinned.

use anyhow::{bail, Context, Result};

/// What `KVSTORE_CPU` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pinning {
    /// The highest-numbered processor this process may run on.
    Default,
    /// This processor.
    Processor(usize),
    /// No pinning.
    Off,
}

/// Reads `KVSTORE_CPU`; a value that is neither a number nor `off` is an
/// error that names the variable.
pub fn from_env() -> Result<Pinning> {
    match std::env::var("KVSTORE_CPU") {
        Err(_) => Ok(Pinning::Default),
        Ok(raw) => parse(&raw),
    }
}

/// Parses a `KVSTORE_CPU` value.
pub fn parse(raw: &str) -> Result<Pinning> {
    if raw == "off" {
        return Ok(Pinning::Off);
    }
    raw.parse()
        .map(Pinning::Processor)
        .with_context(|| format!("KVSTORE_CPU={raw:?} is not a processor number or \"off\""))
}

/// Applies `pinning` to this process. Returns the processor it now runs
/// on, or `None` when it is left unpinned: asked to be, or because the
/// default could not be applied. Only a processor named explicitly is
/// an error when it cannot be used.
pub fn apply(pinning: Pinning) -> Result<Option<usize>> {
    if pinning == Pinning::Off {
        return Ok(None);
    }
    let allowed = allowed();
    match pinning {
        Pinning::Processor(cpu) if !allowed.contains(&cpu) => {
            bail!("KVSTORE_CPU={cpu}: this process may not run on processor {cpu}")
        }
        Pinning::Processor(cpu) => pin_to(cpu).map(Some),
        _ => Ok(allowed.into_iter().max().and_then(|cpu| pin_to(cpu).ok())),
    }
}

/// Pins this process to processor `cpu`, one of those it may run on.
fn pin_to(cpu: usize) -> Result<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; `cpu` is below
    // CPU_SETSIZE because the caller took it from `allowed`, and the size
    // passed is that of the set.
    let result = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if result != 0 {
        let err = std::io::Error::last_os_error();
        bail!("pinning to processor {cpu} failed: {err}");
    }
    Ok(cpu)
}

/// The processors this process may run on, as the kernel reports them;
/// empty if it cannot say.
fn allowed() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is valid; the kernel fills at most its
    // size, and CPU_ISSET reads within it for every index below
    // CPU_SETSIZE.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_to_what_they_name() {
        assert_eq!(parse("off").unwrap(), Pinning::Off);
        assert_eq!(parse("3").unwrap(), Pinning::Processor(3));
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        for raw in ["", "one", "-1", "1.5", "OFF"] {
            let err = parse(raw).unwrap_err().to_string();
            assert!(err.contains("KVSTORE_CPU"), "{raw:?}: {err}");
        }
    }

    #[test]
    fn off_leaves_the_process_unpinned() {
        assert_eq!(apply(Pinning::Off).unwrap(), None);
    }

    #[test]
    fn a_processor_the_process_may_not_use_is_refused() {
        let err = apply(Pinning::Processor(libc::CPU_SETSIZE as usize + 1)).unwrap_err();
        assert!(err.to_string().contains("may not run on"), "{err}");
    }
}
