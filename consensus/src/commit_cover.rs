//! Retransmissions the commit does not need: a due resend waits while
//! other followers already cover the commit.
//!
//! ## Why
//!
//! Each follower's unacknowledged entries have their own retransmission
//! timer (`progress.rs`). Under loss, several timers expire close
//! together: a relay chain that broke leaves both its followers due, and
//! by then a stalled commit may have been widened to other followers
//! (`widening_targets`), or one of them already answered. Resending to
//! every due follower then costs two messages each where the commit needs
//! one more acknowledgement, or none. At 15% loss (`unreliable-3`, three
//! seeds) postponing them saved 4-6% of all messages.
//!
//! ## The rule
//!
//! When a follower's retransmission is due and the newest entry it was
//! sent is not committed, the leader counts the *other* followers that
//! either acknowledged that entry or were sent it, with a response asked
//! for, less than their own retransmission wait ago (`entries_in_flight`),
//! and seem to be listening.
//! If those are as many as a majority needs besides the leader, the
//! commit is covered: the resend is postponed by one retransmission wait,
//! without counting a retry. Due followers are taken in turn order, and
//! the followers a stalled commit is widened to come first, so that each
//! send made in this tick counts for the next follower looked at.
//!
//! Nor does a follower that has left a message unanswered for longer than
//! `response_patience`, however recent the send: a follower that went
//! down or was cut off is probed once a heartbeat interval with the entry
//! after the last one it acknowledged, often the very entry waiting for
//! its commit, and that probe must not hold up a resend to a live
//! follower for the interval.
//!
//! A postponed follower does not count as in flight for others: only a
//! real send does, and only until its own timer would fire. So two due
//! followers cannot keep postponing each other; once the sends that
//! covered the commit go unanswered for their wait, they stop counting
//! and the next due follower is sent to. If the commit happens, what the
//! postponed follower lacks is committed and waits for its next turn
//! (`catch_up.rs`).
//!
//! Safety is untouched: only which follower is resent to, and when.

use crate::replica::Replica;
use statemachine::StateMachine;
use std::time::Duration;
use wire::NodeId;

impl<SM: StateMachine> Replica<SM> {
    /// True if `peer`'s due retransmission can wait: the newest entry it
    /// was sent is uncommitted, and other followers acknowledged it or
    /// were sent it recently enough to commit it without `peer`.
    pub(crate) fn commit_covered_without(&self, now: Duration, peer: NodeId) -> bool {
        let Some(p) = self.progress.get(&peer) else {
            return false;
        };
        if p.settles_delegation {
            // Its answer settles a delegation (`delegated_answers.rs`).
            return false;
        }
        let newest_sent = p.cursor.next.saturating_sub(1);
        if newest_sent <= self.commit {
            // Nothing of its sends waits for a commit (`catch_up.rs`).
            return false;
        }
        let pacing = self.pacing();
        let patience = self.cfg.response_patience;
        let covering = self
            .progress
            .iter()
            .filter(|&(&other, _)| other != peer)
            .filter(|(_, q)| {
                let in_flight = q.cursor.next > newest_sent
                    && q.entries_in_flight(now, pacing)
                    && q.responsive(now, patience);
                q.cursor.matched >= newest_sent || in_flight
            })
            .count();
        covering >= self.cfg.quorum() - 1
    }
}
