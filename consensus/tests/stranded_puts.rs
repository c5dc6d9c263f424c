//! Stranded put stories: a put committed without its leader hearing so,
//! answered by the new leader or handed over by the old one, exactly once
//! and never after a later put of its key. Delegated answers are off
//! here, so the leader answers every put it can (see
//! `delegated_answers.rs`).

mod common;

use common::*;
use consensus::Answer;
use wire::Body;

/// The client puts `value` to key `k` through leader 0 and is told.
fn put_answered_by_0(c: &mut Cluster, mid: &str, value: &str) {
    c.put(0, mid, "k", value);
    c.settle();
    assert_eq!(
        c.answers(mid),
        vec![(id(0), Answer::Committed(value.into()))]
    );
}

/// The client writes key `k` once and is told: the puts of `k` that
/// follow change state rather than create it, and stranded, they are
/// vouched for before a read (unconfirmed.rs).
fn write_k_once(c: &mut Cluster) {
    put_answered_by_0(c, "init", "0");
}

/// A leader takes a put that reaches a majority, but every answer to it
/// is lost and it is cut off: the put is stored on a majority, unanswered.
/// The others elect one of the followers that hold it. Returns the new
/// leader.
fn put_stranded_by_a_cut_off_leader(c: &mut Cluster, mid: &str, value: &str) -> u16 {
    c.put(0, mid, "k", value);
    settle_losing(c, |m| m.dst == id(0));
    c.run_with(ms(5000), &[0]);
    let leader = sole_leader(c);
    assert_ne!(leader, 0);
    assert!(
        c.answers(mid).is_empty(),
        "its leader never heard it committed"
    );
    leader
}

/// The one replica that leads; fails if there is none, or more than one.
fn sole_leader(c: &Cluster) -> u16 {
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1, "{leaders:?}");
    leaders[0].0
}

#[test]
fn a_new_leader_answers_a_stranded_put_before_a_read_reveals_it() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    write_k_once(&mut c);
    let leader = put_stranded_by_a_cut_off_leader(&mut c, "p", "v");
    assert_eq!(c.node(leader).unconfirmed_writes(), 1);

    // The client reads the key from the new leader: first it is told its
    // put was done, then it gets the value, in that order.
    c.get(leader, "g", "k");
    c.run_with(ms(100), &[0]);
    let order: Vec<&str> = c.replies.iter().map(|(_, r)| r.mid.as_str()).collect();
    assert_eq!(order, ["init", "p", "g"]);
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
    let mut c = Cluster::led_by_0_without_delegation(5);
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
    let mut c = Cluster::led_by_0_without_delegation(5);
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
    let mut c = Cluster::led_by_0_without_delegation(5);
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
    let mut c = Cluster::led_by_0_without_delegation(5);
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
fn a_put_vouched_for_once_is_not_vouched_for_again_by_the_next_leader() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    write_k_once(&mut c);
    let leader = put_stranded_by_a_cut_off_leader(&mut c, "p", "v");
    let others: Vec<u16> = (1..5).filter(|&n| n != leader).collect();
    for &n in &others {
        assert_eq!(
            c.node(n).unconfirmed_writes(),
            1,
            "{n} applied it in a later term"
        );
    }

    // The client reads the key: the new leader vouches for the put, and
    // records in its log that it did. Every follower that applies the
    // record (once its next contact tells it the record is committed)
    // forgets the put.
    c.get(leader, "g1", "k");
    c.run_with(ms(1000), &[0]);
    assert_eq!(
        c.answers("p"),
        vec![(id(leader), Answer::Vouched("v".into()))]
    );
    for &n in &others {
        assert_eq!(c.node(n).unconfirmed_writes(), 0, "{n} knows it answered");
    }

    // That leader crashes too. Its successor answers the next read of the
    // key without a second `ok` for the put.
    c.crash(leader);
    c.run_with(ms(5000), &[0]);
    let next = sole_leader(&c);
    assert!(others.contains(&next));
    c.get(next, "g2", "k");
    c.run_with(ms(100), &[0]);
    assert_eq!(c.answers("g2"), vec![(id(next), Answer::Read("v".into()))]);
    assert_eq!(c.answers("p").len(), 1, "{:?}", c.answers("p"));
}

#[test]
fn a_new_leader_tells_its_followers_which_recent_puts_were_answered() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    // The leader commits a put along a chain of two followers and
    // answers it. Nothing has told those two that it is committed.
    c.run(ms(50));
    c.put(0, "first", "a", "1");
    c.settle();
    assert_eq!(
        c.answers("first"),
        vec![(id(0), Answer::Committed("1".into()))]
    );
    let first_chain: Vec<u16> = (1..5)
        .filter(|&n| c.node(n).log().last_index() == c.node(0).log().last_index())
        .collect();
    assert_eq!(first_chain.len(), 2);

    // The next put goes to the other two, and tells them the first is
    // committed. Then the leader crashes, before anyone hears that the
    // second is.
    c.run(ms(50));
    c.put(0, "second", "b", "2");
    c.settle();
    c.crash(0);
    let second_chain: Vec<u16> = (1..5).filter(|n| !first_chain.contains(n)).collect();
    for &n in &second_chain {
        assert_eq!(c.node(n).log().last_index(), c.node(0).log().last_index());
    }

    // One of the second put's followers leads next: the others lack the
    // second put. Nobody knows whether the second put was answered, so
    // every replica remembers it. The first put's followers learn of the
    // first put's commit only from the new leader, which lists it in its
    // first entry as answered: they do not remember it.
    c.run(ms(5000));
    let second_leader = sole_leader(&c);
    assert!(second_chain.contains(&second_leader));
    for n in 1..5 {
        assert_eq!(
            c.node(n).last_applied(),
            c.node(second_leader).last_applied()
        );
        assert_eq!(
            c.node(n).unconfirmed_writes(),
            1,
            "{n} remembers only the second"
        );
    }

    // The new leader crashes too, and one of the first put's followers
    // may lead. A read of the first put's key gets no second `ok` for it.
    c.crash(second_leader);
    c.run(ms(5000));
    let third = sole_leader(&c);
    c.get(third, "read", "a");
    c.run(ms(100));
    assert_eq!(
        c.answers("read"),
        vec![(id(third), Answer::Read("1".into()))]
    );
    assert_eq!(c.answers("first").len(), 1, "{:?}", c.answers("first"));
}

/// The leader commits a put along a chain and answers it, then crashes
/// before any follower hears that it is committed. Returns the new
/// leader, one of the chain's followers.
fn put_answered_by_a_leader_that_then_crashes(c: &mut Cluster, mid: &str, value: &str) -> u16 {
    c.run(ms(50));
    put_answered_by_0(c, mid, value);
    c.crash(0);
    c.run(ms(5000));
    sole_leader(c)
}

#[test]
fn a_read_of_a_key_created_by_a_put_its_crashed_leader_answered_gets_no_second_ok() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    let leader = put_answered_by_a_leader_that_then_crashes(&mut c, "p", "v");
    assert_eq!(
        c.node(leader).unconfirmed_writes(),
        1,
        "it may be unanswered"
    );

    // The client reads the key. It can only be reading it because a put
    // of it was answered, and this put is the key's only one: no vouch.
    c.get(leader, "g", "k");
    c.run(ms(100));
    assert_eq!(c.answers("g"), vec![(id(leader), Answer::Read("v".into()))]);
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
}

#[test]
fn a_read_of_a_key_changed_by_a_put_its_crashed_leader_answered_gets_a_vouch_first() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    write_k_once(&mut c);
    let leader = put_answered_by_a_leader_that_then_crashes(&mut c, "p", "v");

    // The client may hold "0" or "v" as the key's last answered value:
    // the new leader cannot tell, so it vouches before the read reveals
    // "v". Here the crashed leader had answered: the price is a second
    // `ok` for the put.
    c.get(leader, "g", "k");
    c.run(ms(100));
    let order: Vec<&str> = c.replies.iter().map(|(_, r)| r.mid.as_str()).collect();
    assert_eq!(order[order.len() - 2..], ["p", "g"]);
    assert_eq!(
        c.answers("p"),
        vec![
            (id(0), Answer::Committed("v".into())),
            (id(leader), Answer::Vouched("v".into()))
        ]
    );
}

/// A leader's put is replaced in its log by an older term's put of the
/// same client, and is told to go to the new leader; the put that
/// replaced it is answered once, by the leader that accepted it.
///
/// Leader 0 crashes and 1 wins term 2 (its no-op at 2). The client puts
/// `a1` and `a2` to it (indices 3 and 4, term 2), and every message about
/// them is lost: 1 alone holds them. 1 is cut off, and 2 wins term 3
/// with 3 and 4; its no-op at 3 and the client's next put, `p` at 4,
/// reach nobody. 2 is cut off in turn, and 1 comes back: 3 and 4 never
/// saw term 3's entries, so 1's log (last term 2, index 4) is the most
/// up to date, and it wins term 4, commits `a1`, `a2` and its no-op, and
/// answers both puts (vouched: they are of its earlier term).
///
/// Healed, 2 follows 1: its indices 3 and 4 are replaced by `a1` and
/// `a2`. Applying index 4 it finds `a2`, not `p`: same client, another
/// request, so `p` can never commit, and 2 redirects it to 1. Nothing
/// had routed it earlier: the entry that took its place is of term 2,
/// older than `p`'s term 3, so no commit outlived it (`commit.rs`).
/// Taking `a2` for `p` because the client matches would leave `p`
/// unanswered, and report `a2` as a write 2 owes (the random simulation
/// met that line-up once: `leader_churn`, seed 865).
#[test]
fn a_put_replaced_by_an_older_terms_put_of_its_client_is_redirected() {
    let mut c = Cluster::led_by_0_without_delegation(5);
    c.crash(0);
    c.now += ms(3000);
    c.time_out(1);
    c.settle();
    assert_eq!(sole_leader(&c), 1);
    c.put_burst(1, &[("a1", "x", "1"), ("a2", "y", "2")]);
    c.drop_where(|m| touches(m, 1));
    assert_eq!(c.log_terms(1), vec![1, 2, 2, 2]);

    c.now += ms(3000);
    c.time_out(2);
    settle_losing(&mut c, |m| {
        touches(m, 1) || (m.src == id(2) && is_append(m))
    });
    assert_eq!(c.node(2).role(), consensus::Role::Leader);
    assert_eq!(c.node(2).term(), 3);
    c.put(2, "p", "z", "3");
    c.drop_where(|m| touches(m, 1) || touches(m, 2));
    assert_eq!(c.log_terms(2), vec![1, 2, 3, 3]);
    for n in [3, 4] {
        assert_eq!(c.log_terms(n), vec![1, 2], "{n} saw nothing of term 3");
    }

    c.run_with(ms(5000), &[2]);
    assert_eq!(sole_leader(&c), 1);
    assert_eq!(c.node(1).term(), 4);
    assert_eq!(c.node(1).commit_index(), 5);
    assert_eq!(c.answers("a1"), vec![(id(1), Answer::Vouched("1".into()))]);
    assert_eq!(c.answers("a2"), vec![(id(1), Answer::Vouched("2".into()))]);
    assert!(c.answers("p").is_empty());

    c.run(ms(5000));
    assert_eq!(c.log_terms(2), vec![1, 2, 2, 2, 4]);
    assert_eq!(c.node(2).last_applied(), 5);
    assert_eq!(c.answers("a2"), vec![(id(1), Answer::Vouched("2".into()))]);
    assert_eq!(c.answers("p"), vec![(id(2), Answer::Redirect(id(1)))]);
    assert_eq!(c.node(2).pending_requests(), 0);
}
