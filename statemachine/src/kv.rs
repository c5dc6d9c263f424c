//! The key-value map behind `3700kvstore`.

use crate::{Footprint, StateMachine};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The only command of the key-value store: set `key` to `value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvCommand {
    /// The key written.
    pub key: String,
    /// Its new value.
    pub value: String,
}

/// The only query of the key-value store: the value of `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvQuery {
    /// The key read.
    pub key: String,
}

/// A string-to-string map. A key never written reads as `""`, as the
/// assignment requires.
#[derive(Clone, Debug, Default)]
pub struct KvStore {
    map: HashMap<String, String>,
}

impl KvStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys ever written.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no key has been written.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl StateMachine for KvStore {
    type Command = KvCommand;
    type Query = KvQuery;
    /// For a put, the value written; for a get, the value read.
    type Output = String;

    fn apply(&mut self, command: &KvCommand) -> String {
        self.map.insert(command.key.clone(), command.value.clone());
        command.value.clone()
    }

    fn query(&self, query: &KvQuery) -> String {
        self.map.get(&query.key).cloned().unwrap_or_default()
    }

    fn command_footprint(command: &KvCommand) -> Footprint {
        Footprint::Key(command.key.clone())
    }

    fn query_footprint(query: &KvQuery) -> Footprint {
        Footprint::Key(query.key.clone())
    }

    /// A put of a key never written before.
    fn creates_state(&self, command: &KvCommand) -> bool {
        !self.map.contains_key(&command.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str, v: &str) -> KvCommand {
        KvCommand {
            key: k.into(),
            value: v.into(),
        }
    }

    fn get(k: &str) -> KvQuery {
        KvQuery { key: k.into() }
    }

    #[test]
    fn a_key_never_written_reads_empty() {
        assert_eq!(KvStore::new().query(&get("nope")), "");
    }

    #[test]
    fn the_last_write_wins() {
        let mut kv = KvStore::new();
        kv.apply(&put("a", "1"));
        kv.apply(&put("b", "2"));
        assert_eq!(
            kv.apply(&put("a", "3")),
            "3",
            "a put's output is what it wrote"
        );
        assert_eq!(kv.query(&get("a")), "3");
        assert_eq!(kv.query(&get("b")), "2");
        assert_eq!(kv.len(), 2);
    }

    #[test]
    fn same_commands_same_state() {
        let cmds = [put("x", "1"), put("y", "2"), put("x", "")];
        let (mut a, mut b) = (KvStore::new(), KvStore::new());
        for c in &cmds {
            assert_eq!(a.apply(c), b.apply(c));
        }
        for k in ["x", "y", "z"] {
            assert_eq!(a.query(&get(k)), b.query(&get(k)));
        }
    }

    #[test]
    fn a_put_and_a_get_overlap_exactly_when_their_keys_match() {
        let write = KvStore::command_footprint(&put("k", "v"));
        assert!(write.overlaps(&KvStore::query_footprint(&get("k"))));
        assert!(!write.overlaps(&KvStore::query_footprint(&get("other"))));
    }

    #[test]
    fn only_a_put_of_a_key_never_written_creates_state() {
        let mut kv = KvStore::new();
        assert!(kv.creates_state(&put("k", "")));
        kv.apply(&put("k", ""));
        assert!(!kv.creates_state(&put("k", "v")));
        assert!(kv.creates_state(&put("other", "v")));
    }

    #[test]
    fn command_travels_as_json() {
        let c = put("k", "v");
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(text, r#"{"key":"k","value":"v"}"#);
        assert_eq!(serde_json::from_str::<KvCommand>(&text).unwrap(), c);
    }
}
