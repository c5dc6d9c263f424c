//! Commit (§5.3, §5.4.2), applying, and answering the clients of what was
//! applied.
//!
//! ## The current-term rule
//!
//! A leader counts replicas to commit only entries of its *own* term. An
//! entry from an earlier term stored on a majority can still be overwritten
//! by a later leader (the paper's Figure 8); it becomes committed
//! indirectly, when an entry of the current term after it is. That is why
//! a new leader appends a no-op at once.
//!
//! ## Who answers a client
//!
//! The replica that put a client's request into its log (as leader) is the
//! one that answers it, once, unless it let the relay chain's last
//! follower answer for it (`delegated_answers.rs`). It remembers the request by index
//! until that index is committed, as leader or later as follower. Then
//! either the committed entry is the request's own (answered `ok` with the
//! result of applying it) or another entry took its place when the log
//! was truncated: the request can never commit and is routed again (and
//! so redirected to the current leader, or proposed anew if this replica
//! leads).
//!
//! Waiting for the request's own index to commit is not enough: a new
//! leader's log may be shorter and never reach it. So the request also
//! dies as soon as any index at or below its own commits with a later term
//! than the request's entry: that entry's log, whose terms never decrease,
//! cannot hold the request's entry after it. (Comparing by term, not by
//! entry, matters: a truncated entry may come back with a later leader.)
//!
//! No other replica answers in the ordinary course, not even a new leader
//! that commits the entry after the old one crashed: it cannot know
//! whether the old leader had already answered. A request whose replica
//! crashed after accepting it stays unanswered, as any request in flight
//! to a crashed server would, with one exception: a leader about to
//! answer a read that would reveal such a write answers the write first
//! (`unconfirmed.rs`), accepting that the old leader may have answered it
//! too. A write whose old leader learns of its commit only after losing
//! office is answered by the current leader on its behalf, unless a later
//! write overtook it (`owed_answers.rs`).

use crate::replica::{Replica, Role};
use crate::unconfirmed::AppliedWrite;
use statemachine::StateMachine;
use std::time::Duration;
use wire::Index;

impl<SM: StateMachine> Replica<SM> {
    /// Advances the leader's commit index to the highest index stored on a
    /// majority, if that entry is of the current term, and applies.
    pub(crate) fn maybe_commit(&mut self, now: Duration) {
        if self.role != Role::Leader {
            return;
        }
        let mut matched: Vec<Index> = self.progress.values().map(|p| p.cursor.matched).collect();
        matched.push(self.log.last_index());
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let majority_index = matched[self.cfg.quorum() - 1];
        if majority_index <= self.commit {
            return;
        }
        let own_term = self.log.term_at(majority_index) == Some(self.term);
        if !own_term && self.rules.current_term_commit {
            return;
        }
        self.commit = majority_index;
        let waiting = (self.commit < self.log.last_index()).then_some(now);
        self.stalled_since = waiting;
        self.commit_waiting_since = waiting;
        self.apply_committed(now);
        self.serve_reads(now);
        self.release_held(now);
    }

    /// Index `index` committed with term `term`: requests accepted after it
    /// into entries of an earlier term can never commit. Route them again.
    fn route_requests_outlived_by(&mut self, now: Duration, index: Index, term: wire::Term) {
        let doomed: Vec<Index> = self
            .accepted
            .range(index + 1..)
            .filter(|(_, reqs)| reqs.iter().any(|(t, _)| *t < term))
            .map(|(&i, _)| i)
            .collect();
        for i in doomed {
            let reqs = self.accepted.remove(&i).unwrap_or_default();
            let (lost, alive): (Vec<_>, Vec<_>) = reqs.into_iter().partition(|(t, _)| *t < term);
            if !alive.is_empty() {
                self.accepted.insert(i, alive.into_iter().collect());
            }
            for (_, req) in lost {
                self.route(now, req);
            }
        }
    }

    /// Applies every committed entry not yet applied, in order, answering
    /// clients as described in the module docs.
    pub(crate) fn apply_committed(&mut self, now: Duration) {
        while self.applied < self.commit {
            self.applied += 1;
            let index = self.applied;
            let Some(entry) = self.log.get(index) else {
                // Cannot happen: commit never passes the log's end.
                self.applied -= 1;
                return;
            };
            let entry_term = entry.term;
            let may_be_unanswered = self.may_be_unanswered(index, entry_term);
            if let Some(answered) = &entry.answered {
                self.unconfirmed.forget_vouched(answered);
            }
            let write: Option<AppliedWrite<SM>> = entry.command.as_ref().map(|c| AppliedWrite {
                index,
                client: c.client,
                mid: c.mid.clone(),
                footprint: SM::command_footprint(&c.op),
                may_be_unanswered,
                // Only a write that may be unanswered is remembered.
                created_state: may_be_unanswered && self.sm.creates_state(&c.op),
                output: self.sm.apply(&c.op),
                term: entry_term,
            });
            self.delegated_unapplied.remove(&index);
            if let Some(w) = &write {
                if let Some(reply) = self.delegated_reply(index, w.client, &w.mid, &w.output) {
                    self.out.replies.push(reply);
                }
            }
            for (_, req) in self.accepted.remove(&index).unwrap_or_default() {
                match &write {
                    Some(w) if w.client == req.client && w.mid == req.mid => {
                        if w.term == self.term && self.must_hold_answer(index) {
                            self.hold_answer(index, w);
                        } else {
                            self.answer_own_write(index, w);
                        }
                    }
                    _ => self.route(now, req),
                }
            }
            if let Some(w) = write {
                self.note_applied_write(w);
            }
            self.route_requests_outlived_by(now, index, entry_term);
        }
        self.answer_own_owed();
    }
}
