//! Between the assignment's client messages and the core's requests and
//! replies.

use consensus::{Answer, ClientRequest, Operation, Reply};
use statemachine::{KvCommand, KvQuery};
use wire::{Body, Message, NodeId};

/// The core's request type for the key-value store.
pub type KvRequest = ClientRequest<KvCommand, KvQuery>;

/// A client's `get` or `put` as a core request; `None` for anything else.
pub fn client_request(msg: &Message<KvCommand>) -> Option<KvRequest> {
    let op = match &msg.body {
        Body::Get { key, .. } => Operation::Query(KvQuery { key: key.clone() }),
        Body::Put { key, value, .. } => Operation::Command(KvCommand {
            key: key.clone(),
            value: value.clone(),
        }),
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
pub fn reply_message(
    me: NodeId,
    leader: Option<NodeId>,
    reply: Reply<String>,
) -> Message<KvCommand> {
    let (leader, body) = match reply.answer {
        Answer::Committed(_) | Answer::Vouched(_) => (
            leader,
            Body::Ok {
                mid: reply.mid,
                value: None,
            },
        ),
        Answer::Read(value) => (
            leader,
            Body::Ok {
                mid: reply.mid,
                value: Some(value),
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
        let get = client_request(&from_client(Body::Get {
            mid: "m".into(),
            key: "k".into(),
        }))
        .unwrap();
        assert_eq!(get.op, Operation::Query(KvQuery { key: "k".into() }));
        assert_eq!((get.client, get.mid.as_str()), (NodeId(0x15), "m"));
        let put = client_request(&from_client(Body::Put {
            mid: "m".into(),
            key: "k".into(),
            value: "v".into(),
        }))
        .unwrap();
        assert!(matches!(put.op, Operation::Command(KvCommand { .. })));
        assert!(client_request(&from_client(Body::Fail { mid: "x".into() })).is_none());
    }

    #[test]
    fn a_put_ok_has_no_value_a_get_ok_has_one_and_a_redirect_names_the_leader() {
        let reply = |answer| Reply {
            client: NodeId(0x15),
            mid: "m".into(),
            answer,
        };
        let put = reply_message(
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
        let vouched = reply_message(
            NodeId(1),
            Some(NodeId(1)),
            reply(Answer::Vouched("v".into())),
        );
        assert_eq!(
            vouched.body, put.body,
            "a vouched put is answered as any put"
        );
        let get = reply_message(
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
        let redirect = reply_message(NodeId(1), None, reply(Answer::Redirect(NodeId(3))));
        assert_eq!(redirect.leader, NodeId(3));
        assert_eq!(redirect.body, Body::Redirect { mid: "m".into() });
    }
}
