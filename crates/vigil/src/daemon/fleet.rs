//! Several replicas, one organisation (issue 13, item 2): daemons with the same
//! configuration and one PostgreSQL store divide the work between them.
//!
//! * Scans: each firing of a schedule is a cycle (the schedule's name and its time
//!   before jitter, which every replica computes alike). A replica walks the targets
//!   and claims each (cycle, target) in the store just before scanning it: the first
//!   claim wins, so every account is scanned once per cycle, by whichever replica got
//!   to it first, and a replica that starts late finds the cycle's work already taken.
//!   While it scans, the replica holds the lease `scan:<target>` and renews it every
//!   third of its time; a replica that loses it (a long pause, the database out of
//!   reach) cancels the scan. A replica killed with SIGKILL stops renewing: its running
//!   scan is marked interrupted by another replica once the lease has expired, and the
//!   account is scanned again in the next cycle.
//! * Delivery: each sink's outbox is delivered under the lease `deliver:<sink>`, so one
//!   replica at a time delivers it, in order; events keep their ids, so a takeover
//!   after a crash between sending and marking may repeat an event, never rename it.
//!
//! Without a PostgreSQL store there is no fleet: one daemon per SQLite file, and none
//! of this runs.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use super::Daemon;

/// This replica's identity and its lease time.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// `host:pid:random`: unique even when a restarted pod reuses its name and pid 1.
    pub replica: String,
    pub lease: Duration,
}

impl Fleet {
    pub fn new(lease_secs: u64) -> Fleet {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "vigil".to_owned());
        Fleet {
            replica: format!("{host}:{}:{:08x}", std::process::id(), fastrand::u32(..)),
            lease: Duration::from_secs(lease_secs),
        }
    }

    pub fn ttl(&self) -> TimeDelta {
        TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::seconds(60))
    }

    /// How often a held lease is renewed.
    pub fn heartbeat(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(500))
    }
}

/// Runs one store call off the runtime; an error is logged and counts as `false`.
async fn store_bool(
    daemon: &Arc<Daemon>,
    what: &'static str,
    f: impl FnOnce(&dyn vigil_store::Store) -> vigil_store::Result<bool> + Send + 'static,
) -> Option<bool> {
    let store = Arc::clone(&daemon.store);
    match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
        Ok(Ok(won)) => Some(won),
        Ok(Err(err)) => {
            tracing::error!(error = %err, "{what} failed");
            None
        }
        Err(err) => {
            tracing::error!(error = %err, "{what} task failed");
            None
        }
    }
}

/// Takes (or extends) the lease `name`. `false` when another replica holds it or the
/// store cannot be reached.
pub async fn acquire(daemon: &Arc<Daemon>, fleet: &Fleet, name: &str) -> bool {
    let (name, holder, ttl) = (name.to_owned(), fleet.replica.clone(), fleet.ttl());
    store_bool(daemon, "acquiring a lease", move |s| {
        s.acquire_lease(&name, &holder, ttl, Utc::now())
    })
    .await
    .unwrap_or(false)
}

/// Gives the lease up, so another replica need not wait for it to expire.
pub async fn release(daemon: &Arc<Daemon>, fleet: &Fleet, name: &str) {
    let (name, holder) = (name.to_owned(), fleet.replica.clone());
    store_bool(daemon, "releasing a lease", move |s| {
        s.release_lease(&name, &holder)
    })
    .await;
}

/// Claims `target` in `cycle` for this replica: `true` if it is ours to scan.
pub async fn claim(
    daemon: &Arc<Daemon>,
    fleet: &Fleet,
    cycle: &vigil_store::Cycle,
    target: &str,
) -> bool {
    let (cycle, target, holder) = (cycle.clone(), target.to_owned(), fleet.replica.clone());
    store_bool(daemon, "claiming an account for the cycle", move |s| {
        s.claim_cycle(&cycle, &target, &holder, Utc::now())
    })
    .await
    .unwrap_or(false)
}

/// Renews the lease `name` every heartbeat until `done`; cancels `lost` (and returns)
/// when the lease is lost, or when no renewal succeeded for a whole lease time (the
/// store out of reach: another replica may have taken over by now).
pub async fn heartbeat(
    daemon: Arc<Daemon>,
    fleet: Fleet,
    name: String,
    done: CancellationToken,
    lost: CancellationToken,
) {
    let mut last_ok = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(fleet.heartbeat()) => {}
            () = done.cancelled() => return,
        }
        let (n, holder, ttl) = (name.clone(), fleet.replica.clone(), fleet.ttl());
        match store_bool(&daemon, "renewing a lease", move |s| {
            s.renew_lease(&n, &holder, ttl, Utc::now())
        })
        .await
        {
            Some(true) => last_ok = tokio::time::Instant::now(),
            Some(false) => {
                tracing::error!(lease = %name, replica = %fleet.replica, "lease lost to another replica; stopping its work");
                lost.cancel();
                return;
            }
            None if last_ok.elapsed() >= fleet.lease => {
                tracing::error!(lease = %name, replica = %fleet.replica, "lease not renewed for its whole time; stopping its work");
                lost.cancel();
                return;
            }
            None => {}
        }
    }
}
