//! The log itself.

use wire::{Entry, Index, Term};

/// A replica's log: entries 1..=last_index. Kept in memory, as the
/// assignment allows (no persistence, no compaction).
#[derive(Clone, Debug)]
pub struct Log<C> {
    entries: Vec<Entry<C>>,
}

/// What merging a leader's batch did to the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merge {
    /// The last index known to match the leader: `prev_index` plus the
    /// batch's length. A follower may commit up to here, no further.
    pub matched_through: Index,
    /// If a conflict was found, the first index that was removed.
    pub truncated_from: Option<Index>,
}

impl<C> Default for Log<C> {
    fn default() -> Self {
        Log {
            entries: Vec::new(),
        }
    }
}

impl<C: Clone> Log<C> {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Index of the last entry; 0 when empty.
    pub fn last_index(&self) -> Index {
        self.entries.len() as Index
    }

    /// Term of the last entry; 0 when empty.
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// Term of the entry at `index`: `Some(0)` for index 0, `None` past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.get(index).map(|e| e.term)
    }

    /// The entry at `index`, if there is one.
    pub fn get(&self, index: Index) -> Option<&Entry<C>> {
        let i = usize::try_from(index).ok()?.checked_sub(1)?;
        self.entries.get(i)
    }

    /// Entries `from..=through` (clamped to the log), for batching and applying.
    pub fn range(&self, from: Index, through: Index) -> &[Entry<C>] {
        let start = (from.max(1) as usize - 1).min(self.entries.len());
        let end = (through.min(self.last_index()) as usize).max(start);
        &self.entries[start..end]
    }

    /// Appends one entry at the end (a leader's path) and returns its index.
    pub fn append(&mut self, entry: Entry<C>) -> Index {
        self.entries.push(entry);
        self.last_index()
    }

    /// The consistency check of AppendEntries: does this log hold an entry
    /// at `prev_index` with term `prev_term`?
    pub fn matches(&self, prev_index: Index, prev_term: Term) -> bool {
        self.term_at(prev_index) == Some(prev_term)
    }

    /// The election restriction (§5.4.1): is a log ending in
    /// (`last_term`, `last_index`) at least as up to date as this one? A
    /// later last term wins; with equal last terms the longer log wins.
    pub fn is_up_to_date(&self, last_term: Term, last_index: Index) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }

    /// Merges a leader's batch that follows `prev_index`, which the caller
    /// has checked with [`matches`](Log::matches). Entries already present
    /// with the same term are kept (the batch may be a stale duplicate); the
    /// first entry whose term differs is removed with everything after it,
    /// and the rest of the batch appended (§5.3, receiver rule 3 and 4).
    pub fn merge(&mut self, prev_index: Index, batch: &[Entry<C>]) -> Merge {
        let mut truncated_from = None;
        for (offset, entry) in batch.iter().enumerate() {
            let index = prev_index + 1 + offset as Index;
            match self.term_at(index) {
                Some(term) if term == entry.term => continue,
                Some(_) => {
                    self.entries.truncate(index as usize - 1);
                    truncated_from = Some(index);
                    self.entries.push(entry.clone());
                }
                None => self.entries.push(entry.clone()),
            }
        }
        Merge {
            matched_through: prev_index + batch.len() as Index,
            truncated_from,
        }
    }

    /// After a failed consistency check of (`prev_index`, `prev_term`):
    /// the last index at which this log may still match the leader's, and
    /// this log's term there. The leader goes on from there with
    /// [`last_index_with_term_at_most`](Log::last_index_with_term_at_most).
    ///
    /// ## Backing up a whole term at a time
    ///
    /// Terms never decrease along a log. The leader's entry at `prev_index`
    /// has term `prev_term`, so all of the leader's entries before it have
    /// terms of at most `prev_term`, and an entry of ours with a later term
    /// cannot match. The hint is therefore our last entry, at or before
    /// `prev_index`, whose term is at most `prev_term`. The leader then
    /// skips, the same way, its own entries of a term later than ours at
    /// the hint, and probes the last entry it has left. Every entry where
    /// the logs agree lies at or before both steps, so no match is
    /// skipped, and each rejection moves the probe back by at least one
    /// whole term of one of the logs.
    ///
    /// Pointing only at the start of our conflicting term, as before, lost
    /// the shared prefix: a leader cut off in a minority holds the entries
    /// its majority successor kept, plus a few uncommitted ones, all of its
    /// own term. The successor's probe past them was answered with the
    /// start of that term, often index 0, and the whole log went out again.
    /// This is the rule of the Raft thesis (§5.3) and of etcd's
    /// `findConflictByTerm`.
    pub fn conflict_hint(&self, prev_index: Index, prev_term: Term) -> (Index, Term) {
        let index = self.last_index_with_term_at_most(prev_index, prev_term);
        (index, self.term_at(index).unwrap_or(0))
    }

    /// The last index at or before `index` whose entry has a term of at
    /// most `term`; 0 if there is none. A binary search, since terms never
    /// decrease along a log.
    pub fn last_index_with_term_at_most(&self, index: Index, term: Term) -> Index {
        let upto = index.min(self.last_index()) as usize;
        self.entries[..upto].partition_point(|e| e.term <= term) as Index
    }
}
