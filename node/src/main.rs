//! # 3700kvstore: one replica of the replicated key-value store
//!
//! `3700kvstore <UDP port> <own id> <other ids...>`
//!
//! The `node` library over the key-value map; see its crate doc.

use statemachine::KvStore;
use std::process::ExitCode;

fn main() -> ExitCode {
    node::main_with(KvStore::new)
}
