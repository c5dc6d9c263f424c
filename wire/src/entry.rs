//! The serialized form of one replicated log entry.

use crate::NodeId;
use serde::{Deserialize, Serialize};

/// A Raft term: a logical clock that only grows (§5.1).
pub type Term = u64;

/// A position in the replicated log, starting at 1; 0 means "before the
/// first entry".
pub type Index = u64;

/// One log entry: the term of the leader that created it and, unless it is
/// the no-op a new leader appends to commit its predecessors' entries
/// (§5.4.2, §8) or a leader's record of writes it answered on another's
/// behalf, the client command it carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "C: Serialize", deserialize = "C: Deserialize<'de>"))]
pub struct Entry<C> {
    /// Term of the leader that appended the entry.
    pub term: Term,
    /// The client command, or `None` for a leader's no-op.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub command: Option<ClientCommand<C>>,
    /// Committed writes, by index, that need no further answer: a leader
    /// answered them `ok` on behalf of the replica that accepted them (a
    /// vouch), or, in a new leader's first entry, it knows their own
    /// leader did (see the consensus crate's `unconfirmed.rs`). `None`
    /// except in those entries, which carry no command: every replica
    /// that applies one stops counting those writes as unanswered, so no
    /// later leader answers them again. An `Option` of a boxed slice, not
    /// a `Vec`: it keeps every other entry 8 bytes smaller, and comparing
    /// two entries stays free of a third slice comparison (with a `Vec`,
    /// the deterministic simulation, which compares every committed
    /// entry, ran for 198 s instead of 108 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<Box<[Index]>>,
}

fn none<T>() -> Option<T> {
    None
}

impl<C> Entry<C> {
    /// A no-op entry for a leader's new term.
    pub fn noop(term: Term) -> Self {
        Entry {
            term,
            command: None,
            answered: None,
        }
    }

    /// An entry recording writes answered on another's behalf, or known
    /// to need no answer; with no indexes, the same as [`Entry::noop`].
    pub fn answered(term: Term, indexes: Vec<Index>) -> Self {
        Entry {
            term,
            command: None,
            answered: (!indexes.is_empty()).then(|| indexes.into()),
        }
    }

    /// An entry carrying a client's command.
    pub fn command(term: Term, command: ClientCommand<C>) -> Self {
        Entry {
            term,
            command: Some(command),
            answered: None,
        }
    }
}

/// A state-machine command together with the client request that asked for
/// it. Recording the origin in the log lets whichever replica commits the
/// entry answer the client, even if the replica that received the request
/// has crashed or lost leadership meanwhile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "C: Serialize", deserialize = "C: Deserialize<'de>"))]
pub struct ClientCommand<C> {
    /// The client that sent the request.
    pub client: NodeId,
    /// The request's `MID`, echoed in the answer.
    pub mid: String,
    /// The state-machine command itself.
    pub op: C,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noop_omits_the_command_key() {
        let e: Entry<String> = Entry::noop(7);
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"term":7}"#);
        let back: Entry<String> = serde_json::from_str(r#"{"term":7}"#).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn a_record_of_answered_writes_lists_their_indexes() {
        let e: Entry<String> = Entry::answered(4, vec![17, 19]);
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(text, r#"{"term":4,"answered":[17,19]}"#);
        assert_eq!(serde_json::from_str::<Entry<String>>(&text).unwrap(), e);
        assert_eq!(Entry::<String>::answered(4, Vec::new()), Entry::noop(4));
    }

    #[test]
    fn command_round_trips() {
        let e = Entry::command(
            2,
            ClientCommand {
                client: NodeId(0x15),
                mid: "M1".into(),
                op: "x".to_string(),
            },
        );
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(
            text,
            r#"{"term":2,"command":{"client":"0015","mid":"M1","op":"x"}}"#
        );
        assert_eq!(serde_json::from_str::<Entry<String>>(&text).unwrap(), e);
    }
}
