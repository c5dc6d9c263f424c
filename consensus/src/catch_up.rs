//! Deferred catch-up: committed entries wait for the follower's next turn.
//!
//! ## Why
//!
//! An unacknowledged batch is normally sent again after
//! `retransmit_timeout` (`leader_tick`). That is what a commit needs while
//! the batch's entries are uncommitted. But often, by the time the timer
//! fires, the entries have been committed without this follower: other
//! followers acknowledged them, or a later batch to other followers
//! carried them too. Sending them again at once then buys nothing but an
//! up-to-date follower a little sooner, and costs two messages (the batch
//! and its answer), each of which the network may drop again. Under 15%
//! loss such retransmissions were about a tenth of all traffic.
//!
//! The follower does not need them now: its next turn in the rotation
//! (`followers_by_turn`) carries everything it lacks, because the cursor is
//! rewound to where a resend starts (`Cursor::resend_from`).
//!
//! ## The rule
//!
//! When a follower's retransmission is due and every entry it was sent is
//! already committed, the leader does not resend. It rewinds the cursor,
//! stops the retransmission timer, and *pardons* the missing answer: the
//! follower counts as listening again, so it keeps its place in the
//! rotation. Without the pardon it would look unresponsive, be passed over
//! for new entries, and get only quiet heartbeats that ask for no answer:
//! it would never be heard from again.
//!
//! A follower that is really down must not be pardoned over and over, each
//! time breaking the next relay chain it is put in. So the pardon is given
//! once, and only an answer from the follower earns another; an unpardoned
//! follower is retransmitted to as before, with the usual backoff, which
//! is also how a follower that went down is probed until it comes back.
//! Nor is a follower that has not answered since it missed its leader's
//! election pardoned: it has never been heard from in this term
//! (`progress.rs`, "What the election already told").
//!
//! Safety is untouched: only the timing of sends to one follower changes,
//! for entries whose commit no longer depends on it.

use crate::replica::Replica;
use statemachine::StateMachine;
use std::time::Duration;

impl<SM: StateMachine> Replica<SM> {
    /// Defers the due retransmissions of already-committed entries to each
    /// follower's next turn, pardoning the missing answer (see the module
    /// docs). Runs before the leader's other timers look at retransmission.
    pub(crate) fn defer_committed_catch_up(&mut self, now: Duration) {
        let pacing = self.pacing();
        let commit = self.commit;
        for p in self.progress.values_mut() {
            if p.settles_delegation {
                // Its answer settles a delegation (`delegated_answers.rs`).
                continue;
            }
            let due = p.retransmit_due(now, pacing);
            let all_sent_committed = !p.sent_uncommitted(commit);
            if due && all_sent_committed && !p.pardoned && !p.missed_election {
                p.cursor.rewind();
                p.unacked_since = None;
                p.awaiting_since = None;
                p.retries = 0;
                p.pardoned = true;
            }
        }
    }
}
