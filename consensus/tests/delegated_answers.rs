//! Delegated answers, as stories: a relay chain's last follower answers
//! the put it can prove committed, and the leader answers exactly the
//! puts that the delegate did not.

mod common;

use common::*;
use consensus::{Answer, NodeId};
use wire::Body;

/// The head and the tail of the chain a relayed batch travels.
fn chain_of(m: &Msg) -> (NodeId, NodeId) {
    let Body::Append(a) = &m.body else {
        panic!("expected an append, got {m:?}");
    };
    let relay = a.relay.as_ref().expect("a relayed batch");
    (m.dst, relay.path[0])
}

/// A leader of five with the lease in hand takes put `p` of `k`; it goes
/// along a chain whose tail may answer it. Returns the chain.
fn put_along_a_chain(c: &mut Cluster) -> (NodeId, NodeId) {
    c.now += ms(10);
    c.put(0, "p", "k", "v");
    assert_eq!(c.in_flight.len(), 1);
    chain_of(&c.in_flight[0])
}

/// A leader of five that delegates and waits 3 s for a delegate to say
/// whether it answered, long enough to watch what happens while it holds
/// an answer (the default is 20 ms).
fn patient_cluster() -> Cluster {
    Cluster::led_by_0_with(5, |cfg| {
        cfg.delegate_answers = true;
        cfg.delegation_patience = ms(3000);
    })
}

fn committed(v: &str) -> Answer<String> {
    Answer::Committed(v.into())
}

#[test]
fn a_delegate_whose_report_is_lost_is_not_answered_for_again() {
    let mut c = Cluster::led_by_0_delegating(5);
    let (_, tail) = put_along_a_chain(&mut c);
    c.deliver(|_| true);
    c.deliver(|_| true);
    assert_eq!(c.answers("p"), vec![(tail, committed("v"))]);

    // The tail's report is lost: the leader cannot tell whether it
    // answered. Its next answer says it did, so the leader never does.
    c.drop_where(|m| m.src == tail);
    c.run(ms(2000));
    assert_eq!(c.answers("p"), vec![(tail, committed("v"))]);
    assert_eq!(c.node(0).commit_index(), c.node(0).log().last_index());
}

#[test]
fn a_leader_keeps_asking_its_delegate_at_a_steady_pace_until_it_hears() {
    let mut c = Cluster::led_by_0_delegating(5);
    let (_, tail) = put_along_a_chain(&mut c);
    c.deliver(|_| true);
    c.deliver(|_| true);
    assert_eq!(c.answers("p"), vec![(tail, committed("v"))]);

    // The tail's report and its answers to the next four resends are
    // lost. The leader resends every 2 ms, not after 2, 4, 8 and 16 ms,
    // so it hears from the tail well within its 20 ms of patience and
    // never answers the put itself.
    let mut lost = 0;
    c.run_losing(ms(30), |m| {
        let dropped = m.src == tail && lost < 5;
        lost += usize::from(dropped);
        dropped
    });
    assert_eq!(lost, 5);
    assert_eq!(c.answers("p"), vec![(tail, committed("v"))]);
}

#[test]
fn a_delegate_the_batch_never_reached_says_so_when_the_repair_passes_through_it() {
    let mut c = Cluster::led_by_0_delegating(5);
    let (head, tail) = put_along_a_chain(&mut c);
    c.deliver(|_| true);
    c.drop_where(|m| m.src == head);

    // The leader resends the broken chain backwards, the tail first. The
    // tail never got the relay and did not answer; passing the entry on,
    // it says so, and the head's answer brings that to the leader, which
    // answers at once, well within its patience, and not as a vouch.
    c.run(ms(10));
    assert_eq!(c.answers("p"), vec![(id(0), committed("v"))]);
    assert!(c
        .sent
        .iter()
        .any(|m| m.src == tail && m.dst == head && matches!(m.body, Body::Append(_))));

    // And never again.
    c.run(ms(2000));
    assert_eq!(c.answers("p").len(), 1);
}

#[test]
fn a_read_of_the_key_waits_until_the_leader_has_applied_the_delegated_put() {
    let mut c = Cluster::led_by_0_delegating(5);
    c.put(0, "p0", "other", "x");
    c.settle();
    let (_, tail) = put_along_a_chain(&mut c);
    c.deliver(|_| true);
    c.deliver(|_| true);
    assert_eq!(c.answers("p"), vec![(tail, committed("v"))]);

    // The client, told its put is done, reads the key from the leader,
    // which has not heard so yet: the read waits. A read of another key
    // is answered at once.
    c.get(0, "g", "k");
    c.get(0, "g-other", "other");
    assert!(c.answers("g").is_empty());
    assert_eq!(
        c.answers("g-other"),
        vec![(id(0), Answer::Read("x".into()))]
    );

    // The tail's report arrives; the leader applies the put and reads it.
    c.deliver(|m| m.src == tail);
    assert_eq!(c.answers("g"), vec![(id(0), Answer::Read("v".into()))]);
    assert_eq!(c.answers("p").len(), 1);
}

/// Put `p` goes along a chain whose tail crashes once the head has passed
/// it on, and whose head's report is lost. The other followers will
/// commit the put, but the tail may have answered it before it went
/// down, so the leader will hold its answer. Returns the chain and the
/// put's index.
fn put_whose_delegate_crashes(c: &mut Cluster) -> (NodeId, NodeId, u64) {
    let (head, tail) = put_along_a_chain(c);
    let index = c.node(0).log().last_index();
    c.deliver(|_| true);
    c.drop_where(|m| m.src == head);
    c.crash(tail.0);
    (head, tail, index)
}

/// [`put_whose_delegate_crashes`], then one second passes.
fn put_whose_delegate_crashed(c: &mut Cluster) -> (NodeId, NodeId, u64) {
    let chain_and_index = put_whose_delegate_crashes(c);
    c.run(ms(1000));
    chain_and_index
}

#[test]
fn a_silent_delegate_is_given_up_on_and_the_leader_vouches_for_the_put() {
    let mut c = patient_cluster();
    let (head, _, index) = put_whose_delegate_crashed(&mut c);

    // The leader holds the put's answer, and tells the followers so with
    // the commit. They remember the put as unconfirmed (a new leader must
    // find it unanswered).
    assert_eq!(c.node(0).commit_index(), index);
    assert!(c.answers("p").is_empty());
    assert_eq!(c.node(head.0).commit_index(), index);
    assert_eq!(c.node(head.0).unconfirmed_writes(), 1);

    // After `delegation_patience` (3 s here) it stops waiting and
    // answers, as a vouch: the tail might have answered too. The next
    // contact no longer lists the put, and the followers forget it.
    c.run(ms(2500));
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Vouched("v".into()))]);
    c.run(ms(1000));
    assert_eq!(c.node(head.0).unconfirmed_writes(), 0);
}

#[test]
fn by_default_a_leader_holds_an_answer_for_a_silent_delegate_only_briefly() {
    let mut c = Cluster::led_by_0_delegating(5);
    // put_along_a_chain moves the clock 10 ms on, then sends the relay.
    let relay_left = c.now + ms(10);
    let (_, _, index) = put_whose_delegate_crashes(&mut c);

    // The leader resends, commits the put through the other followers,
    // and holds its answer: the tail may have answered it.
    c.run(relay_left + ms(15) - c.now);
    assert_eq!(c.node(0).commit_index(), index);
    assert!(c.answers("p").is_empty());

    // 20 ms after the relay left, it stops waiting: a leader killed while
    // it held the answer would have left the put unanswered.
    c.run(ms(10));
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Vouched("v".into()))]);
}

#[test]
fn a_held_answer_keeps_only_its_own_put_from_counting_as_answered() {
    let mut c = patient_cluster();
    let (_, tail, index) = put_whose_delegate_crashed(&mut c);

    // While the leader holds the first put's answer, a put of another
    // key commits and is answered at once (by the leader or its chain's
    // last follower); the followers learn of both commits, and only the
    // held put stays unconfirmed with them.
    c.put(0, "q", "other", "w");
    c.run(ms(1500));
    let answers = c.answers("q");
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].1, committed("w"));
    assert!(c.answers("p").is_empty());
    for n in (1..5).filter(|&n| n != tail.0) {
        assert!(c.node(n).commit_index() > index, "node {n}");
        assert_eq!(c.node(n).unconfirmed_writes(), 1, "node {n}");
    }
}

#[test]
fn a_put_along_a_chain_is_answered_by_its_last_follower_in_three_messages() {
    let mut c = Cluster::led_by_0_delegating(5);
    let (head, tail) = put_along_a_chain(&mut c);
    c.deliver(|_| true);
    assert_eq!(c.in_flight[0].src, head);
    assert!(c.answers("p").is_empty(), "nothing is committed yet");

    // The tail sees the leader, the head and itself hold the entry: it is
    // committed. The tail answers the client, and the leader for both.
    c.deliver(|_| true);
    assert_eq!(c.answers("p"), vec![(tail, committed("v"))]);
    assert_eq!(c.in_flight.len(), 1);
    assert_eq!((c.in_flight[0].src, c.in_flight[0].dst), (tail, id(0)));

    // The leader commits and leaves the answer to the tail.
    c.deliver(|_| true);
    assert!(c.in_flight.is_empty(), "three messages in all");
    assert_eq!(c.answers("p"), vec![(tail, committed("v"))]);
    assert_eq!(c.node(0).commit_index(), c.node(0).log().last_index());
}

#[test]
fn a_burst_of_puts_of_one_key_is_answered_by_the_last_follower_in_order() {
    let mut c = Cluster::led_by_0_delegating(5);
    let burst = c.put_burst_of_one_key(0, 8);
    let (_, tail) = chain_of(&c.in_flight[0]);
    c.settle();
    for (mid, v) in &burst {
        assert_eq!(c.answers(mid), vec![(tail, committed(v))]);
    }
    let order: Vec<&str> = c.replies.iter().map(|(_, r)| r.mid.as_str()).collect();
    let sent: Vec<&str> = burst.iter().map(|(mid, _)| mid.as_str()).collect();
    assert_eq!(order, sent);
}

/// A delegate answers only a batch sent recently, by its own reckoning of
/// the leader's clock: one held up in the network until a later leader
/// could have answered a later put of the same key must not reach the
/// client as its first `ok`, or the client would believe the older value.
#[test]
fn a_delegate_does_not_answer_a_batch_held_up_past_the_next_leaders_answers() {
    let mut c = Cluster::led_by_0_delegating(5);
    let (head, tail) = put_along_a_chain(&mut c);
    // The head stores the batch and passes it on; that message is held up.
    c.deliver(|_| true);
    let held_up = std::mem::take(&mut c.in_flight);
    assert!(held_up.iter().all(|m| m.src == head && m.dst == tail));

    // The leader crashes; the others, but the tail, elect a new one, which
    // commits the put (the head holds it) and answers a later put of the
    // same key.
    c.crash(0);
    let tail_cut = [tail.0];
    c.run_with(ms(5_000), &tail_cut);
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1);
    assert_ne!(leaders[0], tail);
    c.put(leaders[0].0, "p2", "k", "v2");
    c.run_with(ms(100), &tail_cut);
    assert!(!c.answers("p2").is_empty(), "the later put was answered");
    assert_eq!(c.node(tail.0).term(), 1, "the tail never heard of term 2");

    // Only now does the old batch reach the tail.
    c.in_flight = held_up;
    c.deliver(|_| true);
    assert!(
        !c.answers("p").iter().any(|(who, _)| *who == tail),
        "the tail answered a batch that old: {:?}",
        c.answers("p")
    );
}

/// A delegate answers only what it can prove committed, and a head that
/// refused the batch proves nothing. The leader of five is elected by
/// the votes of 3 and 4, and its first append, which carries its no-op,
/// is lost on the way to 4; the no-op commits on 1, 2 and 3. Put `p`
/// goes along the chain 4, 3. The head lacks the no-op and refuses the
/// batch, and passes it on saying so; the tail stores it. Only the
/// leader and the tail hold `p`, two of five: had the tail answered it,
/// and the leader crashed then, 1, 2 and 4, none of which hold it, could
/// elect a leader that overwrites it, a put lost after its `ok`.
#[test]
fn a_delegate_does_not_answer_a_batch_its_head_refused() {
    let mut c = Cluster::led_by_0_delegating_losing(5, |m| {
        (is_vote_response(m) && (m.src == id(1) || m.src == id(2)))
            || (is_append(m) && m.dst == id(4))
    });
    assert!(c.log_terms(4).is_empty(), "4 never got the no-op");
    assert_eq!(c.node(0).commit_index(), 1);

    // 4 is still taken to be listening: the put goes along 4, 3, and its
    // batch starts past the no-op, which the leader believes 4 has.
    c.put(0, "p", "k", "v");
    assert_eq!(c.in_flight.len(), 1);
    assert_eq!(chain_of(&c.in_flight[0]), (id(4), id(3)));
    c.deliver(|_| true);
    let Body::Append(a) = &c.in_flight[0].body else {
        panic!("the head passes the batch on");
    };
    let reports = &a.relay.as_ref().expect("still relayed").reports;
    let results: Vec<(NodeId, bool)> = reports.iter().map(|r| (r.follower, r.success)).collect();
    assert_eq!(results, vec![(id(4), false)], "the head refused it");

    // The tail stores the put but cannot prove it committed: it neither
    // answers it nor commits it, and tells the leader so.
    c.deliver(|_| true);
    assert_eq!(c.node(3).log().last_index(), 2);
    assert!(c.answers("p").is_empty(), "{:?}", c.answers("p"));
    assert_eq!(c.node(3).commit_index(), 1);

    // The leader repairs the head, commits the put and answers it, once.
    c.run(ms(50));
    assert_eq!(c.node(0).commit_index(), 2);
    assert_eq!(c.answers("p"), vec![(id(0), committed("v"))]);
}

/// A delegate commits early only through writes it answers itself: a
/// write it applied unanswered would count as answered by its leader.
/// Put `p0` of `k` is answered (a put that created its key would never
/// be vouched for, `unconfirmed.rs`). Put `p` of `k` goes along a chain
/// and is lost on the way; put `q` of `m` follows along the other two
/// followers, and its batch carries `p` too, which neither of them has.
/// Only `q` is delegated, `p` having been delegated to the first chain.
/// The tail could prove both committed, but committing through `q`
/// would apply `p` unanswered: it answers nothing. The leader crashes
/// having answered neither, and the tail is elected. Before the client
/// reads `k` from it, it vouches for `p`: the client would otherwise
/// read a value it was never told it wrote.
#[test]
fn a_delegate_does_not_commit_past_a_write_it_would_not_answer() {
    let mut c = Cluster::led_by_0_delegating(5);
    c.now += ms(10);
    c.put(0, "p0", "k", "v0");
    c.settle();
    assert_eq!(c.answers("p0").len(), 1);
    let answered = c.node(0).commit_index();

    let (first_head, first_tail) = put_along_a_chain(&mut c);
    let p = c.node(0).log().last_index();
    c.drop_where(|_| true);
    c.put(0, "q", "m", "w");
    let q = c.node(0).log().last_index();
    assert_eq!(c.in_flight.len(), 1);
    let (head, tail) = chain_of(&c.in_flight[0]);
    assert!(![first_head, first_tail].contains(&head));
    assert!(![first_head, first_tail].contains(&tail));
    let Body::Append(a) = &c.in_flight[0].body else {
        unreachable!("checked by chain_of");
    };
    assert!(a.prev_index < p, "the batch carries p too");
    assert_eq!(a.relay.as_ref().expect("relayed").delegated, vec![q]);

    // The head stores both and passes them on; the tail stores both, and
    // neither answers nor commits either.
    c.deliver(|_| true);
    c.deliver(|_| true);
    assert_eq!(c.node(tail.0).log().last_index(), q);
    assert!(c.answers("q").is_empty());
    assert_eq!(c.node(tail.0).commit_index(), answered);

    // The leader crashes before it hears of that; the tail is elected.
    c.crash(0);
    c.drop_where(|_| true);
    c.time_out(tail.0);
    c.settle();
    assert_eq!(c.leaders(), vec![tail]);

    // The client reads `k`: first `p` is vouched for, then the read
    // answered with its value.
    c.get(tail.0, "g", "k");
    c.run(ms(20));
    assert_eq!(c.answer_order(&["p", "g"]), ["p", "g"]);
    assert_eq!(c.answers("p"), vec![(tail, Answer::Vouched("v".into()))]);
    assert_eq!(c.answers("g"), vec![(tail, Answer::Read("v".into()))]);
}

/// A client that wrote a key twice hears the answers in log order, even
/// when the first put's answer waits for a delegate that went silent.
/// Put `p` of `k` goes along a chain whose tail crashes before the batch
/// reaches it, and whose head's report is lost. The leader commits `p`
/// through the other followers and holds its answer: the tail may have
/// answered it. The client then writes `k` again, put `p2`, along a
/// chain of the live followers. It is not delegated: that chain's tail
/// would answer it at once, long before the leader gives up on the
/// first tail and vouches for `p`, and the client would hear of `p2`
/// first and believe the older value.
#[test]
fn a_put_is_not_delegated_while_the_answer_to_an_earlier_put_of_its_key_is_held() {
    let mut c = patient_cluster();
    let (_, first_tail, index) = put_whose_delegate_crashed(&mut c);
    assert_eq!(c.node(0).commit_index(), index);
    assert!(c.answers("p").is_empty());

    c.put(0, "p2", "k", "v2");
    assert_eq!(c.in_flight.len(), 1);
    let (_, tail) = chain_of(&c.in_flight[0]);
    assert_ne!(tail, first_tail);
    let Body::Append(a) = &c.in_flight[0].body else {
        unreachable!("checked by chain_of");
    };
    assert!(a.relay.as_ref().expect("relayed").delegated.is_empty());

    // The chain stores `p2` and the leader commits it, holding its answer
    // too; when it gives up on the first tail it answers both, in order.
    c.run(ms(10));
    assert_eq!(c.node(0).commit_index(), index + 1);
    assert!(c.answers("p2").is_empty());
    c.run(ms(3000));
    assert_eq!(c.answer_order(&["p", "p2"]), ["p", "p2"]);
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Vouched("v".into()))]);
    assert_eq!(c.answers("p2"), vec![(id(0), committed("v2"))]);
}

/// A delegate answers nothing at or below its fence, even a relay it has
/// never seen: the leader has decided those writes by then. Put `p` goes
/// along a chain whose head's pass-on is held up in the network. The
/// leader repairs the chain backwards, the tail first; the tail says it
/// did not answer, and the leader answers `p` itself. When the held-up
/// relay reaches the tail at last, its proof still holds (the head
/// stored the batch, in the current term), and it is late by 5 ms, less
/// than half the leader's patience (see the next story), but `p` lies
/// below the fence the repair moved: the tail does not answer it a
/// second time.
#[test]
fn a_delegate_does_not_answer_a_relay_that_arrives_after_its_fence_passed_it() {
    let mut c = Cluster::led_by_0_delegating(5);
    let (head, tail) = put_along_a_chain(&mut c);
    c.deliver(|_| true);
    assert_eq!(c.in_flight.len(), 1);
    assert_eq!((c.in_flight[0].src, c.in_flight[0].dst), (head, tail));
    let held_up = c.in_flight.remove(0);

    c.run(ms(5));
    assert_eq!(c.answers("p"), vec![(id(0), committed("v"))]);
    let p = c.node(0).commit_index();
    assert!(
        c.node(tail.0).commit_index() < p,
        "the tail has not applied p"
    );

    c.in_flight.push(held_up);
    c.deliver(|m| m.dst == tail);
    c.run(ms(2000));
    assert_eq!(c.answers("p"), vec![(id(0), committed("v"))]);
}

/// A delegate does not answer a batch that reaches it after its leader
/// stopped waiting for it. Put `p` goes along a chain, and everything
/// bound for the tail is held up in the network for 30 ms, the relay
/// first. The leader commits `p` through the other followers and, not
/// hearing from the tail within its 20 ms of patience, vouches for it.
/// When the relay reaches the tail at last, the tail's proof holds and
/// nothing has moved its fence, but the relay is late by more than half
/// that patience: answering now would be the put's second `ok`. The
/// tail stores the batch and reports, and answers nothing.
#[test]
fn a_delegate_does_not_answer_a_batch_that_arrives_after_its_leader_stopped_waiting() {
    let mut c = Cluster::led_by_0_delegating(5);
    let (head, tail) = put_along_a_chain(&mut c);
    c.deliver(|_| true);
    let mut held = Vec::new();
    c.run_losing(ms(30), |m| {
        let bound_for_tail = m.dst == tail;
        if bound_for_tail {
            held.push(m.clone());
        }
        bound_for_tail
    });
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Vouched("v".into()))]);
    assert_eq!((held[0].src, held[0].dst), (head, tail));

    c.in_flight.extend(held);
    c.deliver(|m| m.dst == tail);
    assert_eq!(c.node(tail.0).log().last_index(), c.node(0).commit_index());
    c.run(ms(2000));
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Vouched("v".into()))]);
}
