//! The command line: `3700kvstore <UDP port> <own id> <other ids...>`.

use wire::NodeId;

/// Printed, with the problem, when the command line is wrong; `program`
/// is the name the program was started by.
pub fn usage(program: &str) -> String {
    format!(
        "usage: {program} <UDP port> <own id> <other replica ids...>\n  \
         ids are four hexadecimal digits, e.g. 0000 0A1F; at least one other replica is required"
    )
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The simulator's UDP port on localhost, where every message goes.
    pub port: u16,
    /// This replica's id.
    pub id: NodeId,
    /// The other replicas' ids.
    pub peers: Vec<NodeId>,
}

/// Parses the arguments after the program name, or says what is wrong.
pub fn parse(args: &[String]) -> Result<Options, String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return Err("help requested".into());
    }
    let [port, id, others @ ..] = args else {
        return Err("missing arguments".into());
    };
    if others.is_empty() {
        return Err("at least one other replica id is required".into());
    }
    let port: u16 = port
        .parse()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| format!("invalid UDP port {port:?}"))?;
    let parse_id = |s: &String| s.parse::<NodeId>().map_err(|e| e.to_string());
    let id = parse_id(id)?;
    let peers = others.iter().map(parse_id).collect::<Result<Vec<_>, _>>()?;
    if id == NodeId::BROADCAST || peers.contains(&NodeId::BROADCAST) {
        return Err("FFFF is the broadcast address, not a replica id".into());
    }
    if peers.contains(&id) {
        return Err(format!("own id {id} is also listed as another replica"));
    }
    let mut distinct = peers.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != peers.len() {
        return Err("replica ids must be distinct".into());
    }
    Ok(Options { port, id, peers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_the_assignments_form() {
        let o = parse(&args("5555 0001 0000 0002 0a1f")).unwrap();
        assert_eq!(o.port, 5555);
        assert_eq!(o.id, NodeId(1));
        assert_eq!(o.peers, vec![NodeId(0), NodeId(2), NodeId(0x0A1F)]);
    }

    #[test]
    fn rejects_what_cannot_work() {
        for bad in [
            "",
            "5555",
            "5555 0001",
            "port 0001 0002",
            "0 0001 0002",
            "70000 0001 0002",
            "5555 1 0002",
            "5555 0001 0001",
            "5555 0001 0002 0002",
            "5555 FFFF 0002",
            "5555 0001 FFFF",
            "--help",
        ] {
            assert!(parse(&args(bad)).is_err(), "accepted {bad:?}");
        }
    }
}
