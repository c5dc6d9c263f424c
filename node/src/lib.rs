//! # node: one replica on UDP, serving the assignment's clients
//!
//! The `node` crate owns everything that touches the outside world: the
//! command line, the UDP socket, the clock, logging, and the translation
//! between the assignment's client messages and the `consensus` core's
//! requests and replies. It runs one single-threaded event loop: a
//! blocking wait for a datagram whose timeout is the core's next timer
//! (`wait.rs`), so an idle replica uses no CPU.
//!
//! It serves any state machine that says how a client's `get` and `put`
//! map onto its own queries and commands ([`GetPutMachine`]). The
//! `3700kvstore` binary is [`main_with`] over `statemachine::KvStore`;
//! a program of a few lines serves a machine of your own the same way
//! (`examples/minimal_store.rs`), and `./run --replica` drives it.
//!
//! What this crate must not do: make protocol decisions. Whether to vote,
//! what to send, when to answer are all the core's; the node only moves
//! bytes and reads the clock.

mod affinity;
mod cli;
mod logging;
mod server;
mod translate;
mod tuning;
mod wait;

pub use cli::Options;
pub use server::run;
pub use translate::GetPutMachine;

use std::process::ExitCode;

/// A replica's whole program: reads the command line
/// (`<UDP port> <own id> <other ids...>`), then serves the machine that
/// `machine` builds until the process is killed. A bad command line
/// prints usage and exits 2; a replica that cannot start exits 1.
pub fn main_with<SM: GetPutMachine>(machine: impl FnOnce() -> SM) -> ExitCode {
    let mut args = std::env::args_os();
    let program = args
        .next()
        .and_then(|path| {
            std::path::Path::new(&path)
                .file_name()?
                .to_str()
                .map(String::from)
        })
        .unwrap_or_else(|| "3700kvstore".to_string());
    let args: Option<Vec<String>> = args.map(|a| a.into_string().ok()).collect();
    let parsed = args.ok_or_else(|| "arguments must be text (UTF-8)".to_string());
    let opts = match parsed.and_then(|args| cli::parse(&args)) {
        Ok(opts) => opts,
        Err(problem) => {
            eprintln!("{program}: {problem}");
            eprintln!("{}", cli::usage(&program));
            return ExitCode::from(2);
        }
    };
    logging::init_from_env();
    match server::run(opts, machine()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
