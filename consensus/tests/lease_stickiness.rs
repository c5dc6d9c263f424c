//! The promise a leader's lease rests on: a follower that heard from its
//! leader grants no vote for an election timeout afterwards, even if it
//! adopts a newer term meanwhile from a message that names no leader.
//!
//! The story: replica 2 campaigns for term 2 while cut off from the
//! leader, 0. Replica 1, also cut off, rehearses a campaign of its own and
//! asks 2; then the leader reaches 1 again, and 1 confirms the contact,
//! renewing 0's lease. Only then does 2's refusal of 1's rehearsal
//! arrive, carrying term 2, and 1 adopts the term. Had adopting the term
//! made 1 forget its leader, 2 could win term 2 with 1's vote, commit a
//! put, and 0, still within its lease, would answer a get with the value
//! the put overwrote.

mod common;

use common::*;
use consensus::{Answer, Role};
use wire::Body;

/// True for a vote request or pre-vote request from `from` to `to`.
fn asks(m: &Msg, from: u16, to: u16) -> bool {
    m.src == id(from) && m.dst == id(to) && matches!(m.body, Body::VoteRequest(_))
}

#[test]
fn a_follower_that_adopts_a_newer_term_still_refuses_votes_within_its_leaders_lease() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    c.put(0, "p-old", "k", "old");
    c.run(ms(1_000));
    assert!((1..5).all(|n| c.log_terms(n) == c.log_terms(0)));

    // 1, 2 and 3 lose touch with the leader for an election timeout. 1
    // rehearses a campaign first; its request to 2 is slow to arrive.
    for n in [1, 2, 3] {
        c.crash(n);
    }
    let due = c.node(1).next_deadline().max(c.node(2).next_deadline());
    c.run(due - c.now);
    assert_eq!(c.leaders(), vec![id(0)], "an idle leader keeps office");
    c.crashed.clear();
    c.time_out(1);
    c.drop_where(|m| !asks(m, 1, 2));
    let slow = std::mem::take(&mut c.in_flight);
    // 2 rehearses too; 1 and 3, not having heard from 0 either, agree,
    // and 2 campaigns for term 2. Its vote requests are all lost.
    c.time_out(2);
    c.drop_where(|m| !(asks(m, 2, 1) || asks(m, 2, 3)));
    c.deliver(|_| true);
    c.deliver(|m| m.dst == id(2));
    assert_eq!(c.node(2).role(), Role::Candidate);
    assert_eq!(c.node(2).term(), 2);
    c.drop_where(|_| true);

    // A client reads from the leader, whose lease has lapsed: it asks its
    // followers, 1 and 4 confirm (1 following 0 again), and a majority
    // has renewed 0's lease.
    c.get(0, "g-before", "k");
    c.time_out(0);
    c.drop_where(|m| m.src == id(0) && ![id(1), id(4)].contains(&m.dst));
    c.deliver(|_| true);
    assert_eq!(c.node(1).leader(), Some(id(0)));
    c.deliver(|_| true);
    assert_eq!(
        c.answers("g-before"),
        vec![(id(0), Answer::Read("old".into()))]
    );

    // Only now does 1's rehearsal reach 2, and 2's refusal, which carries
    // term 2, reach 1.
    c.in_flight = slow;
    c.deliver(|_| true);
    c.deliver(|m| m.src == id(2) && m.dst == id(1));
    assert_eq!(c.node(1).term(), 2, "1 adopted the newer term");

    // 2 asks its silent voters again; 1 and 3 hear it.
    c.drop_where(|_| true);
    c.time_out(2);
    c.drop_where(|m| !(asks(m, 2, 1) || asks(m, 2, 3)));
    c.deliver(|_| true);
    let granted_by_1 = c
        .in_flight
        .iter()
        .any(|m| m.src == id(1) && matches!(&m.body, Body::VoteResponse(r) if r.granted));

    // Whatever 2 manages among 1, 2 and 3, the leader's lease read must
    // not miss a put answered meanwhile.
    c.run_with(ms(50), &[0, 4]);
    c.put(2, "p-new", "k", "new");
    c.run_with(ms(50), &[0, 4]);
    let new_answered = c
        .answers("p-new")
        .iter()
        .any(|(_, a)| matches!(a, Answer::Committed(_) | Answer::Vouched(_)));
    c.get(0, "g-after", "k");
    let read = c.answers("g-after");
    assert!(
        !(new_answered && read.contains(&(id(0), Answer::Read("old".into())))),
        "a lease read missed an answered put"
    );
    assert!(!granted_by_1, "1 granted a vote within its leader's lease");
    assert!(!new_answered, "2 won term 2 while 0's lease held");
}
