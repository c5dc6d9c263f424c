//! A leader's view of one follower's log.

use crate::Log;
use wire::{Entry, Index, Term};

/// Where one follower's log stands, as far as the leader knows.
///
/// `matched` is proven (the follower acknowledged it); `next` is optimistic
/// (entries before it have been sent, perhaps not yet received). Sending
/// advances `next` at once so that new entries stream without waiting for
/// each acknowledgement; a rejection pulls it back to the follower's hint,
/// and a retransmission timeout back to `resend_from`.
///
/// ## Why a retransmission does not go back to `matched`
///
/// A new leader knows nothing of its followers: `matched` is 0 for all of
/// them, and its first batch probes the end of its log, where a follower
/// that kept up already is. If that probe, or the resend after a
/// rejection, is lost, going back to `matched + 1` would resend the whole
/// log from index 1, in full batches, to a follower that most likely
/// lacks one entry or none: in three traced advanced-1 runs (10% loss),
/// 12 to 27 batches resending the log from its start followed the
/// leader's crash. The point being probed has not been disproven; only a
/// rejection moves it back. So a retransmission resends the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The next index to send.
    pub next: Index,
    /// The highest index known to be replicated on the follower.
    pub matched: Index,
    /// Where a retransmission starts: `matched + 1` once the follower has
    /// acknowledged the point being probed, the probe itself until then
    /// (the leader's log end when it took office, or the follower's hint
    /// after a rejection). Always between `matched + 1` and `next`.
    pub resend_from: Index,
}

/// A slice of the log ready to go to one follower.
#[derive(Debug)]
pub struct Batch<'a, C> {
    /// Index of the entry before the batch.
    pub prev_index: Index,
    /// Its term, for the follower's consistency check.
    pub prev_term: Term,
    /// The entries, at most the limit given to [`Cursor::batch`].
    pub entries: &'a [Entry<C>],
}

impl<C> Batch<'_, C> {
    /// The last index the batch covers.
    pub fn last_index(&self) -> Index {
        self.prev_index + self.entries.len() as Index
    }
}

impl Cursor {
    /// A fresh leader's guess for a follower: "your log is like mine".
    pub fn new(leader_last_index: Index) -> Self {
        Cursor::starting_at(leader_last_index + 1)
    }

    /// A cursor that has proven nothing and sends from `next` on.
    pub fn starting_at(next: Index) -> Self {
        Cursor {
            next,
            matched: 0,
            resend_from: next,
        }
    }

    /// The next batch for this follower: entries from `next`, at most
    /// `max_entries` of them (none for a heartbeat when it is up to date).
    pub fn batch<'a, C: Clone>(&self, log: &'a Log<C>, max_entries: usize) -> Batch<'a, C> {
        let next = self.next.clamp(1, log.last_index() + 1);
        let prev_index = next - 1;
        let through = prev_index.saturating_add(max_entries as Index);
        Batch {
            prev_index,
            prev_term: log.term_at(prev_index).unwrap_or(0),
            entries: log.range(next, through),
        }
    }

    /// Records that everything through `last_index` was sent.
    pub fn sent(&mut self, last_index: Index) {
        self.next = self.next.max(last_index + 1);
    }

    /// Records a successful response; returns true if `matched` grew.
    pub fn acknowledged(&mut self, match_index: Index) -> bool {
        let grew = match_index > self.matched;
        self.matched = self.matched.max(match_index);
        self.next = self.next.max(self.matched + 1);
        self.resend_from = self.resend_from.max(self.matched + 1);
        grew
    }

    /// Records a rejected batch with the follower's hint: probe from
    /// `hint + 1`, but never before what is already proven.
    pub fn rejected(&mut self, hint: Index) {
        self.next = (hint + 1).max(self.matched + 1);
        self.resend_from = self.next;
    }

    /// Forgets what was sent but not acknowledged, so it is sent again
    /// from `resend_from`.
    pub fn rewind(&mut self) {
        self.next = self.resend_from;
    }

    /// True when the follower lacks entries that the leader holds.
    pub fn lags<C: Clone>(&self, log: &Log<C>) -> bool {
        self.matched < log.last_index()
    }

    /// True when some entries were never sent to the follower.
    pub fn has_unsent<C: Clone>(&self, log: &Log<C>) -> bool {
        self.next <= log.last_index()
    }
}
