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
//! applied them, that no request of its own answered. A write of the
//! current term needs no such care: the current leader accepted it and
//! answered it the moment it was committed, before anyone else could
//! learn so. A later write by the same client to the same part of the
//! state (its [`Footprint`]) replaces the remembered one, since a read
//! can no longer see it.
//!
//! Before a leader answers a read, it first answers `ok` for each
//! remembered write by the same client that the read may see, as the
//! write's own replica would have, and forgets them. A replica's answers
//! reach a client in the order they were sent, so by the time the read's
//! answer arrives the client knows of the write.
//!
//! ## The price
//!
//! A replica cannot tell whether the old leader answered the write. The
//! old leader answers as soon as it learns the entry is on a majority,
//! and its followers learn that only from its next message; if it
//! crashed first, the write looks unconfirmed though it was answered. An
//! old leader cut off by a partition answers the write once it learns of
//! the commit after the partition heals. Either way, a vouched write can
//! be answered twice: a duplicate `ok`, where leaving it alone could
//! have been a wrong read. Only writes that a read of the same client
//! would see are vouched for, so a duplicate needs that read to come
//! before the client writes the same key again.

use crate::replica::{Replica, Role};
use crate::request::{Answer, Reply};
use statemachine::{Footprint, StateMachine};
use std::collections::BTreeMap;
use wire::{Index, NodeId, Term};

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

/// An answer to a write accepted in an earlier term, waiting until the
/// replica has caught up (see [`Replica::release_late_answers`]).
#[derive(Clone, Debug)]
pub(crate) struct LateAnswer<O> {
    index: Index,
    footprint: Footprint,
    reply: Reply<O>,
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
    /// Keeps track of a write just applied (`accepted_here`: this replica
    /// accepted it, and so answers it). It replaces the client's earlier
    /// unconfirmed writes that it overlaps, and is remembered itself if
    /// its client may not have heard of it (see the module docs).
    pub(crate) fn note_applied_write(&mut self, write: AppliedWrite<SM>, accepted_here: bool) {
        self.unconfirmed.supersede(write.client, &write.footprint);
        if !accepted_here && write.term < self.term {
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

    /// Answers a write this replica accepted, now applied at `index`.
    ///
    /// A write of the current term is answered at once: this replica
    /// leads the term and has just committed it. A write of an earlier
    /// term was committed by a later leader, and its answer is late; it
    /// waits in `late_answers` until [`Replica::release_late_answers`],
    /// and so does every answer after it, to keep them in log order.
    pub(crate) fn answer_own_write(&mut self, index: Index, write: &AppliedWrite<SM>) {
        let reply = Reply {
            client: write.client,
            mid: write.mid.clone(),
            answer: Answer::Committed(write.output.clone()),
        };
        if write.term == self.term && self.late_answers.is_empty() {
            self.out.replies.push(reply);
        } else {
            self.late_answers.push(LateAnswer {
                index,
                footprint: write.footprint.clone(),
                reply,
            });
        }
    }

    /// Sends the late answers, once this replica has applied everything
    /// its leader has announced as committed, except those that could
    /// tell a client an old value is current.
    ///
    /// An old leader that learns late of the commit of a write it accepted
    /// may find that its client has written the same key again meanwhile,
    /// and that the later write may have been answered already: by the
    /// leader that accepted it, or by a leader that vouched for it. A
    /// client takes answers in the order they arrive, so a late `ok` for
    /// the earlier write would leave it believing the earlier value, and
    /// its next read would contradict it. Such a write stays unanswered;
    /// the later one stands for it.
    ///
    /// The check looks at the committed log, so it waits until the log
    /// holds every entry the leader had committed when it last wrote:
    /// catching up after a partition comes in batches, and the later write
    /// may be in the next one. A later write that the leader commits and
    /// answers in the instant after it last wrote is not seen: a window of
    /// one message's flight.
    pub(crate) fn release_late_answers(&mut self) {
        if self.late_answers.is_empty()
            || (self.role != Role::Leader && self.commit < self.leader_commit)
        {
            return;
        }
        let late = std::mem::take(&mut self.late_answers);
        let answered_now: Vec<Index> = late.iter().map(|l| l.index).collect();
        for answer in late {
            if !self.overtaken(&answer, &answered_now) {
                self.out.replies.push(answer.reply);
            }
        }
    }

    /// True when a committed write after `late`, by the same client and
    /// overlapping it, may have been answered before `late` would be.
    /// Writes in `answered_now` are answered right after it, in log order,
    /// unless another leader may have vouched for them first. (A write not
    /// yet known to be committed does not count: if it never commits,
    /// `late`'s value is the current one, and its client must hear of it.)
    fn overtaken(&self, late: &LateAnswer<SM::Output>, answered_now: &[Index]) -> bool {
        (late.index + 1..=self.commit).any(|later| {
            let Some(entry) = self.log.get(later) else {
                return false;
            };
            let overlaps = entry.command.as_ref().is_some_and(|c| {
                c.client == late.reply.client
                    && SM::command_footprint(&c.op).overlaps(&late.footprint)
            });
            overlaps
                && (!answered_now.contains(&later)
                    || self.another_leader_may_have_vouched(entry.term))
        })
    }

    /// Whether a leader other than this replica may have served reads
    /// after committing entries of `term`: any leader of a later term may,
    /// unless this replica leads now and its log holds no entry of a term
    /// between. (A leader serves reads only once an entry of its own term
    /// is committed, and a committed entry is in every later leader's log.)
    fn another_leader_may_have_vouched(&self, term: Term) -> bool {
        if self.role != Role::Leader {
            return true;
        }
        let through_term = self.log.last_index_with_term_at_most(self.commit, term);
        self.log
            .get(through_term + 1)
            .is_some_and(|next| next.term < self.term)
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
}
