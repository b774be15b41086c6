//! Leases and cycle claims: two handles on one database (two replicas) contend, and
//! only one wins; an expired lease is taken over; only its holder renews it; a running
//! scan is interrupted only once its holder keeps no live lease (PostgreSQL), or at
//! once (SQLite, one process per file).

use chrono::TimeDelta;
use vigil_store::{Cycle, ScanStatus, ScanTrigger, Store};

use crate::common::*;

const TTL: TimeDelta = TimeDelta::seconds(60);

conformance!(
    a_lease_is_renewed_by_its_holder_only,
    a_cycle_is_claimed_once_per_target;
    two_replicas_contend_and_one_wins,
    an_expired_lease_is_taken_over,
    interrupted_scans_spare_live_holders
);

fn a_lease_is_renewed_by_its_holder_only(store: &dyn Store) {
    let now = sec(0);
    assert!(store.acquire_lease("scan:a", "r1", TTL, now).unwrap());
    assert!(!store.renew_lease("scan:a", "r2", TTL, now).unwrap());
    assert!(store.renew_lease("scan:a", "r1", TTL, sec(30)).unwrap());
    let leases = store.list_leases().unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].holder, "r1");
    assert_eq!(leases[0].expires_at, sec(30) + TTL);
    // Acquiring again is renewing, for the holder.
    assert!(store.acquire_lease("scan:a", "r1", TTL, sec(40)).unwrap());
    // A lease that expired is lost: its holder cannot renew it, only take it again.
    assert!(!store.renew_lease("scan:a", "r1", TTL, sec(200)).unwrap());
    assert!(!store.release_lease("scan:a", "r2").unwrap());
    assert!(store.release_lease("scan:a", "r1").unwrap());
    assert!(store.list_leases().unwrap().is_empty());
    assert!(store.acquire_lease("", "r1", TTL, now).is_err());
    assert!(
        store
            .acquire_lease("x", "r1", TimeDelta::zero(), now)
            .is_err()
    );
}

fn a_cycle_is_claimed_once_per_target(store: &dyn Store) {
    let cycle = Cycle {
        schedule: "hourly".into(),
        fire_at: sec(0),
    };
    let next = Cycle {
        fire_at: sec(3600),
        ..cycle.clone()
    };
    assert!(store.claim_cycle(&cycle, "prod", "r1", sec(1)).unwrap());
    assert!(!store.claim_cycle(&cycle, "prod", "r2", sec(2)).unwrap());
    assert!(!store.claim_cycle(&cycle, "prod", "r1", sec(2)).unwrap());
    assert!(store.claim_cycle(&cycle, "dev", "r2", sec(2)).unwrap());
    assert!(store.claim_cycle(&next, "prod", "r2", sec(3601)).unwrap());
    assert_eq!(
        store.cycle_claims(&cycle).unwrap(),
        [
            ("dev".to_owned(), "r2".to_owned()),
            ("prod".to_owned(), "r1".to_owned())
        ]
    );
}

/// Two replicas, each with its own connection, race for the same leases and claims
/// from several threads: each lease and each claim has exactly one winner.
fn two_replicas_contend_and_one_wins(test: &TestStore) {
    let first = test.shared();
    let second: std::sync::Arc<dyn Store> = std::sync::Arc::from(test.location().open());
    let cycle = Cycle {
        schedule: "s".into(),
        fire_at: sec(0),
    };
    let wins: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = [(&first, "r1"), (&second, "r2")]
            .into_iter()
            .map(|(store, holder)| {
                let cycle = &cycle;
                scope.spawn(move || {
                    let mut leases = 0;
                    let mut claims = 0;
                    for i in 0..20 {
                        let name = format!("scan:{i}");
                        if store.acquire_lease(&name, holder, TTL, sec(1)).unwrap() {
                            leases += 1;
                        }
                        if store.claim_cycle(cycle, &name, holder, sec(1)).unwrap() {
                            claims += 1;
                        }
                    }
                    (leases, claims)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(wins.iter().map(|w| w.0).sum::<usize>(), 20, "{wins:?}");
    assert_eq!(wins.iter().map(|w| w.1).sum::<usize>(), 20, "{wins:?}");
    let leases = first.list_leases().unwrap();
    assert_eq!(leases.len(), 20);
    for lease in &leases {
        let holder = lease.holder.as_str();
        let other = if holder == "r1" { "r2" } else { "r1" };
        assert!(
            !second
                .acquire_lease(&lease.name, other, TTL, sec(2))
                .unwrap()
        );
        assert!(!first.renew_lease(&lease.name, other, TTL, sec(2)).unwrap());
    }
}

fn an_expired_lease_is_taken_over(test: &TestStore) {
    let first = test.shared();
    let second = test.location().open();
    assert!(
        first
            .acquire_lease("deliver:siem", "r1", TTL, sec(0))
            .unwrap()
    );
    assert!(
        !second
            .acquire_lease("deliver:siem", "r2", TTL, sec(59))
            .unwrap()
    );
    assert!(
        second
            .acquire_lease("deliver:siem", "r2", TTL, sec(60))
            .unwrap()
    );
    // The old holder has lost it: no renewal, no release.
    assert!(
        !first
            .renew_lease("deliver:siem", "r1", TTL, sec(61))
            .unwrap()
    );
    assert!(!first.release_lease("deliver:siem", "r1").unwrap());
    let leases = first.list_leases().unwrap();
    assert_eq!(leases[0].holder, "r2");
    assert_eq!(leases[0].expires_at, sec(60) + TTL);
}

fn interrupted_scans_spare_live_holders(test: &TestStore) {
    let store = test.shared();
    let now = chrono::Utc::now();
    let live = store
        .begin_held_scan(ACCOUNT, ScanTrigger::Schedule, now, "alive")
        .unwrap();
    let dead = store
        .begin_held_scan(OTHER_ACCOUNT, ScanTrigger::Schedule, now, "dead")
        .unwrap();
    let lone = store
        .begin_scan("333333333333", ScanTrigger::Api, now)
        .unwrap();
    assert_eq!(store.scan_holder(live).unwrap().as_deref(), Some("alive"));
    assert_eq!(store.scan_holder(lone).unwrap(), None);
    assert!(store.acquire_lease("scan:a", "alive", TTL, now).unwrap());
    assert!(
        store
            .acquire_lease("scan:b", "dead", TTL, now - TimeDelta::seconds(120))
            .unwrap()
    );
    let mut marked = store.mark_interrupted_scans().unwrap();
    marked.sort();
    let status = |id| store.get_scan(id).unwrap().unwrap().status;
    if test.sqlite_path().is_some() {
        // One process per file: whatever runs was left by a previous process.
        assert_eq!(marked, [live, dead, lone]);
        return;
    }
    assert_eq!(marked, [dead, lone]);
    assert_eq!(status(live), ScanStatus::Running);
    assert_eq!(status(dead), ScanStatus::Interrupted);
    // Once the live replica's lease is gone, its scan is orphaned too.
    assert!(store.release_lease("scan:a", "alive").unwrap());
    assert_eq!(store.mark_interrupted_scans().unwrap(), [live]);
}

/// `n` seconds after a fixed instant: lease times are counted in seconds.
fn sec(n: i64) -> chrono::DateTime<chrono::Utc> {
    at(0) + TimeDelta::seconds(n)
}
