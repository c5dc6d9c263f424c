//! Relay chain stories: a put or a burst travelling a chain, new entries
//! rotating through the followers, a broken chain retried, widened or
//! repaired, and, with relay off, a put sent to followers directly.
//! Delegated answers are off here, so the leader answers every put; the
//! chain's last follower answering is told in `delegated_answers.rs`.

mod common;

use common::*;
use consensus::Answer;
use wire::Body;

#[test]
fn new_entries_rotate_through_the_followers_so_all_hear_from_the_leader() {
    let mut c = Cluster::led_by_0_without_delegation(5);

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
    let mut c = Cluster::led_by_0_without_delegation(5);
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
    let mut c = Cluster::led_by_0_without_delegation(5);
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
    let mut c = Cluster::led_by_0_without_delegation(5);
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
