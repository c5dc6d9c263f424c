//! Logging to stderr, quiet by default.
//!
//! `KVSTORE_LOG` chooses how much is said: `warn` (the default: only
//! problems, such as malformed datagrams), `info` (role changes), `debug`
//! (every client request and answer), `trace` (every datagram).

use std::sync::atomic::{AtomicU8, Ordering};

/// How much to log, least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Problems only.
    Warn = 1,
    /// Role and leader changes.
    Info = 2,
    /// Client requests and answers.
    Debug = 3,
    /// Every datagram in and out.
    Trace = 4,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);

/// Reads `KVSTORE_LOG`; an unknown value keeps the default and says so.
pub fn init_from_env() {
    let Ok(value) = std::env::var("KVSTORE_LOG") else {
        return;
    };
    let level = match value.to_ascii_lowercase().as_str() {
        "warn" => Level::Warn,
        "info" => Level::Info,
        "debug" => Level::Debug,
        "trace" => Level::Trace,
        other => {
            eprintln!("3700kvstore: KVSTORE_LOG={other:?} is not one of warn, info, debug, trace");
            Level::Warn
        }
    };
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// True if messages at `level` are shown.
pub fn enabled(level: Level) -> bool {
    LEVEL.load(Ordering::Relaxed) >= level as u8
}

/// Writes one whole log line to stderr. A failed write is ignored
/// (`eprintln!` would panic): losing a log line must not stop a replica.
pub fn write_line(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Logs a line at a level, prefixed by the level's name.
///
/// The line is formatted first and written with one call: stderr is
/// unbuffered, so `eprintln!` would write each piece of the format on
/// its own, and a reader of the pipe (the simulator prefixes each chunk
/// it reads with the replica's id) could see a line cut in three.
macro_rules! log_at {
    ($level:expr, $($arg:tt)*) => {
        if $crate::logging::enabled($level) {
            $crate::logging::write_line(&format!("[{:?}] {}\n", $level, format_args!($($arg)*)));
        }
    };
}

pub(crate) use log_at;
