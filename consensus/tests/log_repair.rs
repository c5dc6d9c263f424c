//! Log repair stories: long logs, rejections, and an old leader back from
//! a partition caught up without resending what it holds.

mod common;

use common::*;
use consensus::Answer;
use wire::Body;

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

/// An append from `from` in `term` to replica 3: `entries` (given by
/// their terms) after the entry `prev` (index, term), and the sender's
/// commit index.
fn append_to_3(from: u16, term: u64, prev: (u64, u64), entries: &[u64], commit: u64) -> Msg {
    let (prev_index, prev_term) = prev;
    Msg {
        src: id(from),
        dst: id(3),
        leader: id(from),
        body: Body::Append(wire::AppendEntries {
            term,
            prev_index,
            prev_term,
            entries: entries.iter().map(|&t| wire::Entry::noop(t)).collect(),
            commit,
            sent_at: 0,
            quiet: false,
            idle: false,
            relay: None,
            owed_taken: Vec::new(),
            answers_settled: 0,
            answers_held: Vec::new(),
        }),
    }
}

/// Figure 2's last rule for a follower: on an append, commit up to the
/// leader's commit index or the index of the last new entry, whichever is
/// smaller. Capping at the end of the log instead would commit a stale
/// suffix the batch never vouched for.
#[test]
fn a_follower_commits_no_further_than_the_append_proved_its_log() {
    let mut c = Cluster::new(5);
    // Replica 3 holds two entries of term 1 from the first leader, 0...
    c.in_flight.push(append_to_3(0, 1, (0, 0), &[1, 1], 0));
    c.deliver(|_| true);
    // ...and a third from leader 2 of term 2, which nobody else stored.
    c.in_flight.push(append_to_3(2, 2, (2, 1), &[2], 2));
    c.deliver(|_| true);
    assert_eq!(c.log_terms(3), vec![1, 1, 2]);
    assert_eq!(c.node(3).commit_index(), 2);

    // Leader 1 of term 3, whose log is [1, 1, 3] with index 3 committed,
    // probes replica 3 with its entry 2 alone (its previous batch was
    // lost, say). Entry 2 matches, so replica 3 keeps its stale entry 3:
    // nothing in the batch contradicts it.
    c.in_flight.push(append_to_3(1, 3, (1, 1), &[1], 3));
    c.deliver(|_| true);
    assert_eq!(c.log_terms(3), vec![1, 1, 2]);
    assert_eq!(
        c.node(3).commit_index(),
        2,
        "index 3 on replica 3 is term 2's entry, not the term 3 entry leader 1 committed"
    );
}
