//! The queries behind the HTTP API: filters, pagination, scans and scores.

use std::collections::BTreeMap;

use serde_json::json;
use vigil_store::{
    FindingFilter, FindingRecord, LifecycleState, PageRequest, ResultStatus, ScanFilter, ScanId,
    ScanStatus, ScanTrigger, ScoreSummary, StatusFilter, Store, StoreError,
};

use crate::common::*;

fn with(mut f: FindingRecord, edit: impl FnOnce(&mut FindingRecord)) -> FindingRecord {
    edit(&mut f);
    f
}

fn findings_filter_by_every_field(store: &dyn Store) {
    let findings = [
        finding(ACCOUNT, "a", "r1", ResultStatus::Fail),
        with(finding(ACCOUNT, "b", "r1", ResultStatus::Pass), |f| {
            f.severity = "low".into()
        }),
        with(finding(ACCOUNT, "c", "r2", ResultStatus::Muted), |f| {
            f.caf_component = "Detective".into();
            f.epics = vec!["logging_monitoring".into(), "incident_response".into()];
        }),
        with(finding(ACCOUNT, "d", "r2", ResultStatus::Error), |f| {
            f.waf_area = "IAM".into()
        }),
        finding(ACCOUNT, "e", "r3", ResultStatus::Fail),
    ];
    let s = scan(store, ACCOUNT, 0);
    store
        .record_results(
            s,
            ACCOUNT,
            &findings,
            &present(&["r1", "r2", "r3"]),
            &mut one_event,
        )
        .unwrap();
    let other = scan(store, OTHER_ACCOUNT, 0);
    store
        .record_results(
            other,
            OTHER_ACCOUNT,
            &[finding(OTHER_ACCOUNT, "a", "r1", ResultStatus::Fail)],
            &present(&["r1"]),
            &mut one_event,
        )
        .unwrap();

    let rules = |filter: FindingFilter| -> Vec<String> {
        let page = store
            .list_findings(&filter, &PageRequest::first(100))
            .unwrap();
        page.items
            .iter()
            .map(|f| format!("{}:{}", &f.account[..1], f.rule_id))
            .collect()
    };
    let status = |s: &str| FindingFilter {
        status: Some(s.parse().unwrap()),
        ..Default::default()
    };

    assert_eq!(rules(FindingFilter::default()).len(), 6);
    assert_eq!(rules(status("new")), ["1:a", "1:e", "2:a"]);
    assert_eq!(rules(status("ACTIVE")), ["1:a", "1:e", "2:a"]);
    assert_eq!(rules(status("PASS")), ["1:b"]);
    assert_eq!(rules(status("error")), ["1:d"]);
    assert_eq!(rules(status("MUTED")), ["1:c"]);
    assert!(rules(status("RESOLVED")).is_empty());
    assert_eq!(
        rules(FindingFilter {
            account: Some(OTHER_ACCOUNT.into()),
            ..Default::default()
        }),
        ["2:a"]
    );
    assert_eq!(
        rules(FindingFilter {
            severity: Some("low".into()),
            ..Default::default()
        }),
        ["1:b"]
    );
    assert_eq!(
        rules(FindingFilter {
            rule_id: Some("a".into()),
            ..Default::default()
        }),
        ["1:a", "2:a"]
    );
    assert_eq!(
        rules(FindingFilter {
            caf_component: Some("Detective".into()),
            ..Default::default()
        }),
        ["1:c"]
    );
    assert_eq!(
        rules(FindingFilter {
            waf_area: Some("IAM".into()),
            ..Default::default()
        }),
        ["1:d"]
    );
    assert_eq!(
        rules(FindingFilter {
            epic: Some("incident_response".into()),
            ..Default::default()
        }),
        ["1:c"]
    );
    assert_eq!(
        rules(FindingFilter {
            account: Some(ACCOUNT.into()),
            status: Some(StatusFilter::State(LifecycleState::New)),
            epic: Some("data_protection".into()),
            ..Default::default()
        }),
        ["1:a", "1:e"]
    );

    // Epics and descriptive fields follow the finding when they change, whether its
    // state moves (`a`: NEW to OPEN) or not (`b`: passing again).
    let moved = with(findings[0].clone(), |f| f.epics = vec!["resilience".into()]);
    let renamed = with(findings[1].clone(), |f| {
        f.epics = vec!["resilience".into()];
        f.severity = "medium".into();
    });
    let s2 = scan(store, ACCOUNT, 5);
    store
        .record_results(
            s2,
            ACCOUNT,
            &[moved, renamed],
            &present(&["r1", "r2", "r3"]),
            &mut one_event,
        )
        .unwrap();
    assert_eq!(
        rules(FindingFilter {
            epic: Some("resilience".into()),
            ..Default::default()
        }),
        ["1:a", "1:b"]
    );
    assert_eq!(
        rules(FindingFilter {
            epic: Some("data_protection".into()),
            account: Some(ACCOUNT.into()),
            ..Default::default()
        }),
        ["1:d", "1:e"]
    );
    assert!(
        rules(FindingFilter {
            severity: Some("low".into()),
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        rules(FindingFilter {
            severity: Some("medium".into()),
            ..Default::default()
        }),
        ["1:b"]
    );
    assert_eq!(rules(status("OPEN")), ["1:a"]);
    // Only the epics change: the row is merely touched, and the epic index still follows.
    let s3 = scan(store, ACCOUNT, 6);
    let regrouped = with(findings[1].clone(), |f| {
        f.epics = vec!["iam".into()];
        f.severity = "medium".into();
    });
    store
        .record_results(
            s3,
            ACCOUNT,
            &[regrouped],
            &present(&["r1", "r2", "r3"]),
            &mut one_event,
        )
        .unwrap();
    assert_eq!(
        rules(FindingFilter {
            epic: Some("iam".into()),
            ..Default::default()
        }),
        ["1:b"]
    );
    assert_eq!(
        rules(FindingFilter {
            epic: Some("resilience".into()),
            ..Default::default()
        }),
        ["1:a"]
    );

    // Pages of two walk through all six, each once.
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let p = store
            .list_findings(&FindingFilter::default(), &page)
            .unwrap();
        assert!(p.items.len() <= 2);
        seen.extend(p.items.into_iter().map(|f| f.uid + &f.account));
        match p.next {
            Some(next) => page = PageRequest::after(2, next),
            None => break,
        }
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (6, 6));

    let err = store
        .list_findings(
            &FindingFilter::default(),
            &PageRequest::after(2, "not-a-cursor"),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err}");
    assert!("SOMETIMES".parse::<StatusFilter>().is_err());
}

fn scans_list_newest_first_with_filters(store: &dyn Store) {
    let a1 = scan(store, ACCOUNT, 0);
    let b1 = store
        .begin_scan(OTHER_ACCOUNT, ScanTrigger::Api, at(1))
        .unwrap();
    let a2 = scan(store, ACCOUNT, 2);
    store
        .finish_scan(
            a1,
            &vigil_store::ScanOutcome {
                status: ScanStatus::Failed,
                finished_at: at(1),
                counts: Default::default(),
                gaps: Vec::new(),
                error: Some("no credentials".into()),
                api_calls: 0,
            },
        )
        .unwrap();

    let ids = |filter: ScanFilter, limit| {
        store
            .list_scans(&filter, &PageRequest::first(limit))
            .unwrap()
            .items
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(ScanFilter::default(), 10), [a2, b1, a1]);
    assert_eq!(ids(ScanFilter::default(), 2), [a2, b1]);
    assert_eq!(
        ids(
            ScanFilter {
                account: Some(ACCOUNT.into()),
                ..Default::default()
            },
            10
        ),
        [a2, a1]
    );
    assert_eq!(
        ids(
            ScanFilter {
                status: Some(ScanStatus::Failed),
                ..Default::default()
            },
            10
        ),
        [a1]
    );
    assert_eq!(
        ids(
            ScanFilter {
                trigger: Some(ScanTrigger::Api),
                ..Default::default()
            },
            10
        ),
        [b1]
    );
    let page = store
        .list_scans(&ScanFilter::default(), &PageRequest::first(2))
        .unwrap();
    let rest = store
        .list_scans(
            &ScanFilter::default(),
            &PageRequest::after(2, page.next.unwrap()),
        )
        .unwrap();
    assert_eq!(rest.items.iter().map(|s| s.id).collect::<Vec<_>>(), [a1]);
    assert_eq!(rest.items[0].error.as_deref(), Some("no credentials"));
    assert_eq!(rest.next, None);
}

fn scores_latest_and_history(store: &dyn Store) {
    let summary = |iam: u8, logging: Option<u8>| ScoreSummary {
        epic_levels: BTreeMap::from_iter(
            [("iam".to_owned(), iam)]
                .into_iter()
                .chain(logging.map(|l| ("logging_monitoring".to_owned(), l))),
        ),
        ..Default::default()
    };
    let s1 = scan(store, ACCOUNT, 0);
    store
        .record_scores(s1, ACCOUNT, &json!({"v": 1}), &summary(1, Some(0)))
        .unwrap();
    let s2 = scan(store, ACCOUNT, 10);
    store
        .record_scores(s2, ACCOUNT, &json!({"v": 2}), &summary(2, None))
        .unwrap();
    // Recording again replaces: a retried step is harmless.
    store
        .record_scores(s2, ACCOUNT, &json!({"v": 3}), &summary(3, None))
        .unwrap();
    let o1 = scan(store, OTHER_ACCOUNT, 0);
    store
        .record_scores(o1, OTHER_ACCOUNT, &json!({"v": 9}), &summary(0, Some(1)))
        .unwrap();

    let latest = store.latest_scores(None).unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(
        (latest[0].scan_id, &latest[0].scorecard),
        (s2, &json!({"v": 3}))
    );
    assert_eq!(latest[0].summary.epic_levels["iam"], 3);
    assert_eq!(latest[0].scanned_at, at(10));
    assert_eq!(
        store.latest_scores(Some(OTHER_ACCOUNT)).unwrap()[0].scan_id,
        o1
    );
    assert!(
        store
            .latest_scores(Some("333333333333"))
            .unwrap()
            .is_empty()
    );

    let history = store.score_history(ACCOUNT, None, 10).unwrap();
    assert_eq!(
        history.iter().map(|p| p.scan_id).collect::<Vec<_>>(),
        [s2, s1]
    );
    assert_eq!(store.score_history(ACCOUNT, None, 1).unwrap().len(), 1);
    let logging = store
        .score_history(ACCOUNT, Some("logging_monitoring"), 10)
        .unwrap();
    assert_eq!(logging.len(), 1, "scans without the epic are skipped");
    assert_eq!(
        logging[0].epic_levels,
        BTreeMap::from([("logging_monitoring".to_owned(), 0)])
    );

    let err = store
        .record_scores(s1, ACCOUNT, &json!({}), &summary(4, None))
        .unwrap_err();
    assert!(err.to_string().contains("0 to 3"), "{err}");
    let err = store
        .record_scores(s1, OTHER_ACCOUNT, &json!({}), &summary(1, None))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err}");
}

fn the_store_is_usable_as_a_shared_trait_object(store: &TestStore) {
    fn assert_send_sync<T: Send + Sync + ?Sized>() {}
    assert_send_sync::<dyn Store>();
    let shared: std::sync::Arc<dyn Store> = store.shared();
    let worker = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.begin_scan(ACCOUNT, ScanTrigger::Api, at(0)).unwrap())
    };
    let id = worker.join().unwrap();
    assert_eq!(
        shared.get_scan(id).unwrap().unwrap().trigger,
        ScanTrigger::Api
    );
}

/// A scan is begun under the target's label before the account is identified; once
/// known, the account replaces the label, and only while the scan runs.
fn a_scan_begun_under_a_label_takes_its_account_while_running_only(store: &dyn Store) {
    let id = scan(store, "default", 0);
    store.set_scan_account(id, ACCOUNT).unwrap();
    let row = store.get_scan(id).unwrap().unwrap();
    assert_eq!(row.account, ACCOUNT);
    assert!(matches!(
        store.set_scan_account(id, "").unwrap_err(),
        StoreError::InvalidInput { .. }
    ));
    store
        .finish_scan(
            id,
            &vigil_store::ScanOutcome {
                status: ScanStatus::Succeeded,
                finished_at: at(1),
                counts: Default::default(),
                gaps: Vec::new(),
                error: None,
                api_calls: 0,
            },
        )
        .unwrap();
    let err = store.set_scan_account(id, OTHER_ACCOUNT).unwrap_err();
    assert!(matches!(err, StoreError::ScanNotRunning { .. }), "{err}");
    assert!(matches!(
        store.set_scan_account(ScanId(9_999), ACCOUNT).unwrap_err(),
        StoreError::ScanNotFound { .. }
    ));
    assert_eq!(store.get_scan(id).unwrap().unwrap().account, ACCOUNT);
}

conformance!(
    findings_filter_by_every_field,
    scans_list_newest_first_with_filters,
    scores_latest_and_history,
    a_scan_begun_under_a_label_takes_its_account_while_running_only;
    the_store_is_usable_as_a_shared_trait_object,
);
