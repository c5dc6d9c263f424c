//! Idle leader stories: heartbeat answers, an idle leader asking for no
//! answers, its lease kept fresh, and its followers waiting for it longer.

mod common;

use common::*;
use consensus::Answer;
use wire::Body;

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
