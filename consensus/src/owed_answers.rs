//! Answers an old leader owes for writes committed after it lost office,
//! handed over to the current leader, which alone can send them in an
//! order that cannot mislead their client.
//!
//! ## The problem
//!
//! A leader that loses office (cut off by a partition) with a write it
//! accepted but had not seen committed learns of the commit later, as a
//! follower of a later leader, perhaps seconds later, after the partition
//! heals. Meanwhile the write's client may have written the same key
//! again through the new leader and been answered, or the new leader may
//! have vouched for the write before a read (`unconfirmed.rs`). A client
//! believes the value of the put whose `ok` reached it last, so a late
//! `ok` for the older write would make it believe an overwritten value,
//! and its next read would contradict it. The old leader cannot see what
//! the new leader has answered, least of all in the instant since the new
//! leader last wrote to it.
//!
//! ## The rule: the old leader hands its answers over
//!
//! - An old leader does not answer a write of an earlier term when it
//!   learns of its commit. It remembers the write's index as *owed* and
//!   lists the owed indices in every answer to its leader
//!   ([`AppendResponse::owed`](wire::AppendResponse::owed)), answering
//!   even heartbeats that ask for no answer, until the leader lists them
//!   as taken ([`AppendEntries::owed_taken`](wire::AppendEntries::owed_taken)).
//! - The leader answers an owed write if it is still among its
//!   unconfirmed writes: committed in an earlier term, not vouched for by
//!   this leader, and not overtaken by a later write of the same client
//!   to the same key (which the client has heard of, or will hear of
//!   from this leader). Overtaken or vouched for, it stays unanswered:
//!   the client already believes what it should. The answer is a vouch
//!   ([`Answer::Vouched`]), since this leader did not accept the write.
//! - One exception: a write overtaken only by later writes owed with it
//!   (an old leader stranded two puts of one key) is answered, just
//!   before them, provided no leader but this one can have answered any
//!   of them before (`Unconfirmed::take_owed`). The client hears of them
//!   in log order and ends up believing the last.
//! - It does so only while it could serve a read (its term's first entry
//!   applied, its lease valid): the same proof that no other leader is
//!   answering anything meanwhile.
//! - A leader re-elected with writes it owes from an earlier term answers
//!   them the same way, before it answers anything of its own term.
//!
//! Every late answer now leaves from the replica that answers everything
//! else, so they reach the client in the order the leader decided them,
//! with no race. It costs no message while nothing is owed; after a
//! leader change that stranded writes, a few more answers to heartbeats,
//! until the leader takes them over.
//!
//! Duplicates remain possible, never a wrong belief: a leader that took
//! over owed writes may lose office before the old leader learns so, and
//! the next leader takes them over again; or a leader in between vouched
//! for a write before a read, and the current leader, which cannot know,
//! answers it once more.

use crate::replica::{Replica, Role};
use crate::request::{Answer, Reply};
use crate::unconfirmed::{AppliedWrite, OwedWrite};
use statemachine::StateMachine;
use std::time::Duration;
use wire::{Index, NodeId, Term};

impl<SM: StateMachine> Replica<SM> {
    /// Answers a write this replica accepted, now applied at `index`.
    ///
    /// A write of the current term is answered at once: this replica
    /// leads the term and has just committed it (after any writes it owes
    /// from an earlier term, which come first in the log). A write of an
    /// earlier term was committed by a later leader; it is owed, and its
    /// answer is left to whoever leads (see the module docs).
    pub(crate) fn answer_own_write(&mut self, index: Index, write: &AppliedWrite<SM>) {
        if write.term != self.term {
            self.owed.push(index);
            return;
        }
        self.answer_own_owed();
        self.out.replies.push(Reply {
            client: write.client,
            mid: write.mid.clone(),
            answer: Answer::Committed(write.output.clone()),
        });
    }

    /// A leader answers the writes it owes from an earlier term of its own
    /// (see the module docs).
    pub(crate) fn answer_own_owed(&mut self) {
        if self.role != Role::Leader || self.commit < self.term_start {
            return;
        }
        let owed = std::mem::take(&mut self.owed);
        self.answer_owed_writes(&owed);
    }

    /// Leader side: `follower` reports the writes it owes (`reported`, in
    /// log order). Those not yet taken over are, if this leader may answer
    /// from its state now; and those it no longer reports need no more
    /// listing in `owed_taken`.
    ///
    /// An owed answer is client work: a leader that may not answer yet
    /// because it was idle, and so let its lease lapse, gets busy and
    /// renews it (`lease.rs`); the follower reports again with its next
    /// answer.
    pub(crate) fn take_over_owed(&mut self, now: Duration, follower: NodeId, reported: &[Index]) {
        self.taken_over
            .retain(|index, reporter| *reporter != follower || reported.contains(index));
        let new: Vec<Index> = reported
            .iter()
            .copied()
            .filter(|index| !self.taken_over.contains_key(index))
            .collect();
        if new.is_empty() || self.role != Role::Leader {
            return;
        }
        if !self.may_answer_from_state(now) {
            self.note_client_request(now);
            return;
        }
        if self.delegated_writes_pending() {
            // A delegate may be answering a later write of the same key
            // (`delegated_answers.rs`); the follower reports again.
            return;
        }
        let new: Vec<Index> = new.into_iter().filter(|&i| i <= self.applied).collect();
        self.answer_owed_writes(&new);
        for index in new {
            self.taken_over.insert(index, follower);
        }
    }

    /// The owed indices this leader has taken over and still lists, for
    /// its AppendEntries.
    pub(crate) fn owed_taken(&self) -> Vec<Index> {
        self.taken_over.keys().copied().collect()
    }

    /// Follower side: the leader took these over; stop reporting them.
    pub(crate) fn forget_owed_taken(&mut self, taken: &[Index]) {
        if !taken.is_empty() {
            self.owed.retain(|index| !taken.contains(index));
        }
    }

    /// Whether no leader but this one can have answered a client since
    /// the leader of `term`: true if this replica leads now and its log
    /// holds no entry of a term between. (A leader answers reads, and so
    /// vouches, only once an entry of its own term is committed, and a
    /// committed entry is in every later leader's log.)
    fn no_other_leader_since(&self, term: Term) -> bool {
        if self.role != Role::Leader {
            return false;
        }
        let through_term = self.log.last_index_with_term_at_most(self.commit, term);
        self.log
            .get(through_term + 1)
            .is_none_or(|next| next.term >= self.term)
    }

    /// Answers, on their old leader's behalf, the owed writes at `indices`
    /// (in log order) whose answers cannot mislead their client now (see
    /// `Unconfirmed::take_owed` and the module docs).
    fn answer_owed_writes(&mut self, indices: &[Index]) {
        let owed: Vec<OwedWrite> = indices
            .iter()
            .filter_map(|&index| {
                let entry = self.log.get(index)?;
                let command = entry.command.as_ref()?;
                Some(OwedWrite {
                    index,
                    client: command.client,
                    mid: command.mid.clone(),
                    sole_answerer: self.no_other_leader_since(entry.term),
                })
            })
            .collect();
        let taken = self.unconfirmed.take_owed(&owed);
        for (client, mid, output) in taken {
            self.out.replies.push(Reply {
                client,
                mid,
                answer: Answer::Vouched(output),
            });
        }
    }
}
