//! The log's rules, one scenario each.

use raft_log::{Cursor, Entry, Log};

/// A log whose entries have the given terms, each carrying no command.
fn log_of(terms: &[u64]) -> Log<()> {
    let mut log = Log::new();
    for &t in terms {
        log.append(Entry::noop(t));
    }
    log
}

fn terms(log: &Log<()>) -> Vec<u64> {
    log.range(1, log.last_index())
        .iter()
        .map(|e| e.term)
        .collect()
}

fn batch(terms: &[u64]) -> Vec<Entry<()>> {
    terms.iter().map(|&t| Entry::noop(t)).collect()
}

#[test]
fn empty_log_has_index_and_term_zero() {
    let log = log_of(&[]);
    assert_eq!((log.last_index(), log.last_term()), (0, 0));
    assert_eq!(log.term_at(0), Some(0));
    assert_eq!(log.term_at(1), None);
    assert!(log.matches(0, 0));
}

#[test]
fn consistency_check_needs_same_term_at_prev_index() {
    let log = log_of(&[1, 1, 2]);
    assert!(log.matches(3, 2));
    assert!(!log.matches(3, 1));
    assert!(!log.matches(4, 2), "past the end never matches");
}

#[test]
fn conflicting_entry_and_all_after_it_are_truncated() {
    let mut log = log_of(&[1, 1, 2, 2, 2]);
    let m = log.merge(2, &batch(&[1, 3]));
    assert_eq!(terms(&log), vec![1, 1, 1, 3]);
    assert_eq!(m.truncated_from, Some(3));
    assert_eq!(m.matched_through, 4);
}

#[test]
fn a_stale_duplicate_batch_truncates_nothing() {
    let mut log = log_of(&[1, 1, 2, 2]);
    let m = log.merge(1, &batch(&[1, 2]));
    assert_eq!(terms(&log), vec![1, 1, 2, 2], "later entries survive");
    assert_eq!(m.truncated_from, None);
    assert_eq!(m.matched_through, 3, "only what the batch proved");
}

#[test]
fn new_entries_extend_the_log() {
    let mut log = log_of(&[1]);
    let m = log.merge(1, &batch(&[1, 2]));
    assert_eq!(terms(&log), vec![1, 1, 2]);
    assert_eq!(m.matched_through, 3);
}

#[test]
fn election_restriction_compares_last_term_then_length() {
    let log = log_of(&[1, 2, 2]);
    assert!(
        log.is_up_to_date(3, 1),
        "later last term wins though shorter"
    );
    assert!(log.is_up_to_date(2, 3), "equal is up to date");
    assert!(log.is_up_to_date(2, 4));
    assert!(!log.is_up_to_date(2, 2), "same term, shorter");
    assert!(
        !log.is_up_to_date(1, 9),
        "earlier last term loses though longer"
    );
}

#[test]
fn conflict_hint_skips_a_whole_term_or_points_at_the_end() {
    let log = log_of(&[1, 1, 2, 2, 2]);
    assert_eq!(
        log.conflict_hint(9),
        5,
        "behind: retry after our last entry"
    );
    assert_eq!(
        log.conflict_hint(4),
        2,
        "term 2 starts at 3, so resend from 3"
    );
    assert_eq!(log.conflict_hint(2), 0);
}

#[test]
fn cursor_streams_optimistically_and_rewinds_on_timeout() {
    let log = log_of(&[1, 1, 1, 1]);
    let mut c = Cursor::new(2);
    assert_eq!(c.next, 3);
    let b = c.batch(&log, 10);
    assert_eq!((b.prev_index, b.prev_term, b.entries.len()), (2, 1, 2));
    c.sent(b.last_index());
    assert!(!c.has_unsent(&log));
    assert!(c.lags(&log), "sent is not acknowledged");
    c.rewind();
    assert_eq!(
        c.next, 3,
        "nothing proven, nothing disproven: resend the probe"
    );
    assert!(c.acknowledged(4));
    assert!(!c.acknowledged(3), "old acks do not move matched back");
    assert_eq!((c.matched, c.next), (4, 5));
    assert!(!c.lags(&log));
}

#[test]
fn cursor_batches_are_bounded_and_rejections_never_undo_proof() {
    let log = log_of(&[1; 100]);
    let mut c = Cursor::new(0);
    let b = c.batch(&log, 32);
    assert_eq!((b.prev_index, b.entries.len()), (0, 32));
    c.acknowledged(10);
    c.rejected(3);
    assert_eq!(c.next, 11, "hint below matched is ignored");
    c.rejected(50);
    assert_eq!(c.next, 51);
    let empty = Cursor::new(100).batch(&log, 32);
    assert!(empty.entries.is_empty(), "up to date: a heartbeat");
    assert_eq!((empty.prev_index, empty.prev_term), (100, 1));
}

#[test]
fn a_new_leaders_retransmission_resends_its_probe_not_the_whole_log() {
    let log = log_of(&[1; 135]);
    let mut c = Cursor::new(135);
    c.sent(c.batch(&log, 64).last_index());
    c.rejected(134);
    assert_eq!(c.next, 135, "the follower lacks only entry 135");
    let resend = c.batch(&log, 64);
    assert_eq!((resend.prev_index, resend.entries.len()), (134, 1));
    c.sent(resend.last_index());
    c.rewind();
    assert_eq!(
        c.next, 135,
        "the resend was lost: send it again, not from 1"
    );
    c.rejected(99);
    c.sent(c.batch(&log, 64).last_index());
    c.rewind();
    assert_eq!(c.next, 100, "a deeper rejection moves the probe back");
    assert!(c.acknowledged(120));
    c.sent(c.batch(&log, 64).last_index());
    c.rewind();
    assert_eq!(c.next, 121, "once acknowledged, resend from what is proven");
}
