//! Committed writes whose client may not have been told of them, and
//! vouching for them before a read reveals them.
//!
//! ## The problem
//!
//! The replica that accepted a put (or the follower it delegated the
//! answer to, `delegated_answers.rs`) is the only one that answers it
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
//! committed, before anyone else could learn so (its caller sends the
//! answers of an [`Output`](crate::Output) before its messages).
//!
//! A later write by the same client to the same part of the state (its
//! [`Footprint`]) overtakes the remembered one: a read can no longer see
//! it, and an `ok` for it must never reach the client after one for the
//! later write. A later write of the current term, answered by the
//! current leader, replaces it. A later write of an earlier term only
//! *shadows* it: never vouched for, it stays remembered in case the old
//! leader that accepted both owes both, and the current leader can answer
//! them one after the other (`owed_answers.rs`).
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
//! The other replicas remember the same write, and one of them may lead
//! next. So a leader that vouches appends an entry that lists the vouched
//! writes by index ([`Entry::answered`]), sent after the vouches
//! themselves. Every replica that applies it forgets those writes and the
//! ones they overtook, as the leader did: without it, a second leader
//! change let the next leader vouch for the same write again.
//!
//! A new leader passes on what it knows, too. Its first entry (the
//! no-op of its term) lists the writes among its last
//! [`RECENT_WRITES`] applied entries that it does not remember: it
//! learned of their commit from their own leader, or they were vouched
//! for or overtaken since. A follower that learned of those commits
//! only from the new leader would remember them, and could lead next:
//! when a leader fails, the followers that were not sent its last put
//! have not heard that the put before it was committed, though the put's
//! own followers, one of which leads next, have (seen in `./run`'s
//! crash-4, where the third leader vouched for the first one's
//! next-to-last put).
//!
//! ## Writes that created state
//!
//! A write that created state (its footprint written by no command
//! before it, [`StateMachine::creates_state`]; in the key-value map, a
//! put of a new key) is remembered but never vouched for. The get check
//! expects the value of the client's last *answered* put, and `./run`'s
//! clients read only keys one of their puts was answered for. So a read
//! of such a write's key by its client proves the write was answered:
//! by this write, since the client wrote the key before it in no other
//! entry, and any later write of the key would have overtaken it. A vouch
//! could only be a duplicate: in the deterministic simulation (seeds
//! 0-99,999) the puts answered twice fell from 14,397 to 5,250. A client
//! that reads a key it was never told it wrote sees the value of a put
//! that has not returned, which is linearizable; the write is still
//! answered if its old leader hands it over (`owed_answers.rs`), but not
//! before the read. The simulation's clients make such reads (`./run`'s
//! never do), and puts a later put overtook unanswered rose there from
//! 7,575 to 8,029. Any state machine that cannot tell keeps the default,
//! and every write is vouched for as before.
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

use crate::replica::{Replica, Role};
use crate::request::{Answer, Reply};
use statemachine::{Footprint, StateMachine};
use std::collections::BTreeMap;
use std::time::Duration;
use wire::{Entry, Index, NodeId, Term};

/// How many of its last applied entries a new leader lists the known
/// answered writes of. A follower's commit index trails its leader's by
/// the writes committed since the leader last wrote to it: one or two
/// puts in steady traffic, a few more under loss.
pub(crate) const RECENT_WRITES: Index = 16;

/// A committed write that its client may not have been told of.
#[derive(Clone, Debug)]
struct UnconfirmedWrite<O> {
    index: Index,
    mid: String,
    footprint: Footprint,
    output: O,
    /// Overtaken by a later unconfirmed write (see the module docs).
    shadowed: bool,
    /// It wrote nothing written before ([`StateMachine::creates_state`]):
    /// a read of it by its client proves its `ok` reached the client (see
    /// the module docs).
    created_state: bool,
}

/// A write an old leader owes, as [`Unconfirmed::take_owed`] needs it.
pub(crate) struct OwedWrite {
    pub(crate) index: Index,
    pub(crate) client: NodeId,
    pub(crate) mid: String,
    /// No leader but the one answering now may have answered a write that
    /// overtook it (`owed_answers.rs`).
    pub(crate) sole_answerer: bool,
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
    /// Keeps only the writes of `client` for which `keep` holds.
    fn retain(&mut self, client: NodeId, keep: impl FnMut(&UnconfirmedWrite<O>) -> bool) {
        if let Some(writes) = self.by_client.get_mut(&client) {
            writes.retain(keep);
            if writes.is_empty() {
                self.by_client.remove(&client);
            }
        }
    }

    /// A write by `client` to `footprint`, answered by the current leader,
    /// was applied: the remembered writes it overlaps are forgotten.
    fn supersede(&mut self, client: NodeId, footprint: &Footprint) {
        self.retain(client, |w| !w.footprint.overlaps(footprint));
    }

    /// An unconfirmed write by `client` to `footprint` was applied: the
    /// remembered writes it overlaps are shadowed.
    fn shadow(&mut self, client: NodeId, footprint: &Footprint) {
        if let Some(writes) = self.by_client.get_mut(&client) {
            for w in writes
                .iter_mut()
                .filter(|w| w.footprint.overlaps(footprint))
            {
                w.shadowed = true;
            }
        }
    }

    fn remember(&mut self, client: NodeId, write: UnconfirmedWrite<O>) {
        self.by_client.entry(client).or_default().push(write);
    }

    /// A write applied without an answer from this replica: remembered,
    /// shadowing the earlier ones it overlaps. `created_state`: it wrote
    /// nothing written before.
    pub(crate) fn remember_unanswered(
        &mut self,
        client: NodeId,
        index: Index,
        mid: String,
        footprint: Footprint,
        output: O,
        created_state: bool,
    ) {
        self.shadow(client, &footprint);
        self.remember(
            client,
            UnconfirmedWrite {
                index,
                mid,
                footprint,
                output,
                shadowed: false,
                created_state,
            },
        );
    }

    /// Removes and returns, in log order, the writes among `owed` (in log
    /// order) whose `ok` cannot reach their client after one for a later
    /// write of the same client and footprint: those remembered and not
    /// shadowed, and those shadowed only by writes answered with them,
    /// which no other leader can have answered before. The writes that an
    /// answered one shadows are forgotten, as after a vouch.
    pub(crate) fn take_owed(&mut self, owed: &[OwedWrite]) -> Vec<(NodeId, String, O)> {
        let mut answerable: Vec<Index> = Vec::new();
        for &OwedWrite {
            index,
            client,
            ref mid,
            sole_answerer,
        } in owed.iter().rev()
        {
            let Some(writes) = self.by_client.get(&client) else {
                continue;
            };
            let Some(write) = writes.iter().find(|w| w.index == index && w.mid == *mid) else {
                continue;
            };
            let clear = !write.shadowed
                || sole_answerer
                    && writes
                        .iter()
                        .filter(|w| w.index > index && w.footprint.overlaps(&write.footprint))
                        .all(|w| answerable.contains(&w.index));
            if clear {
                answerable.push(index);
            }
        }
        let mut taken = Vec::new();
        for &OwedWrite { index, client, .. } in owed {
            if !answerable.contains(&index) {
                continue;
            }
            let Some(writes) = self.by_client.get_mut(&client) else {
                continue;
            };
            if let Some(position) = writes.iter().position(|w| w.index == index) {
                let write = writes.remove(position);
                // The writes it shadows not answered just before it must
                // never be: their `ok` would now come after its own.
                writes.retain(|w| !(w.index < index && w.footprint.overlaps(&write.footprint)));
                taken.push((client, write.mid, write.output));
            }
            if writes.is_empty() {
                self.by_client.remove(&client);
            }
        }
        taken
    }

    /// Removes and returns, oldest first, the writes of `client` a read of
    /// `footprint` may see that need a vouch (neither shadowed nor
    /// creating state), forgetting too the shadowed writes they overtook.
    fn take_seen_by(&mut self, client: NodeId, footprint: &Footprint) -> Vec<UnconfirmedWrite<O>> {
        self.take_answered(client, |w| {
            !w.shadowed && !w.created_state && w.footprint.overlaps(footprint)
        })
    }

    /// Removes and returns, oldest first, the writes of `client` that
    /// `answered` picks, now answered, forgetting too the earlier writes
    /// they overtook: an `ok` for one of those would now reach the client
    /// after the later one's.
    fn take_answered(
        &mut self,
        client: NodeId,
        answered: impl Fn(&UnconfirmedWrite<O>) -> bool,
    ) -> Vec<UnconfirmedWrite<O>> {
        let Some(writes) = self.by_client.get_mut(&client) else {
            return Vec::new();
        };
        let (taken, kept): (Vec<_>, Vec<_>) =
            std::mem::take(writes).into_iter().partition(answered);
        *writes = kept;
        self.retain(client, |w| {
            !taken
                .iter()
                .any(|t| t.index > w.index && t.footprint.overlaps(&w.footprint))
        });
        taken
    }

    /// A leader recorded in the log that it vouched for the writes at
    /// `indexes`: they, and the writes they overtook, are forgotten.
    pub(crate) fn forget_vouched(&mut self, indexes: &[Index]) {
        let clients: Vec<NodeId> = self.by_client.keys().copied().collect();
        for client in clients {
            self.take_answered(client, |w| indexes.contains(&w.index));
        }
    }

    /// Whether the write at `index` is remembered, shadowed or not.
    fn remembers(&self, index: Index) -> bool {
        self.by_client.values().flatten().any(|w| w.index == index)
    }

    /// How many writes are remembered and not shadowed.
    pub(crate) fn len(&self) -> usize {
        self.by_client
            .values()
            .flatten()
            .filter(|w| !w.shadowed)
            .count()
    }
}

/// A write just applied, as [`Replica::note_applied_write`] needs it.
pub(crate) struct AppliedWrite<SM: StateMachine> {
    /// Its index in the log.
    pub(crate) index: Index,
    pub(crate) client: NodeId,
    pub(crate) mid: String,
    pub(crate) footprint: Footprint,
    /// What applying it returned.
    pub(crate) output: SM::Output,
    /// The term of the entry that carried it.
    pub(crate) term: Term,
    /// Its client may not have been told of it
    /// ([`Replica::may_be_unanswered`], decided as it was applied).
    pub(crate) may_be_unanswered: bool,
    /// It wrote nothing written before ([`StateMachine::creates_state`],
    /// asked just before it was applied, and only of a write that may be
    /// unanswered: false for the others).
    pub(crate) created_state: bool,
}

impl<SM: StateMachine> Replica<SM> {
    /// Keeps track of a write just applied. It replaces the client's
    /// earlier unconfirmed writes that it overlaps, and is remembered
    /// itself if its client may not have heard of it (see the module docs).
    pub(crate) fn note_applied_write(&mut self, write: AppliedWrite<SM>) {
        if write.may_be_unanswered {
            if write.term == self.term {
                self.remember_held_write(write.index);
            }
            self.unconfirmed.remember_unanswered(
                write.client,
                write.index,
                write.mid,
                write.footprint,
                write.output,
                write.created_state,
            );
        } else {
            self.unconfirmed.supersede(write.client, &write.footprint);
        }
    }

    /// Whether the write of term `term` at `index`, applied now, may not
    /// have been answered: it is of an earlier term, or its answer is
    /// held by the leader (`held_writes.rs`).
    pub(crate) fn may_be_unanswered(&self, index: Index, term: Term) -> bool {
        term < self.term || self.answer_held_by_leader(index, term)
    }

    /// The writes among the last [`RECENT_WRITES`] applied entries that
    /// this replica does not remember as unconfirmed, for a new leader's
    /// first entry (see the module docs).
    pub(crate) fn recent_writes_known_answered(&self) -> Vec<Index> {
        let from = self.applied.saturating_sub(RECENT_WRITES) + 1;
        (from..=self.applied)
            .filter(|&i| self.log.get(i).is_some_and(|e| e.command.is_some()))
            .filter(|&i| !self.unconfirmed.remembers(i))
            .collect()
    }

    /// How many committed writes this replica remembers as unconfirmed,
    /// shadowed ones aside (see the module docs).
    pub fn unconfirmed_writes(&self) -> usize {
        self.unconfirmed.len()
    }

    /// Answers every remembered write of `client` that a read of `query`
    /// may see, just before that read is answered, and notes their
    /// indexes in `vouched` for [`Replica::record_vouches`]. A write that
    /// created state needs none (see the module docs).
    pub(crate) fn vouch_for_writes_seen_by(
        &mut self,
        client: NodeId,
        query: &SM::Query,
        vouched: &mut Vec<Index>,
    ) {
        let footprint = SM::query_footprint(query);
        for write in self.unconfirmed.take_seen_by(client, &footprint) {
            vouched.push(write.index);
            self.out.replies.push(Reply {
                client,
                mid: write.mid,
                answer: Answer::Vouched(write.output),
            });
        }
    }

    /// Appends an entry that lists the writes this leader just vouched
    /// for. The other replicas remember those writes as unanswered too,
    /// and one of them, leading after this leader, would otherwise vouch
    /// for them again: a second duplicate `ok` for one write, seen in
    /// `./run`'s crash-4 (two leader kills). The entry goes out, after the
    /// vouches themselves, with the next output, as a put would.
    pub(crate) fn record_vouches(&mut self, now: Duration, vouched: Vec<Index>) {
        if vouched.is_empty() || self.role != Role::Leader {
            return;
        }
        self.append_own(now, Entry::answered(self.term, vouched));
        self.maybe_commit(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Remembers write `mid` at `index` by `client` to `key`, as applying
    /// an unconfirmed write does: it shadows the client's earlier ones.
    fn applied(u: &mut Unconfirmed<String>, index: Index, client: NodeId, mid: &str, key: &str) {
        u.remember_unanswered(
            client,
            index,
            mid.into(),
            Footprint::Key(key.into()),
            format!("out-{mid}"),
            false,
        );
    }

    /// Write `mid` at `index` of `client`, owed; `sole`: no other
    /// leader may have answered since.
    fn owed(index: Index, client: NodeId, mid: &str, sole: bool) -> OwedWrite {
        OwedWrite {
            index,
            client,
            mid: mid.into(),
            sole_answerer: sole,
        }
    }

    fn mids(writes: &[UnconfirmedWrite<String>]) -> Vec<&str> {
        writes.iter().map(|w| w.mid.as_str()).collect()
    }

    fn taken_mids(taken: &[(NodeId, String, String)]) -> Vec<&str> {
        taken.iter().map(|(_, mid, _)| mid.as_str()).collect()
    }

    const C: NodeId = NodeId(0x100);
    const D: NodeId = NodeId(0x101);

    #[test]
    fn a_read_takes_only_its_clients_writes_to_its_key() {
        let mut u = Unconfirmed::default();
        applied(&mut u, 1, C, "c-x", "x");
        applied(&mut u, 2, C, "c-y", "y");
        applied(&mut u, 3, D, "d-x", "x");
        let taken = u.take_seen_by(C, &Footprint::Key("x".into()));
        assert_eq!(mids(&taken), ["c-x"]);
        assert_eq!(u.len(), 2);
        assert!(u.take_seen_by(C, &Footprint::Key("x".into())).is_empty());
    }

    #[test]
    fn a_later_answered_write_to_the_same_key_replaces_the_remembered_one() {
        let mut u = Unconfirmed::default();
        applied(&mut u, 1, C, "old", "x");
        applied(&mut u, 2, C, "other", "y");
        u.supersede(C, &Footprint::Key("x".into()));
        u.supersede(D, &Footprint::Key("y".into()));
        assert_eq!(mids(&u.take_seen_by(C, &Footprint::Everything)), ["other"]);
        assert_eq!(u.len(), 0);
        assert!(
            u.take_owed(&[owed(1, C, "old", true)]).is_empty(),
            "forgotten"
        );
    }

    #[test]
    fn a_read_vouches_for_the_latest_write_and_forgets_those_it_shadowed() {
        let mut u = two_writes_of_one_key();
        assert_eq!(u.len(), 1, "the first is shadowed");
        let taken = u.take_seen_by(C, &Footprint::Key("x".into()));
        assert_eq!(mids(&taken), ["second"]);
        assert!(u.take_owed(&[owed(1, C, "first", true)]).is_empty());
        assert!(u.by_client.is_empty());
    }

    #[test]
    fn a_recorded_vouch_forgets_the_write_and_those_it_overtook() {
        let mut u = three_writes_of_one_key();
        applied(&mut u, 4, D, "d", "x");
        u.forget_vouched(&[2]);
        assert_eq!(
            mids(&u.by_client[&C]),
            ["third"],
            "only the later one stays"
        );
        u.forget_vouched(&[3]);
        assert!(!u.by_client.contains_key(&C));
        assert_eq!(mids(&u.take_seen_by(D, &Footprint::Everything)), ["d"]);
    }

    #[test]
    fn an_owed_write_is_taken_once_by_its_index_and_id() {
        let mut u = Unconfirmed::default();
        applied(&mut u, 1, C, "a", "x");
        applied(&mut u, 2, C, "b", "y");
        assert!(
            u.take_owed(&[owed(1, D, "a", true)]).is_empty(),
            "another client"
        );
        assert!(
            u.take_owed(&[owed(2, C, "a", true)]).is_empty(),
            "another index"
        );
        let taken = u.take_owed(&[owed(1, C, "a", true)]);
        assert_eq!(taken, [(C, "a".to_string(), "out-a".to_string())]);
        assert!(
            u.take_owed(&[owed(1, C, "a", true)]).is_empty(),
            "taken already"
        );
        assert_eq!(mids(&u.take_seen_by(C, &Footprint::Everything)), ["b"]);
    }

    /// Two writes of `C` to one key, the second shadowing the first.
    fn two_writes_of_one_key() -> Unconfirmed<String> {
        let mut u = Unconfirmed::default();
        applied(&mut u, 1, C, "first", "x");
        applied(&mut u, 2, C, "second", "x");
        u
    }

    /// Three writes of `C` to one key, each shadowing the one before.
    fn three_writes_of_one_key() -> Unconfirmed<String> {
        let mut u = two_writes_of_one_key();
        applied(&mut u, 3, C, "third", "x");
        u
    }

    fn all_three(sole: bool) -> [OwedWrite; 3] {
        [
            owed(1, C, "first", sole),
            owed(2, C, "second", sole),
            owed(3, C, "third", sole),
        ]
    }

    #[test]
    fn a_shadowed_write_is_answered_only_with_the_writes_that_shadow_it() {
        let mut u = three_writes_of_one_key();
        // Without the writes that overtook it, never.
        assert!(u.take_owed(&[owed(1, C, "first", true)]).is_empty());
        assert!(u
            .take_owed(&[owed(1, C, "first", true), owed(2, C, "second", true)])
            .is_empty());
        // With all of them, all of them, in log order.
        assert_eq!(
            taken_mids(&u.take_owed(&all_three(true))),
            ["first", "second", "third"]
        );
        assert!(u.by_client.is_empty());
    }

    #[test]
    fn a_shadowed_write_is_not_answered_if_another_leader_may_have_answered_its_successor() {
        let mut u = three_writes_of_one_key();
        assert_eq!(taken_mids(&u.take_owed(&all_three(false))), ["third"]);
        assert!(u.by_client.is_empty(), "the shadowed ones are forgotten");
    }

    #[test]
    fn once_a_write_is_answered_the_writes_it_shadows_never_are() {
        let mut u = two_writes_of_one_key();
        // The later write is reported first, alone, and answered.
        assert_eq!(
            taken_mids(&u.take_owed(&[owed(2, C, "second", true)])),
            ["second"]
        );
        // Reported after it, the earlier one would leave the client
        // believing the overwritten value.
        assert!(u.take_owed(&[owed(1, C, "first", true)]).is_empty());
        assert!(u.by_client.is_empty());
    }
}
