//! # 3700kvstore: one replica of the replicated key-value store
//!
//! `3700kvstore <UDP port> <own id> <other ids...>`
//!
//! The `node` crate owns everything that touches the outside world: the
//! command line, the UDP socket, the clock, logging, and the translation
//! between the assignment's client messages and the `consensus` core's
//! requests and replies. It runs one single-threaded event loop: a
//! blocking wait for a datagram whose timeout is the core's next timer
//! (`wait.rs`), so an idle replica uses no CPU.
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

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match cli::parse(&args) {
        Ok(opts) => opts,
        Err(problem) => {
            eprintln!("3700kvstore: {problem}");
            eprintln!("{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    logging::init_from_env();
    match server::run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("3700kvstore: {e:#}");
            ExitCode::FAILURE
        }
    }
}
