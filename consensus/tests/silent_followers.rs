//! Silent follower stories: resending to only as many followers as the
//! commit needs, probing silent or cut-off ones, pardoning one once, and a
//! new leader choosing the voters it heard and counting the others' silence
//! from when it last heard them. Delegated answers are off here, so the
//! leader answers every put (see `delegated_answers.rs`).

mod common;

use common::*;
use consensus::Answer;
use wire::Body;

/// Five replicas led by 0, which sends each new entry directly (no relay
/// chain) to `eager` followers.
fn led_by_0_sending_directly_to(eager: usize) -> Cluster {
    let mut c = Cluster::with_config(5, |cfg| {
        cfg.relay = false;
        cfg.eager_followers = Some(eager);
    });
    c.time_out(0);
    c.settle();
    assert_eq!(c.leaders(), vec![id(0)]);
    c
}

/// Runs the cluster in 1 ms steps until some replica leads; returns it.
fn run_until_elected(c: &mut Cluster) -> wire::NodeId {
    let mut waited = 0;
    while c.leaders().is_empty() {
        c.run(ms(1));
        waited += 1;
        assert!(waited < 10_000, "nobody was elected");
    }
    c.leaders()[0]
}

/// How many appends `leader` sent that reached `n`.
fn appends_reaching(c: &Cluster, leader: wire::NodeId, n: u16) -> usize {
    c.sent
        .iter()
        .filter(|m| m.src == leader && is_append(m) && reached_by(m).contains(&id(n)))
        .count()
}

#[test]
fn only_as_many_followers_are_resent_to_as_the_commit_still_needs() {
    // Direct sends to three followers, so that the story decides alone
    // which of them answer.
    let mut c = led_by_0_sending_directly_to(3);
    c.now += ms(10);
    let before_put = c.sent.len();
    c.put(0, "p", "k", "v");
    let sent: Vec<wire::NodeId> = c.in_flight.iter().map(|m| m.dst).collect();
    assert_eq!(sent.len(), 3);
    let (answered, lost) = (sent[0], [sent[1], sent[2]]);
    let fourth = (1..5)
        .map(id)
        .find(|n| !sent.contains(n))
        .expect("one follower was not sent the entry");

    // One follower answers; the other two never got the entry.
    c.drop_where(|m| m.dst != answered);
    c.deliver(|_| true);
    c.deliver(|_| true);
    assert!(c.in_flight.is_empty());
    assert!(c.answers("p").is_empty(), "one answer is not a majority");

    // Both are due for a retransmission, but the commit needs one more
    // answer: only one of them is sent the entry again.
    c.time_out(0);
    let resent: Vec<wire::NodeId> = c.in_flight.iter().map(|m| m.dst).collect();
    assert_eq!(resent.len(), 1, "{resent:?}");
    assert!(lost.contains(&resent[0]));
    let postponed = if resent[0] == lost[0] {
        lost[1]
    } else {
        lost[0]
    };

    // That is lost too. The stalled commit widens to the follower never
    // sent the entry, and the postponed one, due again, still waits.
    c.drop_where(|_| true);
    c.time_out(0);
    let widened: Vec<wire::NodeId> = c.in_flight.iter().map(|m| m.dst).collect();
    assert_eq!(widened, vec![fourth]);

    // Its answer commits the entry; the postponed follower gets it with
    // its next turn.
    c.settle();
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
    assert!(c.node(postponed.0).log().last_index() < c.node(0).log().last_index());
    let batches_to_postponed = c.sent[before_put..]
        .iter()
        .filter(|m| m.src == id(0) && m.dst == postponed)
        .filter(|m| matches!(&m.body, Body::Append(a) if !a.entries.is_empty()))
        .count();
    assert_eq!(batches_to_postponed, 1, "sent the entry once, never again");
}

#[test]
fn a_probe_to_a_silent_follower_does_not_hold_up_a_resend_to_a_live_one() {
    let mut c = led_by_0_sending_directly_to(4);
    // 4 goes down; a put later, it is only probed, with the entry after
    // the last one it acknowledged.
    c.crash(4);
    c.put(0, "p0", "k", "v0");
    c.settle();
    c.run(ms(2000));
    assert_eq!(c.answers("p0").len(), 1);

    // The next put goes to every follower, 4 included; only 1 gets it.
    c.put(0, "p1", "k", "v1");
    c.drop_where(|m| m.dst == id(2) || m.dst == id(3));
    c.deliver(|_| true);
    c.deliver(|_| true);
    assert!(c.answers("p1").is_empty(), "one answer is not a majority");

    // 2 and 3 are due for a resend a retransmission timeout later. The
    // send to 4 is recent, but 4 has not answered anything for seconds:
    // it covers nothing, and one of them is sent the entry again on time.
    let sent_at = c.now;
    let mut resent = Vec::new();
    for _ in 0..10 {
        c.time_out(0);
        resent = c
            .in_flight
            .iter()
            .filter(|m| is_append(m))
            .map(|m| m.dst)
            .collect();
        if !resent.is_empty() {
            break;
        }
    }
    assert!(c.now <= sent_at + ms(2), "resent at {:?}", c.now - sent_at);
    assert_eq!(resent.len(), 1, "{resent:?}");
    assert!([id(2), id(3)].contains(&resent[0]));
    c.settle();
    assert_eq!(
        c.answers("p1"),
        vec![(id(0), Answer::Committed("v1".into()))]
    );
}

#[test]
fn a_live_follower_is_not_given_up_on_while_the_commit_needs_it() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    // 3 and 4 go down; from now on every commit needs both 1 and 2.
    c.crash(3);
    c.crash(4);
    c.put(0, "p0", "k", "v0");
    c.run(ms(2000));
    assert_eq!(c.answers("p0").len(), 1);

    // The next put and its first four resends to 1 and 2 are all lost
    // (sent at 0, 2, 6 and 14 ms): bad luck, not a crash.
    c.put(0, "p1", "k", "v1");
    c.run_losing(ms(20), |m| m.src == id(0) && is_append(m));
    assert!(c.answers("p1").is_empty());

    // They keep being resent at the doubling pace (the next at 30 ms), not
    // once a heartbeat interval as if they were down.
    c.run(ms(30));
    assert_eq!(
        c.answers("p1"),
        vec![(id(0), Answer::Committed("v1".into()))]
    );
}

#[test]
fn a_follower_that_went_silent_is_pardoned_once_then_only_probed() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    c.crash(4);
    for i in 0..20 {
        c.put(0, &format!("p{i}"), "k", &format!("v{i}"));
        c.run(ms(20));
    }
    for i in 0..20 {
        let answer = Answer::Committed(format!("v{i}"));
        assert_eq!(c.answers(&format!("p{i}")), vec![(id(0), answer)]);
    }
    // A missing answer for entries committed without the follower is
    // overlooked once, which may put it in one more chain (and that
    // chain's retry); after that it is only probed, never chained.
    let chains_through_4 = c
        .sent
        .iter()
        .filter(|m| matches!(&m.body, Body::Append(a) if a.relay.is_some()))
        .filter(|m| m.src == id(0) && reached_by(m).contains(&id(4)))
        .count();
    assert!(chains_through_4 <= 4, "{chains_through_4} chains through 4");
    let probes = c
        .sent
        .iter()
        .filter(|m| m.dst == id(4) && matches!(&m.body, Body::Append(a) if a.relay.is_none()))
        .count();
    assert!(probes > 0, "the silent follower is still probed");
}

#[test]
fn a_new_leader_chains_its_first_puts_through_the_voters_it_heard() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    // The leader and follower 4 go down. 4 has the highest id, so among
    // followers that all look alike a new leader would put it first.
    c.crash(0);
    c.crash(4);
    let leader = run_until_elected(&mut c);
    let voters: std::collections::BTreeSet<_> = [1, 2, 3]
        .map(id)
        .into_iter()
        .filter(|&n| n != leader)
        .collect();

    // A put in the very millisecond of the election: neither 0 nor 4 has
    // been silent for long, but neither answered the vote request.
    c.put(leader.0, "p", "k", "v");
    let reached: std::collections::BTreeSet<_> = c
        .in_flight
        .iter()
        .filter(|m| is_append(m))
        .flat_map(reached_by)
        .collect();
    assert_eq!(reached, voters, "the put goes to the replicas that voted");

    // It commits at once, with no retransmission.
    c.settle();
    assert_eq!(
        c.answers("p"),
        vec![(leader, Answer::Committed("v".into()))]
    );
}

#[test]
fn a_new_leader_probes_the_leader_that_died_once_a_second_from_the_start() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    c.crash(0);
    c.sent.clear();
    let leader = run_until_elected(&mut c);
    // Its successor last heard from 0 an election timeout ago or more
    // (1.2 s at least), so 0 has been silent that long already: it is
    // probed at once, then a second later, not every heartbeat interval
    // (at once, 400 and 800 ms in, then a second later).
    c.run(ms(1_500));
    assert_eq!(c.leaders(), vec![leader]);
    assert_eq!(appends_reaching(&c, leader, 0), 2);
}

#[test]
fn a_new_leader_probes_a_replica_dead_for_long_only_every_few_seconds() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    // Puts go along relay chains, so the followers hear from one another.
    for i in 0..8 {
        c.put(0, &format!("p{i}"), "k", "v");
        c.settle();
    }
    c.crash(4);
    c.run(ms(8_000));
    c.crash(0);
    c.sent.clear();
    let leader = run_until_elected(&mut c);
    // 4 has been silent for nine seconds or more: the new leader probes
    // it at once and then every four seconds, as its predecessor did,
    // not every 400 ms and then every second all over again (nine times
    // in six seconds).
    c.run(ms(6_000));
    assert_eq!(c.leaders(), vec![leader]);
    assert_eq!(appends_reaching(&c, leader, 4), 2);
}

#[test]
fn a_follower_silent_for_long_is_probed_only_every_few_seconds() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    c.crash(4);
    // Puts keep flowing for half a minute; 4 never answers again.
    for i in 0..120 {
        c.put(0, &format!("p{i}"), "k", &format!("v{i}"));
        c.run(ms(250));
        if i == 27 {
            // 7 s after the crash: past the long silence (6 s).
            c.sent.clear();
        }
    }
    assert_eq!(c.leaders(), vec![id(0)]);
    let probes = appends_reaching(&c, id(0), 4);
    // Every four seconds over the last 23: not once a second (23 probes).
    assert!((5..=7).contains(&probes), "{probes} probes in 23 seconds");
    for i in 0..120 {
        let answer = Answer::Committed(format!("v{i}"));
        assert_eq!(c.answers(&format!("p{i}")), vec![(id(0), answer)]);
    }
}

#[test]
fn a_cut_off_follower_is_probed_rarely_and_contacted_at_once_when_it_asks_for_votes() {
    let mut c = Cluster::led_by_0_without_delegation(5);

    // Replica 4 is cut off while puts keep flowing for ten seconds.
    for i in 0..40 {
        c.put(0, &format!("p{i}"), "k", &format!("v{i}"));
        c.run_with(ms(250), &[4]);
        if i == 15 {
            c.sent.clear();
        }
    }
    assert_eq!(c.leaders(), vec![id(0)]);
    // Silent for seconds by then, it is probed once a second, not at
    // every heartbeat interval (which would be 15 contacts in six seconds).
    let probes = appends_reaching(&c, id(0), 4);
    assert!(
        (1..=7).contains(&probes),
        "{probes} contacts in six seconds"
    );

    // Healed: its next election attempt reaches the leader, which refuses
    // the vote and contacts it in the same step.
    c.sent.clear();
    c.time_out(4);
    c.deliver(|m| m.src == id(4) && m.dst == id(0));
    let contact = c
        .in_flight
        .iter()
        .any(|m| m.src == id(0) && m.dst == id(4) && is_append(m));
    assert!(contact, "the leader answers a vote request with a contact");
    c.settle();
    assert_eq!(c.node(4).leader(), Some(id(0)));
    let caught_up = c.node(4).log().last_index() == c.node(0).log().last_index();
    assert!(caught_up, "it catches up without waiting for a probe");
}

#[test]
fn a_leader_cut_off_in_a_minority_probes_the_far_side_instead_of_resending() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    let far_side = [2, 3, 4];

    // A partition leaves the leader with follower 1 alone, and clients
    // still reach it: a put arrives every 100 ms for the next second,
    // until just before check-quorum would depose it.
    c.sent.clear();
    for i in 0..10 {
        c.put(0, &format!("p{i}"), "k", &format!("v{i}"));
        c.run_with(ms(100), &far_side);
    }
    assert_eq!(c.leaders(), vec![id(0)], "not yet deposed");
    assert!(c.answers("p0").is_empty(), "nothing can commit");

    // The three went quiet together: after five missed resends each is
    // only probed, once a heartbeat interval (eight sends in the second),
    // not resent to at the doubling pace (2, 4, 8 ... 256 ms: ten).
    for n in far_side {
        let sends = appends_reaching(&c, id(0), n);
        assert!(sends <= 8, "{sends} sends to {n} in a second");
    }
    // Follower 1 still answers, and gets every put.
    assert_eq!(c.node(1).log().last_index(), c.node(0).log().last_index());

    // Healed, every put is answered once: committed, or redirected by a
    // leader that check-quorum deposed in the meantime.
    c.run(ms(5000));
    for i in 0..10 {
        let answered = c.answers(&format!("p{i}"));
        assert_eq!(answered.len(), 1, "p{i}: {answered:?}");
    }
}
