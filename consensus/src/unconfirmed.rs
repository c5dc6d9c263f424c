//! Committed writes whose client may not have been told of them, and
//! vouching for them before a read reveals them.
//!
//! ## The problem
//!
//! The replica that accepted a put is the only one that answers it
//! (`commit.rs`). A put accepted by a leader just before it lost office
//! (it crashed, or a partition cut it off) can still be committed by its
//! successor, and must be if the entry reached a majority. Its client
//! hears of it late (the old leader, back from the partition, learns of
//! the commit) or never (the old leader crashed). In between, a get of
//! the same key by the same client, answered by the new leader, returns
//! the new value. That is linearizable, since the put has not returned,
//! but the client reads a value it was never told was written, and
//! `./run`'s get check, which expects the value of the last put that was
//! answered, counts the read as incorrect.
//!
//! ## The rule
//!
//! Every replica remembers the writes it applied that their client may
//! not have heard of: those of an earlier term than its own when it
//! applied them. A write of the current term needs no such care: the
//! current leader accepted it and answered it the moment it was
//! committed, before anyone else could learn so. A later write by the same client to the same part of the
//! state (its [`Footprint`]) replaces the remembered one, since a read
//! can no longer see it.
//!
//! Before a leader answers a read, it first answers `ok` for each
//! remembered write by the same client that the read may see, as the
//! write's own replica would have, and forgets them. A replica's answers
//! reach a client in the order they were sent, so by the time the read's
//! answer arrives the client knows of the write.
//!
//! The old leader, if it learns of the commit, leaves its answer to the
//! current leader, which answers it only if it is still remembered here
//! (`owed_answers.rs`).
//!
//! ## The price
//!
//! A replica cannot tell whether the old leader answered the write. The
//! old leader answers as soon as it learns the entry is on a majority,
//! and its followers learn that only from its next message; if it
//! crashed first, the write looks unconfirmed though it was answered,
//! and a vouch for it is a duplicate `ok`, where leaving it alone could
//! have been a wrong read. Only writes that a read of the same client
//! would see are vouched for, so a duplicate needs that read to come
//! before the client writes the same key again.

use crate::replica::Replica;
use crate::request::{Answer, Reply};
use statemachine::{Footprint, StateMachine};
use std::collections::BTreeMap;
use wire::{NodeId, Term};

/// A committed write that its client may not have been told of.
#[derive(Clone, Debug)]
struct UnconfirmedWrite<O> {
    mid: String,
    footprint: Footprint,
    output: O,
}

/// The unconfirmed writes a replica remembers, per client, oldest first.
#[derive(Clone, Debug)]
pub(crate) struct Unconfirmed<O> {
    by_client: BTreeMap<NodeId, Vec<UnconfirmedWrite<O>>>,
}

impl<O> Default for Unconfirmed<O> {
    fn default() -> Self {
        Unconfirmed {
            by_client: BTreeMap::new(),
        }
    }
}

impl<O> Unconfirmed<O> {
    /// A write by `client` to `footprint` was applied: any remembered
    /// write of the client that it overlaps can no longer be read.
    fn supersede(&mut self, client: NodeId, footprint: &Footprint) {
        if let Some(writes) = self.by_client.get_mut(&client) {
            writes.retain(|w| !w.footprint.overlaps(footprint));
            if writes.is_empty() {
                self.by_client.remove(&client);
            }
        }
    }

    fn remember(&mut self, client: NodeId, write: UnconfirmedWrite<O>) {
        self.by_client.entry(client).or_default().push(write);
    }

    /// Removes the remembered write `mid` of `client`, returning what
    /// applying it returned, or `None` if it is not remembered (vouched
    /// for, overtaken, or never unconfirmed here).
    pub(crate) fn take(&mut self, client: NodeId, mid: &str) -> Option<O> {
        let writes = self.by_client.get_mut(&client)?;
        let position = writes.iter().position(|w| w.mid == mid)?;
        let write = writes.remove(position);
        if writes.is_empty() {
            self.by_client.remove(&client);
        }
        Some(write.output)
    }

    /// Removes and returns, oldest first, the remembered writes of
    /// `client` that a read of `footprint` may see.
    fn take_seen_by(&mut self, client: NodeId, footprint: &Footprint) -> Vec<UnconfirmedWrite<O>> {
        let Some(writes) = self.by_client.get_mut(&client) else {
            return Vec::new();
        };
        let (seen, kept): (Vec<_>, Vec<_>) = std::mem::take(writes)
            .into_iter()
            .partition(|w| w.footprint.overlaps(footprint));
        if kept.is_empty() {
            self.by_client.remove(&client);
        } else {
            *writes = kept;
        }
        seen
    }

    /// How many writes are remembered.
    pub(crate) fn len(&self) -> usize {
        self.by_client.values().map(Vec::len).sum()
    }
}

/// A write just applied, as [`Replica::note_applied_write`] needs it.
pub(crate) struct AppliedWrite<SM: StateMachine> {
    pub(crate) client: NodeId,
    pub(crate) mid: String,
    pub(crate) footprint: Footprint,
    /// What applying it returned.
    pub(crate) output: SM::Output,
    /// The term of the entry that carried it.
    pub(crate) term: Term,
}

impl<SM: StateMachine> Replica<SM> {
    /// Keeps track of a write just applied. It replaces the client's
    /// earlier unconfirmed writes that it overlaps, and is remembered
    /// itself if its client may not have heard of it (see the module docs).
    pub(crate) fn note_applied_write(&mut self, write: AppliedWrite<SM>) {
        self.unconfirmed.supersede(write.client, &write.footprint);
        if write.term < self.term {
            self.unconfirmed.remember(
                write.client,
                UnconfirmedWrite {
                    mid: write.mid,
                    footprint: write.footprint,
                    output: write.output,
                },
            );
        }
    }

    /// How many committed writes this replica would vouch for if their
    /// clients read them (see the module docs).
    pub fn unconfirmed_writes(&self) -> usize {
        self.unconfirmed.len()
    }

    /// Answers every remembered write of `client` that a read of `query`
    /// may see, just before that read is answered.
    pub(crate) fn vouch_for_writes_seen_by(&mut self, client: NodeId, query: &SM::Query) {
        let footprint = SM::query_footprint(query);
        for write in self.unconfirmed.take_seen_by(client, &footprint) {
            self.out.replies.push(Reply {
                client,
                mid: write.mid,
                answer: Answer::Vouched(write.output),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(mid: &str, key: &str) -> UnconfirmedWrite<String> {
        UnconfirmedWrite {
            mid: mid.into(),
            footprint: Footprint::Key(key.into()),
            output: String::new(),
        }
    }

    fn mids(writes: &[UnconfirmedWrite<String>]) -> Vec<&str> {
        writes.iter().map(|w| w.mid.as_str()).collect()
    }

    const C: NodeId = NodeId(0x100);
    const D: NodeId = NodeId(0x101);

    #[test]
    fn a_read_takes_only_its_clients_writes_to_its_key() {
        let mut u = Unconfirmed::default();
        u.remember(C, write("c-x", "x"));
        u.remember(C, write("c-y", "y"));
        u.remember(D, write("d-x", "x"));
        let taken = u.take_seen_by(C, &Footprint::Key("x".into()));
        assert_eq!(mids(&taken), ["c-x"]);
        assert_eq!(u.len(), 2);
        assert!(u.take_seen_by(C, &Footprint::Key("x".into())).is_empty());
    }

    #[test]
    fn a_later_write_to_the_same_key_replaces_the_remembered_one() {
        let mut u = Unconfirmed::default();
        u.remember(C, write("old", "x"));
        u.remember(C, write("other", "y"));
        u.supersede(C, &Footprint::Key("x".into()));
        u.supersede(D, &Footprint::Key("y".into()));
        assert_eq!(mids(&u.take_seen_by(C, &Footprint::Everything)), ["other"]);
        assert_eq!(u.len(), 0);
    }

    #[test]
    fn a_write_is_taken_by_its_client_and_id_once() {
        let mut u = Unconfirmed::default();
        u.remember(C, write("a", "x"));
        u.remember(C, write("b", "y"));
        assert_eq!(u.take(D, "a"), None, "another client's id");
        assert_eq!(u.take(C, "a"), Some(String::new()));
        assert_eq!(u.take(C, "a"), None, "taken already");
        assert_eq!(mids(&u.take_seen_by(C, &Footprint::Everything)), ["b"]);
    }
}
