//! The leader's view of each follower.
//!
//! Besides the log [`Cursor`] (what the follower has, what was sent), the
//! leader remembers *when* things happened, because three decisions depend
//! on time: resending entries that were not acknowledged
//! (`retransmit_timeout`), contacting an idle follower
//! (`heartbeat_interval`), and dating the last contact the follower
//! confirmed, for the lease and check-quorum (`lease.rs`).

use raft_log::Cursor;
use std::time::Duration;

/// One follower, as its leader tracks it.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    /// Which entries the follower has, and which were sent.
    pub cursor: Cursor,
    /// When anything was last sent to it.
    pub last_sent: Option<Duration>,
    /// Since when entries it was sent have gone unacknowledged.
    pub unacked_since: Option<Duration>,
    /// Since when a message that asked for a response has gone unanswered.
    pub awaiting_since: Option<Duration>,
    /// The leader-clock send time of the latest message it answered. A
    /// response proves the follower heard from this leader at or after
    /// that time.
    pub confirmed_contact: Option<Duration>,
    /// When its latest response arrived.
    pub last_response: Option<Duration>,
    /// Retransmissions since its last response; each doubles the wait, so
    /// that a crashed follower costs no more than a heartbeat's traffic.
    pub retries: u32,
    /// A missing answer was overlooked to keep the follower in the
    /// rotation (`catch_up.rs`); only an answer earns another pardon.
    pub pardoned: bool,
}

impl Progress {
    /// A follower of a leader whose log ends at `last_index`.
    pub fn new(last_index: u64) -> Self {
        Progress {
            cursor: Cursor::new(last_index),
            last_sent: None,
            unacked_since: None,
            awaiting_since: None,
            confirmed_contact: None,
            last_response: None,
            retries: 0,
            pardoned: false,
        }
    }

    /// True when nothing was sent for `interval`.
    pub fn idle_for(&self, now: Duration, interval: Duration) -> bool {
        self.last_sent.is_none_or(|t| now >= t + interval)
    }

    /// True unless a message that asked for a response has gone
    /// unanswered for `patience`: a follower that seems to be listening.
    pub fn responsive(&self, now: Duration, patience: Duration) -> bool {
        self.awaiting_since.is_none_or(|t| now < t + patience)
    }

    /// How long unacknowledged entries wait before they are sent again:
    /// `base`, doubled for every retransmission left unanswered, at most `cap`.
    pub fn retransmit_wait(&self, base: Duration, cap: Duration) -> Duration {
        base.saturating_mul(1 << self.retries.min(16)).min(cap)
    }

    /// When unacknowledged entries are next due to be sent again, if any are.
    pub fn retransmit_at(&self, base: Duration, cap: Duration) -> Option<Duration> {
        self.unacked_since
            .map(|t| t + self.retransmit_wait(base, cap))
    }

    /// True when unacknowledged entries are due to be sent again at `now`.
    pub fn retransmit_due(&self, now: Duration, base: Duration, cap: Duration) -> bool {
        self.retransmit_at(base, cap).is_some_and(|t| now >= t)
    }

    /// Records a send of entries through `last_index` (none for a
    /// heartbeat); `quiet` sends expect no response.
    pub fn record_send(
        &mut self,
        now: Duration,
        last_index: u64,
        carried_entries: bool,
        quiet: bool,
    ) {
        self.cursor.sent(last_index);
        self.last_sent = Some(now);
        if quiet {
            return;
        }
        if self.awaiting_since.is_none() {
            self.awaiting_since = Some(now);
        }
        if carried_entries && self.unacked_since.is_none() {
            self.unacked_since = Some(now);
        }
    }

    /// Records any response, successful or not.
    pub fn record_response(&mut self, now: Duration, sent_at: Duration) {
        self.last_response = Some(now);
        self.awaiting_since = None;
        self.retries = 0;
        self.pardoned = false;
        self.confirmed_contact = Some(self.confirmed_contact.map_or(sent_at, |c| c.max(sent_at)));
    }

    /// Records an acknowledgement through `match_index`; restarts the
    /// retransmission clock if later sends are still outstanding.
    pub fn record_ack(&mut self, now: Duration, match_index: u64) {
        self.cursor.acknowledged(match_index);
        self.unacked_since = if self.cursor.matched + 1 >= self.cursor.next {
            None
        } else {
            Some(now)
        };
    }
}
