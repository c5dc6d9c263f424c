//! Round-trips of every message type, the assignment's own examples, the
//! rejection of bad input, and the splitting of oversized batches.

use wire::*;

type Msg = Message<String>;

fn msg(body: Body<String>) -> Msg {
    Message {
        src: NodeId(1),
        dst: NodeId(2),
        leader: NodeId::BROADCAST,
        body,
    }
}

fn round_trip(m: &Msg) -> Msg {
    decode(&encode(m).unwrap()).unwrap()
}

#[test]
fn every_body_round_trips() {
    let entry = Entry::command(
        3,
        ClientCommand {
            client: NodeId(0x15),
            mid: "M".into(),
            op: "op".to_string(),
        },
    );
    let bodies = vec![
        Body::Hello { mid: "h".into() },
        Body::Get {
            mid: "g".into(),
            key: "k".into(),
        },
        Body::Put {
            mid: "p".into(),
            key: "k".into(),
            value: "v".into(),
        },
        Body::Ok {
            mid: "o".into(),
            value: Some("v".into()),
        },
        Body::Ok {
            mid: "o".into(),
            value: None,
        },
        Body::Fail { mid: "f".into() },
        Body::Redirect { mid: "r".into() },
        Body::VoteRequest(VoteRequest {
            term: 4,
            last_log_index: 9,
            last_log_term: 3,
            pre_vote: true,
        }),
        Body::VoteResponse(VoteResponse {
            term: 4,
            granted: true,
            pre_vote: false,
        }),
        Body::Append(AppendEntries {
            term: 4,
            prev_index: 8,
            prev_term: 3,
            entries: vec![entry, Entry::noop(4)],
            commit: 7,
            sent_at: 123,
            quiet: true,
            idle: true,
            relay: None,
            owed_taken: vec![],
            answers_settled: 0,
        }),
        Body::Append(AppendEntries {
            term: 4,
            prev_index: 8,
            prev_term: 3,
            entries: vec![Entry::noop(4)],
            commit: 7,
            sent_at: 123,
            quiet: false,
            idle: false,
            relay: Some(Relay {
                leader: NodeId(1),
                path: vec![NodeId(3)],
                reports: vec![RelayReport {
                    follower: NodeId(2),
                    success: false,
                    match_index: 7,
                    hint_term: Some(3),
                    owed: vec![6],
                }],
                delegated: vec![9],
            }),
            owed_taken: vec![4, 6],
            answers_settled: 6,
        }),
        Body::AppendResponse(AppendResponse {
            term: 4,
            success: false,
            match_index: 5,
            hint_term: Some(2),
            sent_at: 123,
            relayed: vec![],
            owed: vec![3, 4],
            answered: vec![],
            answers_fence: 0,
        }),
        Body::AppendResponse(AppendResponse {
            term: 4,
            success: true,
            match_index: 9,
            hint_term: None,
            sent_at: 123,
            relayed: vec![RelayReport {
                follower: NodeId(2),
                success: true,
                match_index: 9,
                hint_term: None,
                owed: vec![],
            }],
            owed: vec![],
            answered: vec![8, 9],
            answers_fence: 9,
        }),
    ];
    for body in bodies {
        let m = msg(body);
        assert_eq!(round_trip(&m), m);
    }
}

#[test]
fn decodes_the_assignments_examples() {
    let get = br#"{"src": "001A", "dst": "0001", "leader": "FFFF",
               "type": "get", "MID": "4D61ACF83027", "key": "name"}"#;
    let m: Msg = decode(get).unwrap();
    assert_eq!(m.src, NodeId(0x1A));
    assert_eq!(m.leader.known(), None);
    assert_eq!(
        m.body,
        Body::Get {
            mid: "4D61ACF83027".into(),
            key: "name".into()
        }
    );
    let put = br#"{"src": "001A", "dst": "0000", "leader": "0000", "type": "put",
                  "MID": "X", "key": "k", "value": "Christo Wilson"}"#;
    assert!(matches!(
        decode::<String>(put).unwrap().body,
        Body::Put { .. }
    ));
}

#[test]
fn ok_for_a_get_carries_value_and_for_a_put_does_not() {
    let get_ok = encode(&msg(Body::Ok {
        mid: "a".into(),
        value: Some(String::new()),
    }))
    .unwrap();
    let text = String::from_utf8(get_ok).unwrap();
    assert!(text.contains(r#""value":"""#), "{text}");
    let put_ok = String::from_utf8(
        encode(&msg(Body::Ok {
            mid: "a".into(),
            value: None,
        }))
        .unwrap(),
    )
    .unwrap();
    assert!(!put_ok.contains("value"), "{put_ok}");
    for key in [
        "\"src\":\"0001\"",
        "\"dst\":\"0002\"",
        "\"leader\":\"FFFF\"",
        "\"type\":\"ok\"",
    ] {
        assert!(put_ok.contains(key), "{put_ok} lacks {key}");
    }
}

#[test]
fn rejects_bad_input_without_panicking() {
    let bad: &[&[u8]] = &[
        b"",
        b"\xff\xfe",
        b"not json",
        b"[1,2,3]",
        b"{}",
        br#"{"src":"0001","dst":"0002","leader":"FFFF"}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"nonsense"}"#,
        br#"{"src":"1","dst":"0002","leader":"FFFF","type":"get","MID":"m","key":"k"}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"get","MID":"m"}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"get","MID":5,"key":"k"}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"append","term":-1,"prev_index":0,"prev_term":0,"commit":0}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"append","term":1,"prev_index":0,"prev_term":0,"commit":0,"entries":[{"nope":1}]}"#,
    ];
    for input in bad {
        assert!(
            decode::<String>(input).is_err(),
            "accepted {:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert!(matches!(
        decode::<String>(b"\xff"),
        Err(DecodeError::NotUtf8)
    ));
}

#[test]
fn oversized_append_is_split_into_valid_consecutive_batches() {
    let entries: Vec<Entry<String>> = (0..400)
        .map(|i| {
            Entry::command(
                1 + i / 200,
                ClientCommand {
                    client: NodeId(0x15),
                    mid: format!("m{i}"),
                    op: "x".repeat(400),
                },
            )
        })
        .collect();
    let m = msg(Body::Append(AppendEntries {
        term: 2,
        prev_index: 10,
        prev_term: 1,
        entries: entries.clone(),
        commit: 9,
        sent_at: 0,
        quiet: false,
        idle: false,
        relay: None,
        owed_taken: vec![],
        answers_settled: 0,
    }));
    let datagrams = encode_datagrams(&m).unwrap();
    assert!(datagrams.len() > 1);
    let mut next_prev = 10;
    let mut rebuilt = Vec::new();
    for d in &datagrams {
        assert!(d.len() <= MAX_DATAGRAM);
        let Body::Append(a) = decode::<String>(d).unwrap().body else {
            panic!("not an append")
        };
        assert_eq!(a.prev_index, next_prev);
        if next_prev > 10 {
            assert_eq!(
                a.prev_term,
                rebuilt.last().map(|e: &Entry<String>| e.term).unwrap()
            );
        }
        next_prev += a.entries.len() as u64;
        rebuilt.extend(a.entries);
    }
    assert_eq!(rebuilt, entries);
}

#[test]
fn an_unsplittable_oversized_message_is_an_error() {
    let m = msg(Body::Put {
        mid: "m".into(),
        key: "k".into(),
        value: "v".repeat(MAX_DATAGRAM + 1),
    });
    assert!(matches!(
        encode_datagrams(&m),
        Err(EncodeError::TooLarge(_))
    ));
}
