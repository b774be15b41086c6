//! `kill -9` in the middle of writing: everything acknowledged survives, and each
//! scan's results are all there or not at all.
//!
//! The test re-runs its own binary as a child that records scans in a loop and prints
//! the id of each scan once it has finished; the parent kills it with
//! SIGKILL mid-stream and then inspects the store: the file, or the PostgreSQL schema
//! (where the server rolls back the transaction of a client that vanished).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use vigil_store::{
    FindingFilter, PageRequest, ResultCounts, ResultStatus, ScanId, ScanOutcome, ScanStatus,
    StatusFilter,
};

use crate::common::*;

/// The store the child writes to, as [`Location::encode`] gives it.
const CHILD_ENV: &str = "VIGIL_STORE_CRASH_CHILD_STORE";
const FINDINGS_PER_SCAN: usize = 300;

/// The writer. Only does anything when started by `kill_9_loses_nothing_committed`.
#[test]
fn crash_child_writer() {
    let Ok(location) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Location::decode(&location).open();
    let store = &*store;
    let resources: Vec<String> = (0..FINDINGS_PER_SCAN).map(|j| format!("r{j}")).collect();
    let present: HashSet<String> = resources.iter().cloned().collect();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let scan = scan(store, ACCOUNT, i);
        // A new rule each scan, on the same resources: every finding is NEW, and
        // none of the earlier ones resolves since their resources are all present.
        let findings: Vec<_> = resources
            .iter()
            .map(|r| finding(ACCOUNT, &format!("rule{i}"), r, ResultStatus::Fail))
            .collect();
        store
            .record_results(scan, ACCOUNT, &findings, &present, &mut one_event)
            .unwrap();
        store
            .finish_scan(
                scan,
                &ScanOutcome {
                    status: ScanStatus::Succeeded,
                    finished_at: at(i),
                    counts: ResultCounts {
                        fail: FINDINGS_PER_SCAN as u64,
                        ..Default::default()
                    },
                    gaps: Vec::new(),
                    error: None,
                    api_calls: 0,
                },
            )
            .unwrap();
        writeln!(out, "committed {}", scan.0).unwrap();
        out.flush().unwrap();
    }
}

fn kill_9_loses_nothing_committed(test: &TestStore) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::crash_child_writer",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, test.location().encode())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acknowledged.len() < 5 {
        let line = lines.next().expect("the child stopped early").unwrap();
        if let Some(id) = line.strip_prefix("committed ") {
            acknowledged.push(ScanId(id.parse().unwrap()));
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let store = test.location().open();
    let interrupted = store.mark_interrupted_scans().unwrap();
    assert!(
        interrupted.len() <= 1,
        "only the scan in progress: {interrupted:?}"
    );
    assert!(interrupted.iter().all(|id| !acknowledged.contains(id)));

    // Count, per scan, the findings and events it left: all or nothing.
    let mut per_scan = std::collections::BTreeMap::<i64, usize>::new();
    let mut page = PageRequest::first(1000);
    loop {
        let rows = store
            .list_findings(
                &FindingFilter {
                    status: Some(StatusFilter::Result(ResultStatus::Fail)),
                    ..Default::default()
                },
                &page,
            )
            .unwrap();
        for row in &rows.items {
            *per_scan.entry(row.last_scan_id.0).or_default() += 1;
        }
        match rows.next {
            Some(next) => page = PageRequest::after(1000, next),
            None => break,
        }
    }
    for id in &acknowledged {
        assert_eq!(per_scan.get(&id.0), Some(&FINDINGS_PER_SCAN), "scan {id}");
    }
    assert!(
        per_scan.values().all(|n| *n == FINDINGS_PER_SCAN),
        "{per_scan:?}"
    );
    let events = store.outbox_stats().unwrap()[SINK].depth as usize;
    assert_eq!(events, per_scan.len() * FINDINGS_PER_SCAN);
}

conformance!(; kill_9_loses_nothing_committed);
