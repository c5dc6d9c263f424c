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

/// One message body of every kind, with optional fields both set and
/// left out.
fn every_body() -> Vec<Body<String>> {
    let entry = Entry::command(
        3,
        ClientCommand {
            client: NodeId(0x15),
            mid: "M".into(),
            op: "op".to_string(),
        },
    );
    vec![
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
            answers_held: vec![],
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
                    sent_at: None,
                    answered: vec![],
                    answers_fence: 0,
                }],
                delegated: vec![9],
            }),
            owed_taken: vec![4, 6],
            answers_settled: 6,
            answers_held: vec![5, 7],
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
                sent_at: Some(101),
                answered: vec![7],
                answers_fence: 9,
            }],
            owed: vec![],
            answered: vec![8, 9],
            answers_fence: 9,
        }),
    ]
}

#[test]
fn every_body_round_trips() {
    for body in every_body() {
        let m = msg(body);
        assert_eq!(round_trip(&m), m);
    }
}

/// What `decode` answers, set against `Message`'s derived `Deserialize`,
/// which it must agree with (it only takes a cheaper route).
fn agrees_with_derived(input: &str) -> Option<Msg> {
    let fast = decode::<String>(input.as_bytes());
    let derived = serde_json::from_str::<Msg>(input);
    match (fast, derived) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{input}");
            Some(a)
        }
        (Err(_), Err(_)) => None,
        (a, b) => panic!("decode said {a:?}, the derived decoder {b:?}, on {input}"),
    }
}

#[test]
fn decode_agrees_with_the_derived_decoder() {
    for body in every_body() {
        let text = String::from_utf8(encode(&msg(body)).unwrap()).unwrap();
        assert!(agrees_with_derived(&text).is_some(), "rejected {text}");
        // `type` last, and keys the schema does not know, change nothing.
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).unwrap();
        let mut reordered: Vec<_> = object.into_iter().collect();
        reordered.sort_by_key(|(k, _)| k == "type");
        reordered.push(("extra".into(), serde_json::json!({"deep": [1, "x"]})));
        let reordered = serde_json::Value::Object(reordered.into_iter().collect()).to_string();
        assert!(
            agrees_with_derived(&reordered).is_some(),
            "rejected {reordered}"
        );
    }
    let odd = [
        // An escaped `type` is still `get`.
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"g\u0065t","MID":"m","key":"k"}"#,
        r#"{"type":"ok","MID":"m","value":null,"src":"0001","dst":"0002","leader":"FFFF"}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"ok","MID":"m"}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"vote_request","term":1,"last_log_index":0,"last_log_term":0}"#,
        // Malformed, each in its own way.
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"put","MID":"m","key":"k"}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"put","MID":"m","key":"k","value":1}"#,
        r#"{"src":"0001","dst":"0002","type":"hello","MID":"m"}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"hello","MID":"m","src":"0003"}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"vote_response","term":1}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"append_response","term":1,"success":true}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"append","term":1,"prev_index":0,"prev_term":0,"commit":0,"relay":{"path":[]}}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"Get","MID":"m","key":"k"}"#,
        r#"{"src":"0001","dst":"0002","leader":"FFFF","type":"get","MID":"m","key":"k"} trailing"#,
    ];
    let accepted: Vec<bool> = odd
        .iter()
        .map(|t| agrees_with_derived(t).is_some())
        .collect();
    assert_eq!(accepted.iter().filter(|a| **a).count(), 4, "{accepted:?}");
    // The one difference: the derived decoder takes a number for `type` as
    // the index of a variant (5 is `redirect`); `decode` wants its name.
    let numbered = r#"{"src":"0001","dst":"0002","leader":"FFFF","type":5,"MID":"m"}"#;
    assert!(serde_json::from_str::<Msg>(numbered).is_ok());
    assert!(decode::<String>(numbered.as_bytes()).is_err());
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
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"append","term":1,"prev_index":0,"prev_term":0}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"put","MID":"m","key":"k"}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"fail"}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"redirect"}"#,
        br#"{"src":"0001","dst":"0002","leader":"FFFF","type":"hello"}"#,
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

/// The terms change every 50 entries, so that a part's first and last
/// entries differ in term and each part's `prev_term` must be its
/// predecessor's last.
#[test]
fn oversized_append_is_split_into_valid_consecutive_batches() {
    let entries: Vec<Entry<String>> = (0..400)
        .map(|i| {
            Entry::command(
                1 + i / 50,
                ClientCommand {
                    client: NodeId(0x15),
                    mid: format!("m{i}"),
                    op: "x".repeat(400),
                },
            )
        })
        .collect();
    let m = msg(Body::Append(AppendEntries {
        term: 8,
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
        answers_held: vec![],
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
