//! What goes into a replica from clients, and what comes out of it.

use wire::{Message, NodeId};

/// A client's request, as the replica that received it sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientRequest<C, Q> {
    /// The client that sent it.
    pub client: NodeId,
    /// Its `MID`, echoed in the one answer it gets.
    pub mid: String,
    /// What it asks for.
    pub op: Operation<C, Q>,
}

/// A write that must go through the log, or a read that need not.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation<C, Q> {
    /// A state-machine command (a put).
    Command(C),
    /// A read-only query (a get).
    Query(Q),
}

/// The one answer a client request gets.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply<O> {
    /// The client to answer.
    pub client: NodeId,
    /// The request's `MID`.
    pub mid: String,
    /// The answer.
    pub answer: Answer<O>,
}

/// The kinds of answer a replica gives. There is no "fail": a request that
/// cannot be served yet waits until it can be served or redirected.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<O> {
    /// The command was committed and applied; this is what applying it returned.
    Committed(O),
    /// The command was committed and applied, and another replica may
    /// have answered it too: a leader answers so just before a read by
    /// the same client would reveal the write (see `unconfirmed.rs`), on
    /// behalf of the old leader that accepted it and learned of its
    /// commit too late (see `owed_answers.rs`), or after the follower it
    /// left the answer to went silent (see `delegated_answers.rs`).
    Vouched(O),
    /// The query's result, read by a leader that holds its lease.
    Read(O),
    /// Ask this replica instead: it is the leader.
    Redirect(NodeId),
}

/// What a replica wants done after a call: messages for other replicas
/// and answers for clients. Drained by [`Replica::take_output`](crate::Replica::take_output).
///
/// Send the replies before the messages. A message may tell another
/// replica of a commit that covers a write answered among the replies,
/// and a replica that learns of a commit from the leader of the write's
/// own term takes the write as answered (`unconfirmed.rs`): a crash
/// between the two must not leave it believing an answer that was never
/// sent.
#[derive(Clone, Debug)]
pub struct Output<C, O> {
    /// Messages to send, already addressed.
    pub messages: Vec<Message<C>>,
    /// Answers to send to clients.
    pub replies: Vec<Reply<O>>,
}

impl<C, O> Default for Output<C, O> {
    fn default() -> Self {
        Output {
            messages: Vec::new(),
            replies: Vec::new(),
        }
    }
}

impl<C, O> Output<C, O> {
    /// True when there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.replies.is_empty()
    }
}
