//! A state machine that remembers what it applied.

use crate::{Footprint, StateMachine};

/// Wraps any state machine and records every command applied to it, in
/// order, while delegating the real work. Two replicas agree exactly when
/// their recorders hold the same history; that is how tests check State
/// Machine Safety without knowing what the commands mean.
#[derive(Clone, Debug, Default)]
pub struct Recorder<S: StateMachine> {
    inner: S,
    applied: Vec<S::Command>,
}

impl<S: StateMachine> Recorder<S> {
    /// Wraps `inner`, with an empty history.
    pub fn new(inner: S) -> Self {
        Recorder {
            inner,
            applied: Vec::new(),
        }
    }

    /// Every command applied so far, oldest first.
    pub fn applied(&self) -> &[S::Command] {
        &self.applied
    }

    /// The wrapped state machine.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: StateMachine> StateMachine for Recorder<S> {
    type Command = S::Command;
    type Query = S::Query;
    type Output = S::Output;

    fn apply(&mut self, command: &S::Command) -> S::Output {
        self.applied.push(command.clone());
        self.inner.apply(command)
    }

    fn query(&self, query: &S::Query) -> S::Output {
        self.inner.query(query)
    }

    fn command_footprint(command: &S::Command) -> Footprint {
        S::command_footprint(command)
    }

    fn query_footprint(query: &S::Query) -> Footprint {
        S::query_footprint(query)
    }

    fn creates_state(&self, command: &S::Command) -> bool {
        self.inner.creates_state(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KvCommand, KvQuery, KvStore};

    #[test]
    fn records_in_order_and_delegates() {
        let mut r = Recorder::new(KvStore::new());
        let a = KvCommand {
            key: "k".into(),
            value: "1".into(),
        };
        let b = KvCommand {
            key: "k".into(),
            value: "2".into(),
        };
        assert!(r.creates_state(&a));
        r.apply(&a);
        assert!(!r.creates_state(&b), "the inner machine decides");
        r.apply(&b);
        assert_eq!(r.applied(), &[a, b]);
        assert_eq!(r.query(&KvQuery { key: "k".into() }), "2");
        assert_eq!(r.inner().len(), 1);
    }

    #[test]
    fn queries_are_not_recorded() {
        let r = Recorder::new(KvStore::new());
        r.query(&KvQuery { key: "k".into() });
        assert!(r.applied().is_empty());
    }
}
