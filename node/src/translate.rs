//! Between the assignment's client messages and the core's requests and
//! replies, for any state machine that can serve them.

use crate::logging::{log_at, Level};
use consensus::{Answer, ClientRequest, Operation, Output, Reply};
use statemachine::{KvCommand, KvQuery, KvStore, StateMachine};
use wire::{Body, Message, NodeId};

/// A state machine the simulator's clients can drive.
///
/// The assignment's clients know two requests: a `get` of a key, whose
/// `ok` carries a string, and a `put` of a key and a value. A machine that
/// says what command a put becomes, what query a get becomes, and what
/// string a get's output is answered with can be served by this crate as
/// it stands: replication, leases, redirects and answers are the core's,
/// and none of them looks inside a command.
pub trait GetPutMachine: StateMachine {
    /// The command a client's put of `value` at `key` becomes. Every put is
    /// replicated and answered `ok` (the node answers `fail` only to a
    /// request too large to replicate), so a value the machine cannot use
    /// must still become some command, one that changes nothing if need
    /// be. The `ok` carries no value: applying the command's output is
    /// not sent back.
    fn put(key: String, value: String) -> Self::Command;
    /// The query a client's get of `key` becomes.
    fn get(key: String) -> Self::Query;
    /// The value a get's `ok` carries, from its query's output.
    fn value(output: Self::Output) -> String;
}

/// The key-value map that `3700kvstore` serves: a put sets the key, a get
/// reads it.
impl GetPutMachine for KvStore {
    fn put(key: String, value: String) -> KvCommand {
        KvCommand { key, value }
    }

    fn get(key: String) -> KvQuery {
        KvQuery { key }
    }

    fn value(output: String) -> String {
        output
    }
}

/// The core's request type for a machine's commands and queries.
pub type Request<SM> = ClientRequest<<SM as StateMachine>::Command, <SM as StateMachine>::Query>;

/// The largest client request, in bytes of its datagram, that the node
/// hands to the core. A put becomes a log entry, and every entry must fit
/// in one `append` with room to spare for the append's own fields; a put
/// too large for that could never be replicated, and would stall the log
/// behind it until the leader lost office. The assignment's requests are
/// under 200 bytes, so a quarter of a datagram leaves room for any
/// experiment.
pub const MAX_CLIENT_REQUEST: usize = wire::MAX_DATAGRAM / 4;

/// The `fail` a client gets at once for a request larger than
/// [`MAX_CLIENT_REQUEST`] (`size` bytes); `None` for any other message.
pub fn refusal_if_too_large<C>(me: NodeId, msg: &Message<C>, size: usize) -> Option<Message<C>> {
    if size <= MAX_CLIENT_REQUEST || !matches!(msg.body, Body::Get { .. } | Body::Put { .. }) {
        return None;
    }
    Some(Message {
        src: me,
        dst: msg.src,
        leader: NodeId::BROADCAST,
        body: Body::Fail {
            mid: msg.mid()?.to_string(),
        },
    })
}

/// A client's `get` or `put` as a core request; `None` for anything else.
pub fn client_request<SM: GetPutMachine>(msg: &Message<SM::Command>) -> Option<Request<SM>> {
    let op = match &msg.body {
        Body::Get { key, .. } => Operation::Query(SM::get(key.clone())),
        Body::Put { key, value, .. } => Operation::Command(SM::put(key.clone(), value.clone())),
        _ => return None,
    };
    Some(ClientRequest {
        client: msg.src,
        mid: msg.mid()?.to_string(),
        op,
    })
}

/// The message that carries a core reply to its client. `leader` is the
/// replica's current belief, used unless the reply names one itself.
pub fn reply_message<SM: GetPutMachine>(
    me: NodeId,
    leader: Option<NodeId>,
    reply: Reply<SM::Output>,
) -> Message<SM::Command> {
    let (leader, body) = match reply.answer {
        Answer::Committed(_) | Answer::Vouched(_) => (
            leader,
            Body::Ok {
                mid: reply.mid,
                value: None,
            },
        ),
        Answer::Read(output) => (
            leader,
            Body::Ok {
                mid: reply.mid,
                value: Some(SM::value(output)),
            },
        ),
        Answer::Redirect(to) => (Some(to), Body::Redirect { mid: reply.mid }),
    };
    Message {
        src: me,
        dst: reply.client,
        leader: NodeId::or_unknown(leader),
        body,
    }
}

/// Everything a step produced, as messages in the order they must be
/// sent: client answers first, then the messages to other replicas.
///
/// The order is a safety rule, not a courtesy. A message to a follower
/// may carry a commit index that covers a write answered in the same
/// output, and a replica that learns of a commit from the leader of the
/// write's own term takes the write as answered (the consensus crate's
/// `unconfirmed.rs`). Were the leader killed between the two sends, the
/// follower would believe an answer the client never got, and a later
/// read by that client would reveal the write unannounced. It also
/// serves delegated answers: a relay chain's last follower answers a put
/// and then reports to the leader, and the simulator handles one
/// datagram at a time, so an answer queued behind the report would wait.
pub fn in_sending_order<SM: GetPutMachine>(
    me: NodeId,
    leader: Option<NodeId>,
    out: Output<SM::Command, SM::Output>,
) -> impl Iterator<Item = Message<SM::Command>> {
    let answers = out.replies.into_iter().map(move |reply| {
        log_at!(
            Level::Debug,
            "answer {} to {}: {:?}",
            reply.mid,
            reply.client,
            reply.answer
        );
        reply_message::<SM>(me, leader, reply)
    });
    answers.chain(out.messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_client(body: Body<KvCommand>) -> Message<KvCommand> {
        Message {
            src: NodeId(0x15),
            dst: NodeId(0),
            leader: NodeId::BROADCAST,
            body,
        }
    }

    #[test]
    fn get_and_put_become_query_and_command() {
        let get = client_request::<KvStore>(&from_client(Body::Get {
            mid: "m".into(),
            key: "k".into(),
        }))
        .unwrap();
        assert_eq!(get.op, Operation::Query(KvQuery { key: "k".into() }));
        assert_eq!((get.client, get.mid.as_str()), (NodeId(0x15), "m"));
        let put = client_request::<KvStore>(&from_client(Body::Put {
            mid: "m".into(),
            key: "k".into(),
            value: "v".into(),
        }))
        .unwrap();
        assert!(matches!(put.op, Operation::Command(KvCommand { .. })));
        assert!(client_request::<KvStore>(&from_client(Body::Fail { mid: "x".into() })).is_none());
    }

    #[test]
    fn only_a_client_request_too_large_to_replicate_is_refused() {
        let put = from_client(Body::Put {
            mid: "m".into(),
            key: "k".into(),
            value: "v".into(),
        });
        let me = NodeId(0);
        assert!(refusal_if_too_large(me, &put, MAX_CLIENT_REQUEST).is_none());
        let refusal = refusal_if_too_large(me, &put, MAX_CLIENT_REQUEST + 1).unwrap();
        assert_eq!((refusal.src, refusal.dst), (me, NodeId(0x15)));
        assert!(matches!(refusal.body, Body::Fail { ref mid } if mid == "m"));
        let get = from_client(Body::Get {
            mid: "g".into(),
            key: "k".into(),
        });
        assert!(refusal_if_too_large(me, &get, MAX_CLIENT_REQUEST + 1).is_some());
        let ok = from_client(Body::Ok {
            mid: "o".into(),
            value: None,
        });
        assert!(refusal_if_too_large(me, &ok, wire::MAX_DATAGRAM).is_none());
    }

    #[test]
    fn a_put_ok_has_no_value_a_get_ok_has_one_and_a_redirect_names_the_leader() {
        let reply = |answer| Reply {
            client: NodeId(0x15),
            mid: "m".into(),
            answer,
        };
        let put = reply_message::<KvStore>(
            NodeId(1),
            Some(NodeId(1)),
            reply(Answer::Committed("v".into())),
        );
        assert_eq!(
            put.body,
            Body::Ok {
                mid: "m".into(),
                value: None
            }
        );
        assert_eq!(
            (put.src, put.dst, put.leader),
            (NodeId(1), NodeId(0x15), NodeId(1))
        );
        let vouched = reply_message::<KvStore>(
            NodeId(1),
            Some(NodeId(1)),
            reply(Answer::Vouched("v".into())),
        );
        assert_eq!(
            vouched.body, put.body,
            "a vouched put is answered as any put"
        );
        let get = reply_message::<KvStore>(
            NodeId(1),
            Some(NodeId(1)),
            reply(Answer::Read(String::new())),
        );
        assert_eq!(
            get.body,
            Body::Ok {
                mid: "m".into(),
                value: Some(String::new())
            }
        );
        let redirect =
            reply_message::<KvStore>(NodeId(1), None, reply(Answer::Redirect(NodeId(3))));
        assert_eq!(redirect.leader, NodeId(3));
        assert_eq!(redirect.body, Body::Redirect { mid: "m".into() });
        // The core's target wins over the replica's belief: a replica cut
        // off from the majority sends its clients to anyone, not back to
        // the leader it can no longer reach.
        for target in [NodeId(3), NodeId::BROADCAST] {
            let redirect = reply_message::<KvStore>(
                NodeId(1),
                Some(NodeId(2)),
                reply(Answer::Redirect(target)),
            );
            assert_eq!(redirect.leader, target);
        }
    }

    #[test]
    fn answers_are_sent_before_messages_to_replicas() {
        let to_follower = Message {
            src: NodeId(1),
            dst: NodeId(2),
            leader: NodeId(1),
            body: Body::VoteRequest(wire::VoteRequest {
                term: 3,
                last_log_index: 7,
                last_log_term: 2,
                pre_vote: false,
            }),
        };
        let out: Output<KvCommand, String> = Output {
            messages: vec![to_follower.clone()],
            replies: ["put", "get"]
                .map(|mid| Reply {
                    client: NodeId(0x15),
                    mid: mid.into(),
                    answer: Answer::Committed(String::new()),
                })
                .into(),
        };
        let sent: Vec<_> = in_sending_order::<KvStore>(NodeId(1), Some(NodeId(1)), out).collect();
        let mids: Vec<_> = sent.iter().map(|m| m.mid()).collect();
        assert_eq!(mids, [Some("put"), Some("get"), None]);
        assert_eq!(sent[2], to_follower);
    }
}
