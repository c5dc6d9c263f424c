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
fn a_range_is_clamped_to_the_log_at_both_ends() {
    let log = log_of(&[1, 1, 2]);
    let range_terms =
        |from, through| -> Vec<u64> { log.range(from, through).iter().map(|e| e.term).collect() };
    assert_eq!(range_terms(0, 2), vec![1, 1]);
    assert_eq!(range_terms(2, 99), vec![1, 2]);
    assert_eq!(range_terms(4, 9), Vec::<u64>::new(), "just past the end");
    assert_eq!(range_terms(9, 12), Vec::<u64>::new(), "well past the end");
    assert_eq!(range_terms(3, 1), Vec::<u64>::new(), "an empty range");
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
fn conflict_hint_points_at_the_last_entry_that_may_match() {
    let log = log_of(&[1, 1, 2, 2, 2]);
    assert_eq!(
        log.conflict_hint(9, 3),
        (5, 2),
        "behind: retry after our last entry"
    );
    assert_eq!(
        log.conflict_hint(4, 1),
        (2, 1),
        "our term-2 entries cannot match a term-1 entry at 4"
    );
    assert_eq!(
        log.conflict_hint(4, 3),
        (4, 2),
        "a term-2 entry at 4 may still match a leader whose entry 5 is term 3"
    );
    assert_eq!(log.conflict_hint(2, 0), (0, 0), "nothing can match");
}

#[test]
fn a_cut_off_leaders_shared_prefix_is_found_in_one_rejection() {
    // The old leader kept term 1 through index 150; its successor of term
    // 2 shares 1..=140 and wrote 141..=160.
    let old_leader = log_of(&[1; 150]);
    let mut terms = vec![1; 140];
    terms.extend([2; 20]);
    let successor = log_of(&terms);

    // The successor probes past the old leader's end.
    assert!(!old_leader.matches(160, 2));
    let (hint, hint_term) = old_leader.conflict_hint(160, 2);
    assert_eq!((hint, hint_term), (150, 1));
    let probe = successor.last_index_with_term_at_most(hint, hint_term);
    assert_eq!(probe, 140, "skip the successor's own term-2 entries");
    assert!(old_leader.matches(probe, successor.term_at(probe).unwrap_or(0)));
}

#[test]
fn backing_up_by_term_never_skips_a_matching_entry() {
    // Every pair of logs that share a prefix, over short term sequences:
    // following hints from any probe always ends at the shared prefix's
    // end or later, then matches.
    let shapes: Vec<Vec<u64>> = vec![
        vec![],
        vec![1],
        vec![1, 1, 2],
        vec![1, 2, 2, 3],
        vec![1, 1, 1, 4, 4],
        vec![2, 2, 3, 3, 3, 5],
    ];
    for shared in 0..=3usize {
        for a in &shapes {
            for b in &shapes {
                let prefix: Vec<u64> = vec![1; shared];
                let follower: Vec<u64> = prefix.iter().chain(a).copied().collect();
                let leader: Vec<u64> = prefix.iter().chain(b).copied().collect();
                let (follower, leader) = (log_of(&follower), log_of(&leader));
                let agree = (0..=leader.last_index().min(follower.last_index()))
                    .take_while(|&i| leader.term_at(i) == follower.term_at(i))
                    .last()
                    .unwrap_or(0);
                let mut probe = leader.last_index();
                let mut steps = 0;
                while !follower.matches(probe, leader.term_at(probe).unwrap_or(0)) {
                    let prev_term = leader.term_at(probe).unwrap_or(0);
                    let (hint, hint_term) = follower.conflict_hint(probe, prev_term);
                    let next = leader.last_index_with_term_at_most(hint, hint_term);
                    assert!(next < probe, "a rejection moves the probe back");
                    assert!(
                        next >= agree,
                        "{a:?} vs {b:?}: skipped the match at {agree}"
                    );
                    probe = next;
                    steps += 1;
                }
                assert!(probe >= agree);
                assert!(steps <= 3, "{a:?} vs {b:?}: {steps} rejections");
            }
        }
    }
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
