//! Relay chain stories: a put or a burst travelling a chain, new entries
//! rotating through the followers, a broken chain retried, widened or
//! repaired (never from results remembered from an earlier term), and,
//! with relay off, a put sent to followers directly.
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

/// True for a message addressed to `n`.
fn to(m: &Msg, n: u16) -> bool {
    m.dst == id(n)
}

/// A follower answers a repair for the rest of the chain only from
/// results remembered from the leader's current term.
///
/// The story: in term 1, leader 0 sends a burst along the chain
/// 0 → 4 → 3. 4 stores it, through index 13, and passes it on with its
/// result; 3, which missed the batch before, rejects it, but remembers
/// 4's result. Then 0 and 4 are cut off. 2 wins term 2 with 1's and 3's
/// votes, and when the cut heals, its first entry, at index 5, replaces
/// the burst in 0's and 4's logs. Later 1 and 2 are cut off, and 0 wins
/// term 3 with 3's and 4's votes. Its first put goes along 0 → 4 → 3,
/// whose first link is lost, and the repair runs backwards: to 3 first,
/// carrying indexes 6 and 7, which 4 does not hold. 3 still remembers 4
/// accepting everything through index 13 from leader 0, but that was in
/// term 1, of entries since truncated. Answering for 4 with it, 3 would
/// make 0 commit entries that only 0 and 3 hold, two of five. 3 must
/// pass the repair on to 4 instead, and 0 commits only once 4 has them.
#[test]
fn a_repair_is_not_answered_from_results_remembered_from_an_earlier_term() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    let from_1_or_2_to_0 = |m: &Msg| to(m, 0) && (m.src == id(1) || m.src == id(2));

    // A put travels 0 → 4 → 3 and commits. The next two go to 2 and 1
    // first, whose answers to the leader are lost for a while; 4 and 3
    // commit them. 0 no longer counts on 2 and 1 to answer at once.
    c.now += ms(10);
    c.put(0, "p", "k", "p");
    assert_eq!(reached_by(&c.in_flight[0]), vec![id(4), id(3)]);
    c.settle();
    for mid in ["q", "r"] {
        c.now += ms(10);
        c.put(0, mid, "k", mid);
        assert_eq!(reached_by(&c.in_flight[0]), vec![id(2), id(1)]);
        c.run_losing(ms(50), from_1_or_2_to_0);
        assert_eq!(c.answers(mid), vec![(id(0), Answer::Committed(mid.into()))]);
    }
    for n in 0..5 {
        assert_eq!(c.log_terms(n), vec![1; 4], "replica {n}");
    }

    // The next put goes 0 → 4 → 3; 4 stores it, and what it passes on
    // to 3 is lost.
    c.put(0, "x1", "k", "x1");
    assert_eq!(reached_by(&c.in_flight[0]), vec![id(4), id(3)]);
    c.deliver(|_| true);
    c.drop_where(|_| true);

    // A burst follows at once, along the same chain. 4 stores it, through
    // index 13; 3 rejects it, lacking index 5, and remembers 4's result.
    // 3's answer to the leader is lost.
    let burst: Vec<(String, String)> = (2..10)
        .map(|i| (format!("x{i}"), format!("x{i}")))
        .collect();
    c.put_burst_of_key(0, "k", &burst);
    assert_eq!(reached_by(&c.in_flight[0]), vec![id(4), id(3)]);
    c.deliver(|_| true);
    c.deliver(|_| true);
    let Body::AppendResponse(r) = &c.in_flight[0].body else {
        panic!("expected an answer, got {:?}", c.in_flight[0]);
    };
    assert!(!r.success, "3 lacks the entry before the burst");
    let relayed = &r.relayed[0];
    assert!(relayed.follower == id(4) && relayed.success && relayed.match_index == 13);
    c.drop_where(|_| true);
    assert_eq!(c.log_terms(4), vec![1; 13]);
    assert_eq!(c.log_terms(3), vec![1; 4]);

    // 0 and 4 are cut off; 2 wins term 2 with 1's and 3's votes. Then the
    // cut heals, and 2's first entry, at index 5, replaces the burst in
    // 0's and 4's logs.
    c.run_with(ms(3_000), &[0, 4]);
    assert_eq!(c.node(2).term(), 2);
    c.run(ms(1_500));
    assert_eq!(c.leaders(), vec![id(2)]);
    for n in 0..5 {
        assert_eq!(c.log_terms(n), vec![1, 1, 1, 1, 2], "replica {n}");
    }

    // Now 1 and 2 are cut off, at a moment when 0's election timer is
    // due to run out before 3's and 4's. It rehearses, campaigns and wins
    // term 3 with their votes.
    let first_to_time_out = |c: &Cluster| {
        let deadline = |n: u16| c.node(n).next_deadline();
        deadline(0) < deadline(3) && deadline(0) < deadline(4)
    };
    for _ in 0..1000 {
        if first_to_time_out(&c) {
            break;
        }
        c.run(ms(10));
    }
    assert!(first_to_time_out(&c));
    let due = c.node(0).next_deadline();
    c.run_with(due.saturating_sub(c.now + ms(1)), &[1, 2]);
    c.time_out(0);
    for _ in 0..4 {
        c.drop_where(|m| to(m, 1) || to(m, 2));
        c.deliver(|_| true);
    }
    assert_eq!(c.node(0).term(), 3);
    assert!(c.leaders().contains(&id(0)));

    // Its first contacts are lost. Its first put goes 0 → 4 → 3, and the
    // first link is lost too. The repair goes to 3 first, then 4, with
    // the entries at indexes 6 and 7; 3 stores them.
    c.drop_where(|_| true);
    c.put(0, "y", "k", "y");
    assert_eq!(reached_by(&c.in_flight[0]), vec![id(4), id(3)]);
    c.drop_where(|_| true);
    c.time_out(0);
    c.drop_where(|m| !to(m, 3));
    assert_eq!(reached_by(&c.in_flight[0]), vec![id(3), id(4)]);
    c.deliver(|_| true);
    assert_eq!(c.log_terms(3), vec![1, 1, 1, 1, 2, 3, 3]);
    assert_eq!(c.log_terms(4), vec![1, 1, 1, 1, 2]);

    // 3 remembers 4's result through index 13 from leader 0, but from
    // term 1. It passes the batch on; that link is lost as well. Whatever
    // reaches the leader, it commits nothing that only 0 and 3 hold.
    let passed_on: Vec<Msg> = c.in_flight.iter().filter(|m| to(m, 4)).cloned().collect();
    c.drop_where(|m| !to(m, 0));
    c.deliver(|_| true);
    assert!(
        c.node(0).commit_index() < 6,
        "0 committed index {} on a result from an earlier term",
        c.node(0).commit_index()
    );
    assert!(c.answers("y").is_empty());

    // Once the batch really reaches 4, three of five hold it, and it
    // commits.
    assert_eq!(passed_on.len(), 1, "3 passed the repair on to 4");
    c.in_flight = passed_on;
    c.settle_with(&[1, 2]);
    assert_eq!(c.log_terms(4), vec![1, 1, 1, 1, 2, 3, 3]);
    assert_eq!(c.node(0).commit_index(), 7);
    assert_eq!(c.answers("y"), vec![(id(0), Answer::Committed("y".into()))]);
}
