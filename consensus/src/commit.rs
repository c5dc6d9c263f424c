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
//! The log entry records which client request it carries. When an entry is
//! applied on the leader, the leader answers that request, whether it
//! received the request itself or a predecessor did and then crashed or
//! lost its leadership. Entries committed before this replica became leader
//! (up to `answer_floor`) were answered by the leader that committed them.
//!
//! A replica that accepted a request into its log as leader remembers it
//! until that index is committed. If the committed entry there turns out to
//! be another one, the request was lost with a truncated log, can never
//! commit, and is routed again (and so redirected to the current leader).

use crate::replica::{Replica, Role};
use crate::request::{Answer, Reply};
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
        self.stalled_since = (self.commit < self.log.last_index()).then_some(now);
        self.apply_committed(now);
        self.serve_reads(now);
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
            let origin = entry
                .command
                .as_ref()
                .map(|c| (c.client, c.mid.clone(), c.op.clone()));
            if let Some((client, mid, op)) = &origin {
                let output = self.sm.apply(op);
                if self.role == Role::Leader && index > self.answer_floor {
                    self.out.replies.push(Reply {
                        client: *client,
                        mid: mid.clone(),
                        answer: Answer::Committed(output),
                    });
                }
            }
            if let Some(req) = self.accepted.remove(&index) {
                let same = origin
                    .as_ref()
                    .is_some_and(|(client, mid, _)| *client == req.client && *mid == req.mid);
                if !same {
                    self.route(now, req);
                }
            }
        }
    }
}
