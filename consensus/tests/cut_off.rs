//! Cut-off stories: followers and leaders cut off from the majority
//! holding their clients' requests and redirecting them elsewhere, and a
//! cut-off leader reading alone only until its lease ends.

mod common;

use common::*;
use consensus::{Answer, Role};

/// Runs the cluster with `cut` apart, a millisecond at a time, until `mid`
/// is answered or `limit` passes; returns how long that took.
fn run_with_until_answered(c: &mut Cluster, cut: &[u16], mid: &str, limit: u64) -> Option<u64> {
    (1..=limit).find(|_| {
        c.run_with(ms(1), cut);
        !c.answers(mid).is_empty()
    })
}

#[test]
fn a_follower_cut_off_from_the_majority_sends_its_held_clients_elsewhere() {
    let mut c = Cluster::led_by_0(5);
    // 3 and 4 are cut off from the leader's side. Its last contact said
    // it is idle, so 4 trusts it for an idle interval and a quarter; a
    // second and a half on, 4 takes its leader for gone, and holds a
    // client's get.
    c.run_with(ms(1_500), &[3, 4]);
    c.get(4, "early", "k");
    assert!(c.answers("early").is_empty());

    // Its pre-vote round reaches only 3, asks the others once more, and
    // waits as long again: then it takes itself for cut off, and sends
    // the client to a random replica (FFFF), having held it for longer
    // than the cut-off hold.
    c.sent.clear();
    let waited = run_with_until_answered(&mut c, &[3, 4], "early", 3_000);
    assert!(waited.is_some(), "held for three seconds");
    assert_eq!(
        c.answers("early"),
        vec![(id(4), Answer::Redirect(wire::NodeId::BROADCAST))]
    );
    assert_eq!(vote_requests(&c, 4, 0), 2, "asked, once more, then judged");

    // While cut off, a new request is held for the cut-off hold (50 ms),
    // then sent elsewhere too. Nothing was sent between replicas for it.
    c.sent.clear();
    c.put(4, "later", "k", "v");
    let waited = run_with_until_answered(&mut c, &[3, 4], "later", 1_000);
    assert_eq!(waited, Some(50));
    assert_eq!(
        c.answers("later"),
        vec![(id(4), Answer::Redirect(wire::NodeId::BROADCAST))]
    );
    assert!(c.sent.is_empty());
    assert_eq!(c.leaders(), vec![id(0)]);

    // Healed: once the leader's probe reaches it, it redirects to the
    // leader again, at once.
    c.run(ms(1_500));
    assert_eq!(c.node(4).leader(), Some(id(0)));
    c.get(4, "healed", "k");
    assert_eq!(c.answers("healed"), vec![(id(4), Answer::Redirect(id(0)))]);
}

#[test]
fn a_leader_cut_off_in_a_minority_holds_new_puts_and_sends_them_elsewhere_once_deposed() {
    let mut c = Cluster::led_by_0(5);
    // The leader and 1 are cut off. The leader takes a put it cannot
    // commit ...
    c.put(0, "first", "k", "a");
    c.run_with(ms(300), &[0, 1]);
    // ... and with its commit stalled for longer than the stalled commit
    // hold (100 ms), it holds the next put instead of taking it.
    let last = c.node(0).log().last_index();
    c.put(0, "second", "k", "b");
    assert_eq!(c.node(0).log().last_index(), last);
    assert!(c.answers("second").is_empty());

    // Check-quorum deposes it, an election timeout after the cut: it
    // takes itself for cut off and sends the held put's client to a
    // random replica at once. The put in its log stays until decided.
    let waited = run_with_until_answered(&mut c, &[0, 1], "second", 3_000);
    assert!(
        waited.is_some_and(|w| (800..=1_000).contains(&w)),
        "{waited:?}"
    );
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(
        c.answers("second"),
        vec![(id(0), Answer::Redirect(wire::NodeId::BROADCAST))]
    );
    assert!(c.answers("first").is_empty());

    // The majority side elects a leader of its own (its members last
    // heard the old leader say it was idle, so they wait an idle interval
    // longer before campaigning). Healed, the new leader's log overwrites
    // the first put, whose client is then sent to the new leader.
    c.run_with(ms(2_500), &[0, 1]);
    c.run(ms(2_000));
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1);
    assert_ne!(leaders[0], id(0));
    assert_eq!(
        c.answers("first"),
        vec![(id(0), Answer::Redirect(leaders[0]))]
    );
}

#[test]
fn replicas_that_reach_a_majority_hold_their_clients_for_the_next_leader() {
    let mut c = Cluster::led_by_0(5);
    c.crash(0);
    // Past the window in which 1 trusts its idle leader's last contact.
    c.run(ms(1_500));
    c.get(1, "g", "k");
    // The four survivors answer each other's rounds: none takes itself for
    // cut off, so the get waits for the new leader, not a random replica.
    let waited = run_with_until_answered(&mut c, &[], "g", 5_000);
    assert!(waited.is_some(), "no leader within five seconds");
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1);
    let answer = if leaders[0] == id(1) {
        Answer::Read(String::new())
    } else {
        Answer::Redirect(leaders[0])
    };
    assert_eq!(c.answers("g"), vec![(id(1), answer)]);
}

#[test]
fn with_no_cut_off_hold_a_cut_off_follower_holds_its_clients_until_healed() {
    let mut c = Cluster::led_by_0_with(5, |cfg| cfg.cut_off_hold = None);
    c.run_with(ms(1_500), &[3, 4]);
    c.get(4, "g", "k");
    c.run_with(ms(5_000), &[3, 4]);
    assert!(c.answers("g").is_empty());
    c.run(ms(1_500));
    assert_eq!(c.answers("g"), vec![(id(4), Answer::Redirect(id(0)))]);
}

#[test]
fn an_isolated_leader_steps_down_and_its_unreplicated_put_is_redirected() {
    let mut c = Cluster::new(5);
    c.time_out(0);
    c.settle();
    let old_term = c.node(0).term();

    // The leader is cut off and takes a put it can never commit.
    c.put(0, "stale", "k", "lost");
    c.run_with(ms(5000), &[0]);
    assert_ne!(c.node(0).role(), Role::Leader, "check-quorum deposed it");
    let new_leaders = c.leaders();
    assert_eq!(new_leaders.len(), 1);
    let new_leader = new_leaders[0];
    assert!(c.node(new_leader.0).term() > old_term);
    assert!(
        c.answers("stale").is_empty(),
        "not answered while undecided"
    );

    // Healed: it follows the new leader, its entry is overwritten, and
    // the client is sent to the new leader, once.
    c.run(ms(2000));
    assert_eq!(c.node(0).leader(), Some(new_leader));
    assert_eq!(c.node(0).term(), c.node(new_leader.0).term());
    assert_eq!(
        c.answers("stale"),
        vec![(id(0), Answer::Redirect(new_leader))]
    );
}

/// Check-quorum runs on what arrives, not only when the timer fires: a
/// leader process held up past its deadline handles the answers waiting
/// in its socket before it runs its timers, and must not commit and
/// answer on them as if it still led.
#[test]
fn a_leader_held_up_past_its_check_quorum_deadline_steps_down_before_it_commits() {
    let mut c = Cluster::led_by_0_without_delegation(3);
    c.put(0, "p", "k", "v");
    // The followers store the put at once, but their answers wait two
    // seconds while the leader runs no timer.
    c.deliver(|m| m.src == id(0));
    assert!(!c.in_flight.is_empty());
    c.now += ms(2_000);
    c.deliver(|m| m.dst == id(0));
    assert_eq!(c.node(0).role(), Role::Follower);
    assert!(c.answers("p").is_empty(), "{:?}", c.answers("p"));
}

/// A leader reads alone only within its lease: `lease` from the start of
/// the last round a majority acknowledged, shorter than any election
/// timeout, so that no other leader can have answered a put since
/// (lease.rs). Cut off, the leader still serves a get just before its
/// lease ends, and not just after.
#[test]
fn a_leader_cut_off_reads_alone_until_its_lease_ends_and_not_after() {
    let mut c = Cluster::led_by_0(5);
    c.put(0, "p", "k", "v");
    c.settle();
    // Every message of that round was sent and answered at this instant.
    let acknowledged_at = c.now;
    let lease = c.node(0).config().lease;
    assert!(lease < c.node(0).config().election_timeout);

    // From now on nothing reaches the leader, and nothing leaves it.
    c.now = acknowledged_at + lease - ms(1);
    c.get(0, "g1", "k");
    assert_eq!(c.answers("g1"), vec![(id(0), Answer::Read("v".into()))]);

    c.now = acknowledged_at + lease;
    c.get(0, "g2", "k");
    assert_eq!(c.answers("g2"), vec![], "the lease has ended");
}
