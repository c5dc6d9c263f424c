//! Optional timing overrides from the environment, for experiments.
//!
//! | variable | `Config` field | unit |
//! |---|---|---|
//! | `KVSTORE_HEARTBEAT_MS` | `heartbeat_interval` | ms |
//! | `KVSTORE_IDLE_HEARTBEAT_MS` | `idle_heartbeat_interval` | ms |
//! | `KVSTORE_IDLE_AFTER_MS` | `idle_after` | ms |
//! | `KVSTORE_ELECTION_MS` | `election_timeout` | ms |
//! | `KVSTORE_LEASE_MS` | `lease` | ms |
//! | `KVSTORE_RETRANSMIT_MS` | `retransmit_timeout` | ms (fractions allowed) |
//! | `KVSTORE_PATIENCE_MS` | `response_patience` | ms (fractions allowed) |
//! | `KVSTORE_EAGER` | `eager_followers` | count |
//! | `KVSTORE_PRE_VOTE` | `pre_vote` | `0` or `1` |
//! | `KVSTORE_RELAY` | `relay` | `0` or `1` |
//! | `KVSTORE_DELEGATE` | `delegate_answers` | `0` or `1` |
//! | `KVSTORE_CUT_OFF_HOLD_MS` | `cut_off_hold` | ms, or `off` for `None` |
//! | `KVSTORE_STALL_HOLD_MS` | `stalled_commit_hold` | ms, or `off` for `None` |

use anyhow::{bail, Context, Result};
use consensus::Config;
use std::time::Duration;

fn millis(name: &str) -> Result<Option<Duration>> {
    let Ok(raw) = std::env::var(name) else {
        return Ok(None);
    };
    let ms: f64 = raw
        .parse()
        .with_context(|| format!("{name}={raw:?} is not a number of milliseconds"))?;
    if !(ms.is_finite() && ms > 0.0) {
        bail!("{name}={raw:?} must be positive");
    }
    let duration = Duration::try_from_secs_f64(ms / 1000.0)
        .with_context(|| format!("{name}={raw:?} is too long a time"))?;
    Ok(Some(duration))
}

/// Like [`millis`], where `off` stands for `None`.
fn millis_or_off(name: &str) -> Result<Option<Option<Duration>>> {
    if std::env::var(name).as_deref() == Ok("off") {
        return Ok(Some(None));
    }
    Ok(millis(name)?.map(Some))
}

fn flag(name: &str) -> Result<Option<bool>> {
    let Ok(raw) = std::env::var(name) else {
        return Ok(None);
    };
    match raw.as_str() {
        "0" => Ok(Some(false)),
        "1" => Ok(Some(true)),
        _ => bail!("{name}={raw:?} must be 0 or 1"),
    }
}

/// Applies every variable that is set, then re-checks the configuration.
pub fn apply_env(cfg: &mut Config) -> Result<()> {
    if let Some(d) = millis("KVSTORE_HEARTBEAT_MS")? {
        cfg.heartbeat_interval = d;
    }
    if let Some(d) = millis("KVSTORE_IDLE_HEARTBEAT_MS")? {
        cfg.idle_heartbeat_interval = d;
    }
    if let Some(d) = millis("KVSTORE_IDLE_AFTER_MS")? {
        cfg.idle_after = Some(d);
    }
    if let Some(d) = millis("KVSTORE_ELECTION_MS")? {
        cfg.election_timeout = d;
    }
    if let Some(d) = millis("KVSTORE_LEASE_MS")? {
        cfg.lease = d;
    }
    if let Some(d) = millis("KVSTORE_RETRANSMIT_MS")? {
        cfg.retransmit_timeout = d;
    }
    if let Some(d) = millis("KVSTORE_PATIENCE_MS")? {
        cfg.response_patience = d;
    }
    if let Ok(raw) = std::env::var("KVSTORE_EAGER") {
        let n: usize = raw
            .parse()
            .with_context(|| format!("KVSTORE_EAGER={raw:?} is not a count"))?;
        cfg.eager_followers = Some(n);
    }
    if let Some(on) = flag("KVSTORE_PRE_VOTE")? {
        cfg.pre_vote = on;
    }
    if let Some(on) = flag("KVSTORE_RELAY")? {
        cfg.relay = on;
    }
    if let Some(on) = flag("KVSTORE_DELEGATE")? {
        cfg.delegate_answers = on;
    }
    if let Some(d) = millis_or_off("KVSTORE_CUT_OFF_HOLD_MS")? {
        cfg.cut_off_hold = d;
    }
    if let Some(d) = millis_or_off("KVSTORE_STALL_HOLD_MS")? {
        cfg.stalled_commit_hold = d;
    }
    cfg.validate()
        .context("timing variables contradict each other")?;
    Ok(())
}
