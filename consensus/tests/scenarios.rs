//! Scenario tests: small stories of a cluster, told one message at a time.

mod common;

use common::*;
use consensus::{Answer, Role};
use wire::Body;

/// Delivers everything except what `lost` says is lost, until quiet.
fn settle_losing(c: &mut Cluster, lost: impl Fn(&Msg) -> bool) {
    loop {
        c.drop_where(&lost);
        if c.deliver(|_| true) == 0 {
            return;
        }
    }
}

/// How many vote requests (real or pre-vote) `from` sent `to`.
fn vote_requests(c: &Cluster, from: u16, to: u16) -> usize {
    c.sent
        .iter()
        .filter(|m| m.src == id(from) && m.dst == id(to))
        .filter(|m| matches!(m.body, Body::VoteRequest(_)))
        .count()
}

/// Involves replica `n`, as sender or receiver.
fn touches(m: &Msg, n: u16) -> bool {
    m.src == id(n) || m.dst == id(n)
}

#[test]
fn a_candidate_wins_then_serves_a_put_and_a_get() {
    let mut c = Cluster::led_by_0(3);
    assert_eq!(c.node(1).leader(), Some(id(0)));

    c.put(0, "p1", "k", "v");
    c.settle();
    assert_eq!(
        c.answers("p1"),
        vec![(id(0), Answer::Committed("v".into()))]
    );

    c.get(0, "g1", "k");
    assert_eq!(c.answers("g1"), vec![(id(0), Answer::Read("v".into()))]);
    c.get(0, "g2", "never-written");
    assert_eq!(c.answers("g2"), vec![(id(0), Answer::Read(String::new()))]);

    c.get(1, "g3", "k");
    assert_eq!(c.answers("g3"), vec![(id(1), Answer::Redirect(id(0)))]);
}

/// The followers an append reaches: its receiver and, for a relayed
/// batch, everyone further down the chain.
fn reached_by(m: &Msg) -> Vec<wire::NodeId> {
    let mut reached = vec![m.dst];
    if let Body::Append(a) = &m.body {
        reached.extend(a.relay.iter().flat_map(|r| r.path.iter().copied()));
    }
    reached
}

#[test]
fn new_entries_rotate_through_the_followers_so_all_hear_from_the_leader() {
    let mut c = Cluster::led_by_0(5);

    let mut reached = std::collections::BTreeSet::new();
    for i in 0..4 {
        c.now += ms(10);
        let mid = format!("p{i}");
        c.put(0, &mid, "k", &format!("v{i}"));
        let sent: Vec<_> = c
            .in_flight
            .iter()
            .filter(|m| is_append(m))
            .flat_map(reached_by)
            .collect();
        assert_eq!(
            sent.len(),
            2,
            "put {i} goes to just enough followers for a majority"
        );
        reached.extend(sent);
        c.settle();
        let answers = c.answers(&mid);
        assert_eq!(answers.len(), 1);
        assert!(matches!(answers[0], (n, Answer::Committed(_)) if n == id(0)));
    }
    assert_eq!(
        reached.len(),
        4,
        "consecutive puts reach every follower in turn"
    );
}

#[test]
fn a_put_travels_a_relay_chain_and_commits_in_three_messages() {
    let mut c = Cluster::led_by_0(5);
    c.now += ms(10);
    c.put(0, "p", "k", "v");

    // The leader sends one batch, to the head of the chain.
    assert_eq!(c.in_flight.len(), 1);
    let first = c.in_flight[0].clone();
    let Body::Append(a) = &first.body else {
        panic!("expected an append, got {first:?}");
    };
    let relay = a.relay.as_ref().expect("a relayed batch");
    assert_eq!((first.src, relay.path.len()), (id(0), 1));
    let (head, tail) = (first.dst, relay.path[0]);

    // The head stores it and passes it on with its result.
    c.deliver(|_| true);
    assert_eq!(c.in_flight.len(), 1);
    let second = c.in_flight[0].clone();
    assert_eq!((second.src, second.dst), (head, tail));
    let Body::Append(a) = &second.body else {
        panic!("expected an append, got {second:?}");
    };
    let reports = &a.relay.as_ref().expect("still relayed").reports;
    assert_eq!(reports.len(), 1);
    assert!(reports[0].follower == head && reports[0].success);
    assert!(c.answers("p").is_empty(), "nothing is committed yet");

    // The tail answers the leader for both; the leader commits and answers.
    c.deliver(|_| true);
    assert_eq!(c.in_flight.len(), 1);
    assert_eq!((c.in_flight[0].src, c.in_flight[0].dst), (tail, id(0)));
    c.deliver(|_| true);
    assert!(c.in_flight.is_empty(), "three messages in all");
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
    assert_eq!(c.node(0).commit_index(), c.node(0).log().last_index());
}

#[test]
fn a_burst_of_puts_handed_over_together_travels_as_one_batch() {
    let mut c = Cluster::led_by_0(5);
    let burst = c.put_burst_of_one_key(0, 8);

    // One relay chain carries all eight entries.
    assert_eq!(c.in_flight.len(), 1);
    let Body::Append(batch) = &c.in_flight[0].body else {
        panic!("expected an append, got {:?}", c.in_flight[0].body);
    };
    assert!(batch.relay.is_some());
    assert_eq!(batch.entries.len(), 8);

    // Three messages commit them all, and every put is answered once.
    c.deliver(|_| true);
    c.deliver(|_| true);
    c.deliver(|_| true);
    assert!(c.in_flight.is_empty(), "three messages in all");
    for (mid, v) in &burst {
        assert_eq!(c.answers(mid), vec![(id(0), Answer::Committed(v.clone()))]);
    }
}

/// Five replicas led by 0, which has just sent put "p" (k = v) along a
/// relay chain: returns the cluster, the chain's head and its tail.
fn led_by_0_with_a_put_on_its_chain() -> (Cluster, wire::NodeId, wire::NodeId) {
    let mut c = Cluster::led_by_0(5);
    c.now += ms(10);
    c.put(0, "p", "k", "v");
    let head = c.in_flight[0].dst;
    let tail = reached_by(&c.in_flight[0])[1];
    (c, head, tail)
}

#[test]
fn a_broken_chain_is_tried_once_more_then_widened_along_a_new_chain() {
    let (mut c, head, tail) = led_by_0_with_a_put_on_its_chain();
    let from_leader = |c: &Cluster| -> Vec<Msg> {
        c.in_flight
            .iter()
            .filter(|m| m.src == id(0) && is_append(m))
            .cloned()
            .collect()
    };

    // The head stores the batch, but what it passes on is lost.
    c.deliver(|_| true);
    c.drop_where(|m| m.src == head);
    assert!(c.in_flight.is_empty());

    // The first retransmission goes along the chain again, backwards
    // (`chain_repair.rs`), and is lost too.
    c.time_out(0);
    let resent = from_leader(&c);
    assert_eq!(resent.len(), 1);
    assert_eq!(reached_by(&resent[0]), vec![tail, head]);
    c.drop_where(|_| true);

    // Next the stalled commit widens to the two followers that were never
    // sent the entry, along a chain of their own; their answer commits it.
    c.time_out(0);
    let widened: Vec<Msg> = from_leader(&c);
    assert_eq!(widened.len(), 1, "{widened:?}");
    let reached = reached_by(&widened[0]);
    assert_eq!(reached.len(), 2);
    assert!(!reached.contains(&head) && !reached.contains(&tail));
    assert!(matches!(&widened[0].body, Body::Append(a) if a.relay.is_some()));
    c.settle();
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
    let last = c.node(0).log().last_index();
    assert_eq!(c.node(0).commit_index(), last);

    // The commit no longer needs the chain's followers, so when their
    // retransmission comes due the leader sends nothing: the entry waits
    // for their next turn, and the next put's chain catches them up.
    c.time_out(0);
    assert!(
        from_leader(&c).is_empty(),
        "a committed entry is not resent"
    );
    assert!(c.node(tail.0).log().last_index() < last);
    c.put(0, "q", "k", "w");
    let next_turn = from_leader(&c);
    assert_eq!(next_turn.len(), 1);
    let mut reached = reached_by(&next_turn[0]);
    reached.sort();
    let mut expected = vec![head, tail];
    expected.sort();
    assert_eq!(reached, expected);
    c.settle();
    assert_eq!(c.answers("q"), vec![(id(0), Answer::Committed("w".into()))]);
    for n in [head, tail] {
        let log = c.node(n.0).log().last_index();
        assert_eq!(log, last + 1, "{n:?} has both entries");
    }
}

#[test]
fn a_chain_whose_last_answer_was_lost_is_repaired_in_two_messages() {
    let (mut c, head, tail) = led_by_0_with_a_put_on_its_chain();
    let sent_at = |m: &Msg| match &m.body {
        Body::Append(a) => a.sent_at,
        other => panic!("expected an append, got {other:?}"),
    };
    let first_sent_at = sent_at(&c.in_flight[0]);

    // Both followers store the batch; the tail's answer is lost.
    c.deliver(|_| true);
    c.deliver(|_| true);
    c.drop_where(|m| m.src == tail);
    assert!(c.in_flight.is_empty());
    assert!(c.answers("p").is_empty());

    // The leader resends along the chain backwards: to the tail first.
    c.now += ms(3);
    c.time_out(0);
    assert_eq!(c.in_flight.len(), 1);
    assert_eq!(reached_by(&c.in_flight[0]), vec![tail, head]);
    assert!(sent_at(&c.in_flight[0]) > first_sent_at);

    // The tail holds the head's result for these very entries, so it
    // answers for both at once; the head's result keeps the first
    // batch's date, which is all the leader may count for its lease.
    c.deliver(|_| true);
    assert_eq!(c.in_flight.len(), 1);
    let answer = c.in_flight[0].clone();
    assert_eq!((answer.src, answer.dst), (tail, id(0)));
    let Body::AppendResponse(r) = &answer.body else {
        panic!("expected an answer, got {answer:?}");
    };
    assert_eq!(r.relayed.len(), 1);
    assert_eq!(r.relayed[0].follower, head);
    assert_eq!(r.relayed[0].sent_at, Some(first_sent_at));

    // Two messages repaired it: the put commits and is answered once.
    c.deliver(|_| true);
    assert!(c.in_flight.is_empty(), "{:?}", c.in_flight);
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
    assert_eq!(c.node(0).commit_index(), c.node(0).log().last_index());
}

#[test]
fn a_repair_the_tail_cannot_answer_for_is_passed_on_as_usual() {
    let (mut c, head, tail) = led_by_0_with_a_put_on_its_chain();

    // The head's hand-over to the tail is lost: the tail never saw the
    // head's result for this batch.
    c.deliver(|_| true);
    c.drop_where(|m| m.src == head);

    // The repair reaches the tail first, which passes it on to the head;
    // the head answers for both: three messages, as a forward chain.
    c.now += ms(3);
    c.time_out(0);
    assert_eq!(reached_by(&c.in_flight[0]), vec![tail, head]);
    c.deliver(|_| true);
    assert_eq!(c.in_flight.len(), 1);
    assert_eq!((c.in_flight[0].src, c.in_flight[0].dst), (tail, head));
    c.deliver(|_| true);
    assert_eq!((c.in_flight[0].src, c.in_flight[0].dst), (head, id(0)));
    c.deliver(|_| true);
    assert!(c.in_flight.is_empty());
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
}

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
    let mut c = Cluster::led_by_0(5);
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
    let mut c = Cluster::led_by_0(5);
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
    let mut c = Cluster::led_by_0(5);
    // The leader and follower 4 go down. 4 has the highest id, so among
    // followers that all look alike a new leader would put it first.
    c.crash(0);
    c.crash(4);
    let mut waited = 0;
    while c.leaders().is_empty() {
        c.run(ms(1));
        waited += 1;
        assert!(waited < 10_000, "nobody was elected");
    }
    let leader = c.leaders()[0];
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
fn a_follower_silent_for_long_is_probed_only_every_few_seconds() {
    let mut c = Cluster::led_by_0(5);
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
    let probes = c
        .sent
        .iter()
        .filter(|m| m.src == id(0) && is_append(m) && reached_by(m).contains(&id(4)))
        .count();
    // Every four seconds over the last 23: not once a second (23 probes).
    assert!((5..=7).contains(&probes), "{probes} probes in 23 seconds");
    for i in 0..120 {
        let answer = Answer::Committed(format!("v{i}"));
        assert_eq!(c.answers(&format!("p{i}")), vec![(id(0), answer)]);
    }
}

#[test]
fn a_cut_off_follower_is_probed_rarely_and_contacted_at_once_when_it_asks_for_votes() {
    let mut c = Cluster::led_by_0(5);
    let to_4 = |c: &Cluster| {
        c.sent
            .iter()
            .filter(|m| m.src == id(0) && is_append(m) && reached_by(m).contains(&id(4)))
            .count()
    };

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
    let probes = to_4(&c);
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
fn with_relay_off_a_put_goes_to_two_followers_directly() {
    let mut c = Cluster::with_config(5, |cfg| cfg.relay = false);
    c.time_out(0);
    c.settle();
    c.now += ms(10);
    c.put(0, "p", "k", "v");
    let direct: Vec<&Msg> = c.in_flight.iter().filter(|m| is_append(m)).collect();
    assert_eq!(direct.len(), 2);
    assert!(direct
        .iter()
        .all(|m| matches!(&m.body, Body::Append(a) if a.relay.is_none())));
    c.settle();
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
}

#[test]
fn heartbeat_answers_lost_in_one_round_make_the_leader_ask_everyone_next() {
    let mut c = Cluster::led_by_0(5);
    let quiet = |m: &Msg| matches!(&m.body, Body::Append(a) if a.quiet);
    // A get before each round keeps the leader busy (an idle one asks no
    // follower to answer); the lease holds, so each is served locally.
    let busy_round = |c: &mut Cluster, mid: &str| {
        c.get(0, mid, "k");
        assert_eq!(c.answers(mid), vec![(id(0), Answer::Read(String::new()))]);
        c.time_out(0);
    };

    // A round with no entries to send: only a majority's worth of
    // followers is asked to answer.
    busy_round(&mut c, "g1");
    let appends = c.in_flight.iter().filter(|m| is_append(m)).count();
    let asked = c
        .in_flight
        .iter()
        .filter(|m| is_append(m) && !quiet(m))
        .count();
    assert_eq!((appends, asked), (4, 2));

    // Their answers are lost.
    c.deliver(is_append);
    c.drop_where(|m| matches!(m.body, Body::AppendResponse(_)));

    // The next round asks every follower, so one more lost answer cannot
    // cost the leader its office through check-quorum.
    busy_round(&mut c, "g2");
    let appends: Vec<&Msg> = c.in_flight.iter().filter(|m| is_append(m)).collect();
    assert_eq!(appends.len(), 4);
    assert!(
        appends.iter().all(|m| !quiet(m)),
        "every follower is asked to answer"
    );
    c.settle();
    assert_eq!(c.leaders(), vec![id(0)]);

    // Once a round renews the contact, quiet rounds resume.
    busy_round(&mut c, "g3");
    let asked = c
        .in_flight
        .iter()
        .filter(|m| is_append(m) && !quiet(m))
        .count();
    assert_eq!(asked, 2);
}

#[test]
fn an_idle_leader_asks_for_no_answers_and_serves_the_next_get_after_one_round() {
    let mut c = Cluster::led_by_0(5);
    c.sent.clear();

    // Ten seconds without a client request: followers keep hearing from
    // the leader, nobody answers, nobody campaigns.
    c.run(ms(10_000));
    assert_eq!(c.leaders(), vec![id(0)]);
    let answers = c
        .sent
        .iter()
        .filter(|m| matches!(m.body, Body::AppendResponse(_)))
        .count();
    let contacts = c.sent.iter().filter(|m| is_append(m)).count();
    assert_eq!(answers, 0, "every periodic contact is quiet");
    // Once a second, not every heartbeat interval (25 a follower).
    assert!(
        (4 * 9..=4 * 11).contains(&contacts),
        "{contacts} contacts in ten seconds"
    );
    assert!(c.sent.iter().all(is_append), "no election");
    let says_idle = |m: &Msg| matches!(&m.body, Body::Append(a) if a.idle);
    assert!(c.sent.iter().all(says_idle), "each contact says it is idle");

    // A get finds the lease lapsed: one round of answers renews it.
    c.sent.clear();
    c.get(0, "g", "k");
    assert!(c.answers("g").is_empty(), "not served without a lease");
    c.run(ms(10));
    assert_eq!(c.answers("g"), vec![(id(0), Answer::Read(String::new()))]);
    assert!(c
        .sent
        .iter()
        .any(|m| matches!(m.body, Body::AppendResponse(_))));
}

/// Five replicas led by 0 with `idle_after` set as given, whose client
/// reads every 900 ms and then stops. Checks that every read after the
/// first is served at once from a fresh lease, and returns how many
/// answers the leader's contacts drew after the last read.
fn answers_after_a_reader_stops(idle_after: Option<std::time::Duration>) -> usize {
    let mut c = Cluster::led_by_0_with(5, |cfg| cfg.idle_after = idle_after);
    c.run(ms(3_000));

    // The first read finds the leader idle and renews the lapsed lease;
    // each later read finds the lease fresh, idle in between or not.
    c.get(0, "g0", "k");
    c.run(ms(10));
    assert_eq!(c.answers("g0").len(), 1);
    for i in 1..6 {
        c.run(ms(890));
        let mid = format!("g{i}");
        c.get(0, &mid, "k");
        assert_eq!(
            c.answers(&mid),
            vec![(id(0), Answer::Read(String::new()))],
            "read {i} served from a fresh lease"
        );
        c.run(ms(10));
    }

    // Once the leader is idle, its contacts are quiet and say so.
    c.sent.clear();
    c.run(ms(3_000));
    let last_contacts: Vec<&Msg> = c
        .sent
        .iter()
        .filter(|m| is_append(m))
        .rev()
        .take(4)
        .collect();
    assert!(last_contacts
        .iter()
        .all(|m| matches!(&m.body, Body::Append(a) if a.idle && a.quiet)));
    c.sent
        .iter()
        .filter(|m| matches!(m.body, Body::AppendResponse(_)))
        .count()
}

#[test]
fn a_leader_keeps_its_lease_fresh_for_idle_after_its_last_request() {
    // By default a leader stays busy for an election timeout after the
    // last request: three rounds of answers, a majority's worth each.
    assert_eq!(answers_after_a_reader_stops(None), 6);
    // Set shorter than that but longer than a heartbeat interval, one
    // round renews the lease after each request, which is enough for a
    // client that asks more often than once a lease (`Config::idle_after`).
    assert_eq!(answers_after_a_reader_stops(Some(ms(600))), 2);
}

#[test]
fn a_follower_redirects_to_its_idle_leader_between_its_contacts() {
    let mut c = Cluster::led_by_0(5);
    c.run(ms(3_000));
    // Just after the idle leader's contact reaches follower 1 (once a
    // second) ...
    let contacted = (0..200).any(|_| {
        c.sent.clear();
        c.run(ms(10));
        c.sent.iter().any(|m| m.dst == id(1) && is_append(m))
    });
    assert!(contacted, "no contact to follower 1 in two seconds");
    // ... and 700 ms on, longer than a busy leader would go without
    // contacting it, but well within the idle leader's second: a client's
    // request is redirected to the leader at once, not held.
    c.run(ms(700));
    c.get(1, "g", "k");
    assert_eq!(c.answers("g"), vec![(id(1), Answer::Redirect(id(0)))]);
}

#[test]
fn an_idle_leaders_followers_wait_for_it_longer_and_lose_a_contact_without_campaigning() {
    let mut c = Cluster::led_by_0(5);
    c.run(ms(3_000));
    c.sent.clear();

    // The next contact to each follower is lost. Its timer was started by
    // an idle contact, so it runs for at least the idle interval plus an
    // election timeout: the contact after the lost one arrives in time.
    lose_the_next_contact_to_each_follower_and_see_nobody_campaign(&mut c);
}

/// Runs `c`, led by 0, for ten seconds, losing the leader's next contact
/// to each follower, and checks that nobody campaigned.
fn lose_the_next_contact_to_each_follower_and_see_nobody_campaign(c: &mut Cluster) {
    let mut missed = std::collections::BTreeSet::new();
    c.run_losing(ms(10_000), |m| {
        m.src == id(0) && is_append(m) && missed.insert(m.dst)
    });
    assert_eq!(missed.len(), 4, "one contact to each follower was lost");
    assert!(c.sent.iter().all(is_append), "nobody campaigned");
    assert_eq!(c.leaders(), vec![id(0)]);
}

#[test]
fn a_new_leaders_followers_lose_its_first_idle_contact_without_campaigning() {
    // A leader elected before any client asks goes idle as soon as its
    // first entry commits, and its next contact comes an idle interval
    // later. So its very first contacts already say it is idle ...
    let mut c = Cluster::led_by_0(5);
    let first_contacts: Vec<&Msg> = c.sent.iter().filter(|m| is_append(m)).collect();
    assert!(!first_contacts.is_empty());
    assert!(first_contacts
        .iter()
        .all(|m| matches!(&m.body, Body::Append(a) if a.idle)));

    // ... and a follower that then misses the next contact still hears
    // the one after it before its timer runs out.
    c.sent.clear();
    lose_the_next_contact_to_each_follower_and_see_nobody_campaign(&mut c);
}

#[test]
fn a_lost_vote_answer_is_asked_for_again_at_once_and_the_round_still_wins() {
    let mut c = Cluster::led_by_0(5);
    c.crash(0);
    // The follower whose timer fires first rehearses; one of the others is
    // cut off, so it needs both remaining voters.
    let mut followers: Vec<u16> = (1..5).collect();
    followers.sort_by_key(|&n| c.node(n).next_deadline());
    let (candidate, unlucky, cut) = (followers[0], followers[1], followers[3]);
    let cut_off = move |m: &Msg| touches(m, cut);
    c.time_out(candidate);
    let started = c.now;
    c.drop_where(cut_off);
    c.deliver(|_| true);
    // Both reachable voters grant the pre-vote, but one answer is lost:
    // with the other, that is two of the three needed.
    c.drop_where(|m| m.src == id(unlucky));
    c.deliver(|_| true);
    assert_eq!(c.node(candidate).role(), Role::PreCandidate);

    // A few milliseconds later it asks again, only those that did not answer.
    c.sent.clear();
    c.time_out(candidate);
    assert!(
        c.now - started < ms(10),
        "asked again at {:?}",
        c.now - started
    );
    let mut asked: Vec<u16> = c.sent.iter().map(|m| m.dst.0).collect();
    asked.sort();
    let mut silent = vec![0, unlucky, cut];
    silent.sort();
    assert_eq!(asked, silent);
    assert!(c
        .sent
        .iter()
        .all(|m| matches!(m.body, Body::VoteRequest(_))));

    // The voter answers this time; the election then runs as usual.
    settle_losing(&mut c, cut_off);
    assert_eq!(c.leaders(), vec![id(candidate)]);
    assert!(
        c.now - started < ms(10),
        "no election timeout was waited out"
    );
}

#[test]
fn the_first_election_skips_the_rehearsal() {
    let mut c = Cluster::new(5);
    c.time_out(0);
    assert_eq!(c.node(0).role(), Role::Candidate);
    assert_eq!(c.node(0).term(), 1);
    assert!(c
        .sent
        .iter()
        .all(|m| matches!(&m.body, Body::VoteRequest(r) if !r.pre_vote)));
    c.settle();
    assert_eq!(c.leaders(), vec![id(0)]);
    let votes = c
        .sent
        .iter()
        .filter(|m| matches!(m.body, Body::VoteRequest(_) | Body::VoteResponse(_)))
        .count();
    assert_eq!(votes, 8, "four requests, four answers");

    // Later elections rehearse as usual.
    c.crash(0);
    c.sent.clear();
    c.time_out(1);
    assert_eq!(c.node(1).role(), Role::PreCandidate);
    assert_eq!(c.node(1).term(), 1);
}

#[test]
fn a_replica_that_never_heard_of_a_leader_campaigns_for_term_1_and_deposes_no_one() {
    let mut c = Cluster::new(5);
    // Replica 4 is cut off from the start; the others elect 0 in term 1.
    c.time_out(0);
    c.settle_with(&[4]);
    assert_eq!(c.leaders(), vec![id(0)]);

    // 4 campaigns without a rehearsal, for term 1, and then only rehearses.
    c.run_with(ms(5000), &[4]);
    let asked = c.sent.iter().filter(|m| m.src == id(4));
    assert!(asked
        .clone()
        .any(|m| matches!(&m.body, Body::VoteRequest(r) if !r.pre_vote && r.term == 1)));
    assert!(asked.clone().all(|m| match &m.body {
        Body::VoteRequest(r) => r.term == 1 || r.pre_vote,
        _ => true,
    }));

    // Healed, it follows the leader it never heard of, in the same term.
    c.run(ms(3000));
    assert_eq!(c.leaders(), vec![id(0)]);
    assert_eq!(c.node(4).leader(), Some(id(0)));
    for n in 0..5 {
        assert_eq!(c.node(n).term(), 1, "replica {n}");
    }
}

#[test]
fn a_candidate_asks_a_silent_voter_again_up_to_three_times_and_wins() {
    let mut c = Cluster::led_by_0(5);
    c.crash(0);
    // The follower whose timer fires first campaigns, with one of the
    // others cut off: it needs both remaining voters.
    let mut followers: Vec<u16> = (1..5).collect();
    followers.sort_by_key(|&n| c.node(n).next_deadline());
    let (candidate, voter, cut) = (followers[0], followers[1], followers[3]);
    let term = c.node(candidate).term();
    let real_vote_request_to_voter = |m: &Msg| {
        m.src == id(candidate)
            && m.dst == id(voter)
            && matches!(&m.body, Body::VoteRequest(r) if !r.pre_vote)
    };
    c.sent.clear();
    c.time_out(candidate);
    let started = c.now;
    // The pre-vote wins, so the candidate campaigns; its request for the
    // voter's real vote is lost, and so are the first two times it asks
    // again (5 and 15 ms in). The third (35 ms in) gets through.
    let mut lost = 0;
    c.run_losing(ms(40), |m| {
        if real_vote_request_to_voter(m) && lost < 3 {
            lost += 1;
            return true;
        }
        touches(m, cut)
    });
    let asked = c
        .sent
        .iter()
        .filter(|m| real_vote_request_to_voter(m))
        .count();
    assert_eq!(asked, 4, "asked once, then again three times");
    assert_eq!(c.leaders(), vec![id(candidate)]);
    assert_eq!(
        c.node(candidate).term(),
        term + 1,
        "one election was enough"
    );
    assert!(c.now - started <= ms(40));
}

#[test]
fn a_replica_cut_off_in_a_minority_asks_for_votes_half_as_often() {
    let mut c = Cluster::led_by_0(5);
    // 3 and 4 are cut off together for twenty seconds. Each round of 4's
    // asks 3 once: 3 always answers, so it is never asked again.
    c.sent.clear();
    c.run_with(ms(20_000), &[3, 4]);
    let rounds = vote_requests(&c, 4, 3);
    // Without backing off: a round every 1.2-2.4 s, about eleven.
    assert!(
        (3..=7).contains(&rounds),
        "{rounds} rounds in twenty seconds"
    );
    // Every round asks the peers it cannot reach twice: once, and once
    // more 5 ms later.
    let asked_0 = vote_requests(&c, 4, 0);
    assert_eq!(asked_0, 2 * rounds);
    assert_eq!(c.leaders(), vec![id(0)]);

    // Healed: it hears from the leader again (within a silent probe).
    c.run(ms(1_500));
    assert_eq!(c.node(4).leader(), Some(id(0)));
    assert_eq!(c.node(3).leader(), Some(id(0)));
}

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
fn a_split_vote_elects_nobody_and_a_later_term_elects_one() {
    let mut c = Cluster::with_config(4, |cfg| cfg.pre_vote = false);
    c.time_out(0);
    c.time_out(1);
    assert_eq!((c.node(0).term(), c.node(1).term()), (1, 1));
    // Each candidate reaches one voter first: two votes each, three needed.
    c.deliver(|m| (m.src == id(0) && m.dst == id(2)) || (m.src == id(1) && m.dst == id(3)));
    c.settle();
    assert!(c.leaders().is_empty(), "nobody has a majority in term 1");

    c.run(ms(6000));
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1, "one leader after the retry: {leaders:?}");
    assert!(c.node(leaders[0].0).term() >= 2);
}

#[test]
fn a_replica_refuses_its_vote_to_a_candidate_with_a_staler_log() {
    let mut c = Cluster::new(3);
    c.time_out(0);
    c.settle();
    c.put(0, "p", "k", "v");
    // Only replica 1 receives the new entry (with its next heartbeat).
    c.run_with(ms(500), &[2]);
    assert_eq!(c.node(1).log().last_index(), 2);
    assert_eq!(c.node(2).log().last_index(), 1);
    c.crash(0);
    // Replica 2 campaigns first but its log lacks index 2: 1 refuses.
    c.time_out(2);
    c.settle();
    assert_ne!(c.node(2).role(), Role::Leader);
    c.run(ms(6000));
    assert_eq!(c.leaders(), vec![id(1)], "only the up-to-date log can win");
}

/// Five replicas led by 0, all holding a log of 100 puts, longer than one
/// batch; also returns its last index.
fn led_by_0_with_a_long_log() -> (Cluster, u64) {
    let mut c = Cluster::led_by_0(5);
    for i in 0..100 {
        c.put(0, &format!("p{i}"), "k", &format!("v{i}"));
        c.settle();
    }
    c.run(ms(1000));
    let last = c.node(0).log().last_index();
    assert!(last > 64, "the log spans more than one batch: {last}");
    for n in 1..5 {
        assert_eq!(c.node(n).log().last_index(), last, "replica {n}");
    }
    (c, last)
}

#[test]
fn a_new_leaders_lost_first_append_is_resent_alone_not_with_the_whole_log() {
    let (mut c, last) = led_by_0_with_a_long_log();
    c.crash(0);

    // A new leader is elected (the old one's last contacts said it was
    // idle, so after an idle interval more); its first append to one
    // follower is lost.
    let mut lost_to = None;
    c.run_losing(ms(4500), |m| {
        let new_term_append = matches!(&m.body, Body::Append(a) if a.term > 1);
        if lost_to.is_none() && new_term_append && m.dst != id(0) {
            lost_to = Some(m.dst);
            return true;
        }
        false
    });
    let lost_to = lost_to.expect("the new leader sent appends");
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1);
    let leader = leaders[0];

    // Every follower already held the old log, so the resend (and every
    // probe of the crashed replica) carries only the new term's first
    // entry, never the log from index 1.
    let largest = c
        .sent
        .iter()
        .filter(|m| m.src == leader)
        .filter_map(|m| match &m.body {
            Body::Append(a) if a.term > 1 => Some(a.entries.len()),
            _ => None,
        })
        .max();
    assert_eq!(largest, Some(1));
    assert_eq!(c.log_terms(lost_to.0), c.log_terms(leader.0));
    assert_eq!(c.node(lost_to.0).log().last_index(), last + 1);
}

/// True for a follower's rejection of an append.
fn is_rejection(m: &Msg) -> bool {
    matches!(&m.body, Body::AppendResponse(r) if !r.success)
}

/// Three replicas led by 0, which sends each new entry directly to both
/// followers. Follower 1 misses the first of three puts, so it rejects
/// the batches of the other two; the rejections are on their way back.
fn two_rejections_on_their_way() -> Cluster {
    let mut c = Cluster::led_by_0_with(3, |cfg| {
        cfg.relay = false;
        cfg.eager_followers = Some(2);
    });
    c.put(0, "p1", "k", "v1");
    c.drop_where(|m| m.dst == id(1));
    c.put(0, "p2", "k", "v2");
    c.put(0, "p3", "k", "v3");
    c.deliver(|m| m.dst == id(2));
    c.deliver(|m| m.dst == id(0));
    assert_eq!(c.answers("p3").len(), 1, "follower 2 commits all three");
    assert_eq!(c.deliver(|m| m.dst == id(1)), 2);
    assert_eq!(c.in_flight.iter().filter(|m| is_rejection(m)).count(), 2);
    c.now += ms(1);
    c
}

/// The appends replica 0 sent follower 1 from `from` on in `c.sent`.
fn appends_to_1(c: &Cluster, from: usize) -> usize {
    c.sent[from..]
        .iter()
        .filter(|m| m.src == id(0) && m.dst == id(1) && is_append(m))
        .count()
}

#[test]
fn rejections_of_batches_sent_before_a_resend_send_nothing_again() {
    let mut c = two_rejections_on_their_way();

    // Both rejections arrive together: the first brings one resend of
    // everything follower 1 lacks; the second, of a batch sent before
    // that resend, brings nothing.
    let before = c.sent.len();
    assert_eq!(c.deliver(is_rejection), 2);
    assert_eq!(appends_to_1(&c, before), 1);
    c.settle();
    assert_eq!(appends_to_1(&c, before), 1);
    assert_eq!(c.log_terms(1), c.log_terms(0));
}

#[test]
fn a_rejection_older_than_an_acknowledgement_sends_nothing_again() {
    let mut c = Cluster::led_by_0(2);

    // Follower 1 misses the first put and rejects the second's batch.
    c.put(0, "p1", "k", "v1");
    c.drop_where(|m| m.dst == id(1));
    c.put(0, "p2", "k", "v2");
    c.deliver(|m| m.dst == id(1));
    assert_eq!(c.in_flight.iter().filter(|m| is_rejection(m)).count(), 1);

    // Before the rejection arrives, the retransmission timer resends both
    // entries, and the follower acknowledges them.
    c.time_out(0);
    assert_eq!(c.deliver(|m| m.dst == id(1) && is_append(m)), 1);
    c.deliver(|m| m.dst == id(0) && !is_rejection(m));
    assert_eq!(c.log_terms(1), c.log_terms(0));
    assert_eq!(c.answers("p2").len(), 1);

    // The rejection is older than that acknowledgement: nothing is sent
    // again.
    let before = c.sent.len();
    assert_eq!(c.deliver(is_rejection), 1);
    assert_eq!(
        appends_to_1(&c, before),
        0,
        "a stale rejection is not acted on"
    );
}

#[test]
fn an_old_leader_back_from_a_partition_is_caught_up_without_its_whole_log() {
    let (mut c, shared) = led_by_0_with_a_long_log();

    // Cut off, the leader takes a put that only it will ever hold; the
    // others elect a successor, which commits puts of its own. Its probes
    // of the old leader, all lost, run ahead of what that replica holds.
    c.put(0, "stale", "k", "lost");
    c.run_with(ms(5000), &[0]);
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1);
    let leader = leaders[0];
    assert_ne!(leader, id(0));
    for i in 0..10 {
        c.put(leader.0, &format!("fresh{i}"), "k", "kept");
        c.run_with(ms(500), &[0]);
    }
    assert_eq!(c.node(0).log().last_index(), shared + 1);

    // Healed: one rejection finds the shared prefix; nothing before it is
    // sent again.
    let sent_before = c.sent.len();
    c.run(ms(3000));
    let resent_from: Vec<u64> = c.sent[sent_before..]
        .iter()
        .filter(|m| m.src == leader && m.dst == id(0))
        .filter_map(|m| match &m.body {
            Body::Append(a) => Some(a.prev_index),
            _ => None,
        })
        .collect();
    assert!(!resent_from.is_empty());
    assert!(
        resent_from.iter().all(|&prev| prev >= shared),
        "appends to the old leader after {resent_from:?}, shared through {shared}"
    );
    assert_eq!(c.log_terms(0), c.log_terms(leader.0));
    assert_eq!(c.answers("stale"), vec![(id(0), Answer::Redirect(leader))]);
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

/// A leader takes a put that reaches a majority, but every answer to it
/// is lost and it is cut off: the put is stored on a majority, unanswered.
/// The others elect one of the followers that hold it. Returns the new
/// leader.
fn put_stranded_by_a_cut_off_leader(c: &mut Cluster, mid: &str, value: &str) -> u16 {
    c.put(0, mid, "k", value);
    settle_losing(c, |m| m.dst == id(0));
    c.run_with(ms(5000), &[0]);
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1);
    assert_ne!(leaders[0], id(0));
    assert!(
        c.answers(mid).is_empty(),
        "its leader never heard it committed"
    );
    leaders[0].0
}

#[test]
fn a_new_leader_answers_a_stranded_put_before_a_read_reveals_it() {
    let mut c = Cluster::led_by_0(5);
    let leader = put_stranded_by_a_cut_off_leader(&mut c, "p", "v");
    assert_eq!(c.node(leader).unconfirmed_writes(), 1);

    // The client reads the key from the new leader: first it is told its
    // put was done, then it gets the value, in that order.
    c.get(leader, "g", "k");
    c.run_with(ms(100), &[0]);
    let order: Vec<&str> = c.replies.iter().map(|(_, r)| r.mid.as_str()).collect();
    assert_eq!(order, ["p", "g"]);
    assert_eq!(
        c.answers("p"),
        vec![(id(leader), Answer::Vouched("v".into()))]
    );
    assert_eq!(c.answers("g"), vec![(id(leader), Answer::Read("v".into()))]);
    assert_eq!(c.node(leader).unconfirmed_writes(), 0, "vouched for once");

    // Healed, the old leader learns of the commit and hands its answer to
    // the new leader, which has given it already: nobody answers twice.
    c.run(ms(3000));
    assert_eq!(c.node(0).last_applied(), c.node(leader).last_applied());
    assert_eq!(c.node(0).pending_requests(), 0, "handed over");
    assert_eq!(
        c.answers("p"),
        vec![(id(leader), Answer::Vouched("v".into()))]
    );
}

#[test]
fn an_old_leader_back_from_a_partition_hands_its_stranded_put_to_the_new_leader() {
    let mut c = Cluster::led_by_0(5);
    let leader = put_stranded_by_a_cut_off_leader(&mut c, "p", "v");

    // Healed, the old leader learns that its put was committed. It does
    // not answer it: it reports it to the new leader, which answers it,
    // once, and tells the old leader so.
    c.run(ms(3000));
    assert_eq!(c.node(0).leader(), Some(id(leader)));
    assert_eq!(c.node(0).last_applied(), c.node(leader).last_applied());
    assert_eq!(
        c.answers("p"),
        vec![(id(leader), Answer::Vouched("v".into()))]
    );
    assert_eq!(c.node(0).pending_requests(), 0, "no longer owed");
    assert_eq!(c.node(leader).unconfirmed_writes(), 0);
}

#[test]
fn two_puts_of_one_key_stranded_together_are_answered_together_in_order() {
    let mut c = Cluster::led_by_0(5);
    c.put(0, "first", "k", "old");
    let leader = put_stranded_by_a_cut_off_leader(&mut c, "second", "new");
    assert_eq!(
        c.node(leader).unconfirmed_writes(),
        1,
        "the first is shadowed"
    );

    // Healed, the old leader owes both. The new leader answers the first
    // only because it answers the second right after: the client ends up
    // believing "new", as the store holds.
    c.run(ms(3000));
    let order: Vec<&str> = c.replies.iter().map(|(_, r)| r.mid.as_str()).collect();
    assert_eq!(order, ["first", "second"]);
    assert_eq!(
        c.answers("second"),
        vec![(id(leader), Answer::Vouched("new".into()))]
    );
    assert_eq!(c.node(0).pending_requests(), 0);
}

/// Whether `m` reports answers owed by an old leader to its leader.
fn reports_owed(m: &Msg) -> bool {
    match &m.body {
        Body::AppendResponse(r) => {
            !r.owed.is_empty() || r.relayed.iter().any(|r| !r.owed.is_empty())
        }
        Body::Append(a) => a
            .relay
            .as_ref()
            .is_some_and(|r| r.reports.iter().any(|r| !r.owed.is_empty())),
        _ => false,
    }
}

#[test]
fn a_put_owed_by_an_old_leader_is_not_answered_after_a_later_put_of_its_key() {
    let mut c = Cluster::led_by_0(5);
    let leader = put_stranded_by_a_cut_off_leader(&mut c, "first", "old");

    // The partition heals, and the old leader learns that its put was
    // committed. Just then, before its report reaches the new leader, the
    // client writes the key again and is told.
    c.run_losing(ms(3000), reports_owed);
    assert_eq!(c.node(0).last_applied(), c.node(leader).last_applied());
    assert_eq!(c.node(0).pending_requests(), 1, "owes the first put");
    c.put(leader, "second", "k", "new");
    c.run_losing(ms(100), reports_owed);
    assert_eq!(
        c.answers("second"),
        vec![(id(leader), Answer::Committed("new".into()))]
    );

    // The report arrives with the old leader's answer to the new leader's
    // next probe: its answers have all been lost for over six seconds, so
    // that may take a long-silence probe interval (four seconds). An `ok`
    // for the first put now would make the client believe "old" is
    // current, so nobody sends one.
    c.run(ms(5000));
    assert!(c.answers("first").is_empty(), "{:?}", c.answers("first"));
    assert_eq!(c.node(0).pending_requests(), 0, "handed over");
}

#[test]
fn an_old_leader_does_not_answer_a_put_that_a_later_answered_put_overtook() {
    let mut c = Cluster::led_by_0(5);
    let leader = put_stranded_by_a_cut_off_leader(&mut c, "first", "old");

    // The client writes the key again through the new leader, and is told.
    c.put(leader, "second", "k", "new");
    c.run_with(ms(100), &[0]);
    assert_eq!(
        c.answers("second"),
        vec![(id(leader), Answer::Committed("new".into()))]
    );

    // Healed, the old leader learns that both are committed. An `ok` for
    // the first now would make the client believe "old" is current, so it
    // stays unanswered.
    c.run(ms(3000));
    assert_eq!(c.node(0).last_applied(), c.node(leader).last_applied());
    assert!(c.answers("first").is_empty(), "{:?}", c.answers("first"));
    assert_eq!(c.node(0).pending_requests(), 0);
}

#[test]
fn a_leader_that_sees_a_higher_term_steps_down() {
    let mut c = Cluster::new(3);
    c.time_out(0);
    c.settle();
    let term = c.node(0).term();
    c.in_flight.push(Msg {
        src: id(1),
        dst: id(0),
        leader: wire::NodeId::BROADCAST,
        body: Body::AppendResponse(wire::AppendResponse {
            term: term + 5,
            success: false,
            match_index: 0,
            hint_term: None,
            sent_at: 0,
            relayed: Vec::new(),
            owed: Vec::new(),
            answered: Vec::new(),
            answers_fence: 0,
        }),
    });
    c.deliver(|_| true);
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(c.node(0).term(), term + 5);
}

/// What the Figure 8 story observed.
struct Figure8 {
    /// Replica 1's commit index after step (c).
    commit_after_c: u64,
    /// Whether replica 2 considered index 2 committed after step (c).
    follower_committed_2: bool,
    /// Whether index 2 was later overwritten on replicas 2 and 3.
    overwritten: bool,
    /// Whether the put at index 2 was acknowledged to its client.
    acknowledged: bool,
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
        acknowledged: c
            .answers("a")
            .iter()
            .any(|(_, a)| matches!(a, Answer::Committed(_))),
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
    assert!(!story.acknowledged, "and nobody was told it had succeeded");
}

/// The same story without the current-term rule: index 2 is committed,
/// applied and acknowledged, then overwritten. State Machine Safety is
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
}
