//! Answers an old leader owes for writes committed after it lost office,
//! sent in an order that cannot mislead their client.
//!
//! ## The problem
//!
//! A leader that loses office with writes it accepted but had not seen
//! committed answers them when it learns of their commit, as a follower
//! of a later leader, perhaps seconds later, after a partition heals
//! (`commit.rs`). Meanwhile their client may have written the same key
//! again through the new leader and been answered, or the new leader may
//! have vouched for one of them (`unconfirmed.rs`). A client believes
//! the value of the put whose first `ok` reached it last, so a late `ok`
//! for an older write would make it believe an overwritten value, and
//! its next read would contradict it.
//!
//! ## The rule
//!
//! - An answer for a write of an earlier term waits, and every answer
//!   after it queues behind it, so that answers leave in log order.
//! - They are released once the replica has applied everything its
//!   leader announced as committed: catching up after a partition comes
//!   in batches, and a later write of the same key may be in the next.
//! - A write that a later committed write of the same client overtook,
//!   one that may already have been answered, stays unanswered: the later
//!   write stands for it. A later write answered in the same release,
//!   right after it, is no reason to stay silent, unless another leader
//!   may have vouched for it first.
//!
//! What remains is a race of one message's flight: a later write that
//! the leader commits and answers in the instant after it last wrote to
//! this replica is not seen.

use crate::replica::{Replica, Role};
use crate::request::{Answer, Reply};
use crate::unconfirmed::AppliedWrite;
use statemachine::{Footprint, StateMachine};
use wire::{Index, NodeId, Term};

/// An answer to a write this replica accepted, waiting to keep log order
/// behind a late one (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct LateAnswer<O> {
    index: Index,
    footprint: Footprint,
    reply: Reply<O>,
}

impl<SM: StateMachine> Replica<SM> {
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

    /// Sends the waiting answers in log order, once this replica has
    /// applied everything its leader has announced as committed, except
    /// those of overtaken writes (see the module docs).
    pub(crate) fn release_late_answers(&mut self) {
        let Some(first) = self.late_answers.first().map(|l| l.index) else {
            return;
        };
        if self.role != Role::Leader && self.commit < self.leader_commit {
            return;
        }
        let late = std::mem::take(&mut self.late_answers);
        let overtaking = self.writes_that_may_overtake(first, &late);
        for answer in late {
            let overtaken = overtaking.iter().any(|(index, client, footprint)| {
                *index > answer.index
                    && *client == answer.reply.client
                    && footprint.overlaps(&answer.footprint)
            });
            if !overtaken {
                self.out.replies.push(answer.reply);
            }
        }
    }

    /// The committed writes after index `first` whose answer may reach
    /// their client before the waiting answers in `late` would: all but
    /// those answered in this very release, right after the earlier ones,
    /// unless another leader may have vouched for them first. (A write not
    /// yet known to be committed does not count: if it never commits, the
    /// earlier write's value is the current one, and its client must hear
    /// of it.) Each comes with its client and footprint, worked out once.
    /// `late` is in log order, as answers are queued while applying.
    fn writes_that_may_overtake(
        &self,
        first: Index,
        late: &[LateAnswer<SM::Output>],
    ) -> Vec<(Index, NodeId, Footprint)> {
        (first + 1..=self.commit)
            .filter_map(|index| {
                let entry = self.log.get(index)?;
                let command = entry.command.as_ref()?;
                let answered_now = late.binary_search_by_key(&index, |l| l.index).is_ok();
                (!answered_now || self.another_leader_may_have_vouched(entry.term))
                    .then(|| (index, command.client, SM::command_footprint(&command.op)))
            })
            .collect()
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
}
