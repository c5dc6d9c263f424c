//! Election stories: winning, split votes, one vote a term, a vote and a
//! rehearsal refused to a staler log (§5.4.1), the pre-vote rehearsal,
//! candidates asking silent voters again, a minority replica asking half
//! as often and not again those it has not heard from, a new leader's
//! first read waiting for its term's first commit, and a leader stepping
//! down.

mod common;

use common::*;
use consensus::{Answer, NodeId, Role};
use wire::Body;

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
    // Its first round asks the peers it cannot reach twice: once, and
    // once more 5 ms later. That round leaves it cut off, and from then
    // on it asks them once a round: it has heard nothing from them since.
    let asked_0 = vote_requests(&c, 4, 0);
    assert_eq!(asked_0, rounds + 1);
    assert_eq!(c.leaders(), vec![id(0)]);

    // Healed: it hears from the leader again (within a silent probe).
    c.run(ms(1_500));
    assert_eq!(c.node(4).leader(), Some(id(0)));
    assert_eq!(c.node(3).leader(), Some(id(0)));
}

#[test]
fn a_cut_off_replica_asks_again_only_the_peers_it_has_heard_from_since() {
    let mut c = Cluster::led_by_0(5);
    c.crash(0);
    // 4's first round reaches no one, though it asks everyone twice, so
    // it takes itself for cut off.
    c.time_out(4);
    c.drop_where(|m| touches(m, 4));
    c.time_out(4);
    c.drop_where(|m| touches(m, 4));
    c.time_out(4);
    assert_eq!(c.node(4).role(), Role::PreCandidate);

    // Then 1 campaigns too, and only its request to 4 gets through.
    c.time_out(1);
    c.deliver(|m| m.src == id(1) && m.dst == id(4));
    c.drop_where(|_| true);

    // 4's next round asks everyone once; no one answers.
    c.sent.clear();
    c.time_out(4);
    let mut asked: Vec<u16> = c.sent.iter().map(|m| m.dst.0).collect();
    asked.sort();
    assert_eq!(asked, vec![0, 1, 2, 3]);
    c.drop_where(|_| true);

    // Asking again, it asks only 1: the others have said nothing since
    // its last round started.
    c.sent.clear();
    c.time_out(4);
    let asked: Vec<u16> = c.sent.iter().map(|m| m.dst.0).collect();
    assert_eq!(asked, vec![1]);
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

/// The vote answers (real or pre-vote) `from` has sent so far, in order:
/// to whom, and whether granted.
fn votes_given(c: &Cluster, from: u16) -> Vec<(NodeId, bool)> {
    c.sent
        .iter()
        .filter(|m| m.src == id(from))
        .filter_map(|m| match &m.body {
            Body::VoteResponse(v) => Some((m.dst, v.granted)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_voter_grants_one_vote_a_term_so_two_candidates_cannot_both_win() {
    let mut c = Cluster::with_config(3, |cfg| cfg.pre_vote = false);
    // Replicas 1 and 2 campaign in term 1 at once; each votes for itself,
    // so replica 0 decides.
    c.time_out(1);
    c.time_out(2);
    assert_eq!((c.node(1).term(), c.node(2).term()), (1, 1));
    c.deliver(|m| m.dst == id(0) && m.src == id(1));
    c.deliver(|m| m.dst == id(0) && m.src == id(2));
    assert_eq!(
        votes_given(&c, 0),
        vec![(id(1), true), (id(2), false)],
        "the first candidate asking gets replica 0's vote, the second does not"
    );
    c.deliver(|m| m.src == id(0));
    assert_eq!(c.leaders(), vec![id(1)], "one leader in term 1");
}

#[test]
fn a_rehearsal_with_a_staler_log_is_refused_and_costs_no_term() {
    let mut c = Cluster::new(3);
    c.time_out(0);
    c.settle();
    c.put(0, "p", "k", "v");
    // Only replica 1 receives the new entry (with its next heartbeat).
    c.run_with(ms(500), &[2]);
    assert_eq!(c.log_terms(1), vec![1, 1]);
    assert_eq!(c.log_terms(2), vec![1]);
    c.crash(0);
    // Long after the last word from the leader (so replica 1 no longer
    // refuses because a leader may still hold a lease), replica 2
    // rehearses an election. Replica 1 refuses: 2's log lacks index 2,
    // so a real round could not win, and the rehearsal exists to spare
    // the cluster such a round and its higher term.
    let term = c.node(2).term();
    let earlier_votes = votes_given(&c, 1).len();
    c.now += ms(5000);
    c.time_out(2);
    c.deliver(|m| m.src == id(2) && m.dst == id(1));
    assert_eq!(votes_given(&c, 1)[earlier_votes..], [(id(2), false)]);
    c.deliver(|m| m.dst == id(2));
    assert_eq!(c.node(2).term(), term, "no real round, no new term");
    assert_eq!(c.node(1).term(), term);
}

#[test]
fn a_new_leader_answers_a_get_only_once_its_own_term_has_committed() {
    let mut c = Cluster::led_by_0_without_delegation(3);
    c.put(0, "p", "k", "v");
    // The put reaches replica 2 alone (new entries take turns among the
    // followers); its answer lets 0 commit and answer, and 0 crashes
    // before telling anyone the new commit index.
    c.deliver(|m| m.src == id(0) && m.dst == id(2) && is_append(m));
    c.deliver(|m| m.src == id(2) && m.dst == id(0));
    assert_eq!(c.answers("p"), vec![(id(0), Answer::Committed("v".into()))]);
    c.crash(0);
    c.drop_where(|_| true);
    let entry = c.node(2).log().last_index();
    assert!(
        c.node(2).commit_index() < entry,
        "2 holds the put, not its commit"
    );

    // Replica 2 wins the next election: its log holds the put.
    c.now += ms(5000);
    c.time_out(2);
    while c.node(2).role() != Role::Leader {
        assert!(c.deliver(|m| !is_append(m)) > 0, "the election stalled");
    }
    // A get of k must not be served from 2's state machine yet: it has not
    // applied the put the client was told of. It waits for the first
    // commit of 2's term, which commits the put with it.
    c.get(2, "g", "k");
    assert_eq!(c.answers("g"), vec![]);
    c.settle();
    assert_eq!(c.answers("g"), vec![(id(2), Answer::Read("v".into()))]);
}

/// A refused append answer from `from` to `to`, carrying `term`.
fn refusal_in_term(from: u16, to: u16, term: u64) -> Msg {
    Msg {
        src: id(from),
        dst: id(to),
        leader: wire::NodeId::BROADCAST,
        body: Body::AppendResponse(wire::AppendResponse {
            term,
            success: false,
            match_index: 0,
            hint_term: None,
            sent_at: 0,
            relayed: Vec::new(),
            owed: Vec::new(),
            answered: Vec::new(),
            answers_fence: 0,
        }),
    }
}

#[test]
fn a_leader_that_sees_a_higher_term_steps_down() {
    let mut c = Cluster::led_by_0(3);
    let term = c.node(0).term();
    c.in_flight.push(refusal_in_term(1, 0, term + 5));
    c.deliver(|_| true);
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(c.node(0).term(), term + 5);
}

#[test]
fn a_message_claiming_a_term_beyond_reason_is_ignored() {
    let mut c = Cluster::led_by_0(3);
    let term = c.node(0).term();
    for claimed in [consensus::MAX_PEER_TERM + 1, u64::MAX] {
        c.in_flight.push(refusal_in_term(1, 0, claimed));
        c.deliver(|_| true);
        assert_eq!(c.node(0).role(), Role::Leader);
        assert_eq!(c.node(0).term(), term);
    }
    // The cluster goes on: a put still commits.
    c.put(0, "p", "k", "v");
    c.settle();
    assert!(!c.answers("p").is_empty());
}
