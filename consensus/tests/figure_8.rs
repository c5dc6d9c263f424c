//! The paper's Figure 8, step by step: the current-term commit rule
//! (§5.4.2), and what is lost without it.

mod common;

use common::*;
use consensus::Role;
use wire::Body;

/// What the Figure 8 story observed.
struct Figure8 {
    /// Replica 1's commit index after step (c).
    commit_after_c: u64,
    /// Whether replica 2 considered index 2 committed after step (c).
    follower_committed_2: bool,
    /// Whether index 2 was later overwritten on replicas 2 and 3.
    overwritten: bool,
    /// The replicas that applied the put "a" (index 2, term 1).
    applied_a: Vec<u16>,
}

/// The paper's Figure 8, with replicas 0..4 for S1..S5, under `rules`.
fn figure_8(rules: consensus::SafetyRules) -> Figure8 {
    // Every new entry goes to every follower at once, so that the story
    // decides alone who receives it.
    let mut c = Cluster::with_config(5, |cfg| {
        cfg.eager_followers = Some(4);
        cfg.rules = rules;
    });
    // (a) 0 leads term 1; entry "a" reaches only 1; then 0 crashes.
    c.time_out(0);
    c.settle();
    c.put(0, "a", "k", "a");
    settle_losing(&mut c, |m| m.src == id(0) && m.dst != id(1));
    c.crash(0);
    assert_eq!(c.log_terms(1), vec![1, 1]);

    // (b) 4 wins term 2 with votes from 2 and 3; its own entry at index 2
    // reaches nobody.
    c.time_out(4);
    settle_losing(&mut c, |m| {
        m.src == id(4) && matches!(m.body, Body::Append(_))
    });
    assert_eq!(c.node(4).role(), Role::Leader);
    assert_eq!(c.log_terms(4), vec![1, 2]);

    // (c) 4 is cut off; 1 wins term 3 and copies index 2 (term 1) to 2 and
    // 3, but not yet its own term-3 entry at index 3.
    let cut_4 = |m: &Msg| touches(m, 4);
    c.drop_where(cut_4);
    c.time_out(1);
    for round in 0..20 {
        if round >= 10 {
            // Retransmissions tell the followers what 1 has committed.
            c.time_out(1);
        }
        c.drop_where(cut_4);
        for m in c.in_flight.iter_mut() {
            if let Body::Append(a) = &mut m.body {
                if m.src == id(1) {
                    let keep = 2u64.saturating_sub(a.prev_index) as usize;
                    a.entries.truncate(keep);
                }
            }
        }
        c.deliver(|_| true);
    }
    assert_eq!(c.node(1).role(), Role::Leader);
    assert_eq!(c.node(1).term(), 3);
    for n in [1, 2, 3] {
        assert_eq!(c.node(n).log().term_at(2), Some(1), "replica {n}");
    }
    let commit_after_c = c.node(1).commit_index();
    let follower_committed_2 = c.node(2).commit_index() >= 2;

    // (d) 1 is cut off, 4 returns and wins with 2 and 3 (its last term, 2,
    // beats their 1) and overwrites index 2 everywhere it can.
    c.in_flight.clear();
    let cut_1 = |m: &Msg| touches(m, 1);
    for _ in 0..4 {
        c.time_out(4);
        settle_losing(&mut c, cut_1);
        if c.node(4).role() == Role::Leader && c.node(4).commit_index() >= 3 {
            break;
        }
    }
    assert_eq!(c.node(4).role(), Role::Leader);
    Figure8 {
        commit_after_c,
        follower_committed_2,
        overwritten: [2, 3]
            .iter()
            .all(|&n| c.node(n).log().term_at(2) == Some(2)),
        applied_a: (0..5)
            .filter(|&n| {
                c.node(n)
                    .state_machine()
                    .applied()
                    .iter()
                    .any(|cmd| cmd.value == "a")
            })
            .collect(),
    }
}

/// An entry from an old term stored on a majority is not committed by
/// counting, because a later leader can still overwrite it.
#[test]
fn figure_8_an_old_terms_entry_on_a_majority_is_not_committed_by_counting() {
    let story = figure_8(consensus::SafetyRules::ENFORCED);
    assert_eq!(
        story.commit_after_c, 1,
        "index 2 is on a majority but of term 1"
    );
    assert!(!story.follower_committed_2);
    assert!(story.overwritten, "a later leader overwrote it, as it may");
    assert_eq!(story.applied_a, Vec::<u16>::new(), "and nobody applied it");
}

/// The same story without the current-term rule: index 2 is committed and
/// applied, then overwritten. State Machine Safety is
/// violated, which is why the rule exists.
#[cfg(feature = "fault-injection")]
#[test]
fn figure_8_without_the_current_term_rule_loses_a_committed_entry() {
    let story = figure_8(consensus::SafetyRules {
        current_term_commit: false,
        ..consensus::SafetyRules::ENFORCED
    });
    assert_eq!(story.commit_after_c, 2, "committed by counting");
    assert!(story.follower_committed_2);
    assert!(story.overwritten, "a committed entry was overwritten");
    assert!(
        story.applied_a.contains(&1),
        "after replica 1 applied it at index 2: {:?}",
        story.applied_a
    );
}
