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
//!
//! The leader's side of the same promise: since a follower's promise runs
//! from when it heard the leader, the lease a round of answers buys runs
//! from when that round was sent, however late the answers arrive.

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

/// The lease runs from when a round was sent, not from when its answers
/// came in.
///
/// The story: leader 0, busy with a reader, sends a round of contacts at
/// `t`, and every follower hears it at once. Then 0 is cut off from the
/// others. The answers of 3 and 4, the round's lease keepers, were
/// already on their way, and reach 0 only 300 ms later: more than the
/// gap between the election timeout (1200 ms) and the lease (1000 ms).
/// All they prove is that 3 and 4 heard 0 at `t`, so that they grant no
/// vote before `t + 1200`; after that, 1 to 4 may elect a new leader and
/// commit puts that 0 never sees. The lease those answers bought
/// therefore ends at `t + 1000`: a get at `t + 900` is served from it,
/// one at `t + 1250` must not be. Dated from when the answers arrived,
/// the lease would run to `t + 1300`, past the followers' promise.
#[test]
fn a_lease_renewed_by_late_answers_runs_from_the_round_not_from_the_answers() {
    let mut c = Cluster::led_by_0(5);
    c.get(0, "g0", "k");
    assert_eq!(c.answers("g0"), vec![(id(0), Answer::Read(String::new()))]);

    // The next round of contacts goes out at t and reaches every
    // follower; two of them are asked to answer, and do.
    c.time_out(0);
    let t = c.now;
    assert_eq!(c.in_flight.iter().filter(|m| is_append(m)).count(), 4);
    c.deliver(is_append);
    let late: Vec<Msg> = std::mem::take(&mut c.in_flight);
    assert_eq!(late.len(), 2, "{late:?}");
    assert!(late
        .iter()
        .all(|m| m.dst == id(0) && matches!(m.body, Body::AppendResponse(_))));
    let mut keepers: Vec<_> = late.iter().map(|m| m.src).collect();
    keepers.sort();
    assert_eq!(keepers, vec![id(3), id(4)]);

    // 0 is cut off from everyone; the two answers arrive 300 ms late.
    c.run_losing(ms(300), |m| touches(m, 0));
    c.in_flight.extend(late);
    c.deliver(|_| true);

    // They renewed the lease, dated t: a get at t + 900 is served.
    c.run_losing(t + ms(900) - c.now, |m| touches(m, 0));
    c.get(0, "g1", "k");
    assert_eq!(c.answers("g1"), vec![(id(0), Answer::Read(String::new()))]);

    // At t + 1250, 3 and 4 are free to vote for another leader, and with
    // 1 and 2 elect one: 0 must not answer a get alone any more.
    c.run_losing(t + ms(1250) - c.now, |m| touches(m, 0));
    c.get(0, "g2", "k");
    let served_alone = c
        .answers("g2")
        .iter()
        .any(|(n, a)| *n == id(0) && matches!(a, Answer::Read(_)));
    assert!(
        !served_alone,
        "a get was served from a lease past the followers' promise"
    );
}
