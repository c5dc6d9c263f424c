//! The least a state machine of your own needs to run under the simulator.
//!
//! A key-value map written from scratch against the two traits, to copy
//! and change: a `BTreeMap` instead of `KvStore`'s `HashMap`, a put that
//! travels in the log as a two-element JSON array (`["key","value"]`)
//! instead of an object, and no footprints. Without footprints every
//! write touches the whole state, which is always correct but costs
//! something: a leader that does not know whether a committed write was
//! answered must vouch for every such write before any read, not only
//! for those of the read's key (see `consensus/src/unconfirmed.rs`).
//!
//! ```text
//! cargo build --release --example minimal_store
//! ./run --replica target/release/examples/minimal_store configs/simple-2.json
//! ```

use node::GetPutMachine;
use statemachine::StateMachine;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Keys and their values, ordered by key.
#[derive(Default)]
struct MinimalStore {
    map: BTreeMap<String, String>,
}

impl StateMachine for MinimalStore {
    /// A key and its new value; serde writes a tuple as a JSON array.
    type Command = (String, String);
    /// The key to read.
    type Query = String;
    /// The value written or read.
    type Output = String;

    fn apply(&mut self, (key, value): &(String, String)) -> String {
        self.map.insert(key.clone(), value.clone());
        value.clone()
    }

    fn query(&self, key: &String) -> String {
        self.map.get(key).cloned().unwrap_or_default()
    }
}

impl GetPutMachine for MinimalStore {
    fn put(key: String, value: String) -> (String, String) {
        (key, value)
    }

    fn get(key: String) -> String {
        key
    }

    fn value(output: String) -> String {
        output
    }
}

fn main() -> ExitCode {
    node::main_with(MinimalStore::default)
}
