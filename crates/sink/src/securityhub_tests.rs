use std::sync::Mutex;

use chrono::Utc;
use serde_json::json;

use super::*;

/// An importer that keeps findings in memory as Security Hub would (by id, the
/// latest import wins) and refuses the ids it is told to.
#[derive(Debug, Default)]
struct Memory {
    held: Mutex<HashMap<String, AsffFinding>>,
    /// Who wrote each finding's note (`BatchUpdateFindings`' `Note.UpdatedBy`).
    notes: Mutex<HashMap<String, String>>,
    workflow_calls: Mutex<Vec<(String, usize)>>,
    calls: Mutex<Vec<usize>>,
    lookups: Mutex<Vec<usize>>,
    refuse: Vec<String>,
}

#[async_trait::async_trait]
impl FindingsImporter for Memory {
    fn endpoint(&self) -> String {
        "securityhub.eu-west-1 (test)".into()
    }
    fn target(&self) -> Target {
        Target {
            partition: "aws".into(),
            region: "eu-west-1".into(),
        }
    }
    async fn existing(&self, ids: &[String]) -> Result<HashMap<String, Kept>, ImportError> {
        self.lookups.lock().unwrap().push(ids.len());
        let held = self.held.lock().unwrap();
        let notes = self.notes.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| {
                held.get(id).map(|f| {
                    (
                        id.clone(),
                        Kept {
                            created_at: f.created_at.clone(),
                            first_observed_at: Some(f.first_observed_at.clone()),
                            workflow: Some(f.workflow.status.clone()),
                            noted_by_vigil: notes.get(id).is_some_and(|by| by == asff::NOTE_BY),
                        },
                    )
                })
            })
            .collect())
    }
    async fn import(&self, findings: &[AsffFinding]) -> Result<Vec<FailedFinding>, ImportError> {
        self.calls.lock().unwrap().push(findings.len());
        let mut failed = Vec::new();
        let mut held = self.held.lock().unwrap();
        for f in findings {
            if self.refuse.contains(&f.id) {
                failed.push(FailedFinding {
                    id: f.id.clone(),
                    error_code: "InvalidInput".into(),
                    error_message: "Finding does not adhere to ASFF".into(),
                });
            } else {
                // As Security Hub does: an import never changes the workflow of a
                // finding it holds.
                let mut f = f.clone();
                if let Some(old) = held.get(&f.id) {
                    f.workflow = old.workflow.clone();
                }
                held.insert(f.id.clone(), f);
            }
        }
        Ok(failed)
    }
    async fn set_workflow(
        &self,
        findings: &[(String, String)],
        status: &str,
        _note: &str,
    ) -> Result<Vec<FailedFinding>, ImportError> {
        self.workflow_calls
            .lock()
            .unwrap()
            .push((status.to_owned(), findings.len()));
        let mut held = self.held.lock().unwrap();
        for (id, _) in findings {
            if let Some(f) = held.get_mut(id) {
                f.workflow.status = status.to_owned();
                self.notes
                    .lock()
                    .unwrap()
                    .insert(id.clone(), asff::NOTE_BY.to_owned());
            }
        }
        Ok(Vec::new())
    }
}

fn event(kind: &str, status: &str, uid: &str, account: &str, time: chrono::DateTime<Utc>) -> Event {
    Event {
        id: format!("{account}:{uid}:1:{kind}"),
        kind: kind.into(),
        time,
        body: json!({
            "severity": "Medium",
            "status_code": status,
            "metadata": {"event_code": "rule_a"},
            "finding_info": {"uid": uid, "title": "Rule A"},
            "resources": [{"uid": format!("arn:aws:s3:::{uid}"), "type": "aws.s3.bucket", "region": "us-east-1"}],
            "cloud": {"account": {"uid": account}},
        }),
    }
}

fn sink(memory: Arc<Memory>, accounts: &[&str]) -> SecurityHubSink {
    let config = SecurityHubConfig {
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        ..Default::default()
    };
    SecurityHubSink::new(&config, memory).unwrap()
}

const A: &str = "111111111111";

#[tokio::test]
async fn a_batch_of_250_findings_is_three_calls_and_ids_are_looked_up_20_at_a_time() {
    let memory = Arc::new(Memory::default());
    let sink = sink(Arc::clone(&memory), &[]);
    let now = Utc::now();
    let mut batch: Vec<Event> = (0..250)
        .map(|i| event("finding.new", "FAIL", &format!("f{i}"), A, now))
        .collect();
    batch.push(Event {
        id: "scan:1:summary".into(),
        kind: "scan.summary".into(),
        time: now,
        body: json!({"class_uid": 6007}),
    });
    sink.send(&batch).await.unwrap();
    assert_eq!(*memory.calls.lock().unwrap(), [100, 100, 50]);
    let lookups = memory.lookups.lock().unwrap();
    assert_eq!(lookups.len(), 13);
    assert!(lookups.iter().all(|&n| n <= 20));
    assert_eq!(memory.held.lock().unwrap().len(), 250);
}

#[tokio::test]
async fn an_update_keeps_created_at_and_first_observed_at() {
    let memory = Arc::new(Memory::default());
    let sink = sink(Arc::clone(&memory), &[]);
    let first = Utc::now() - chrono::Duration::hours(2);
    sink.send(&[event("finding.new", "FAIL", "f1", A, first)])
        .await
        .unwrap();
    let created = memory.held.lock().unwrap()["f1"].created_at.clone();
    sink.send(&[event("finding.resolved", "PASS", "f1", A, Utc::now())])
        .await
        .unwrap();
    let held = memory.held.lock().unwrap();
    let f = &held["f1"];
    assert_eq!(f.created_at, created);
    assert_eq!(f.first_observed_at, created);
    assert_ne!(f.updated_at, created);
    assert_eq!(f.record_state, "ARCHIVED");
    assert_eq!(f.compliance.status, "PASSED");
}

fn muted(uid: &str, time: chrono::DateTime<Utc>) -> Event {
    let mut e = event("finding.muted", "MUTED", uid, A, time);
    e.body["unmapped"] = json!({"vigil": {"muted_status": "FAIL"}});
    e
}

#[tokio::test]
async fn a_mute_suppresses_a_held_finding_and_its_end_lifts_only_vigils_suppression() {
    let memory = Arc::new(Memory::default());
    let sink = sink(Arc::clone(&memory), &[]);
    let now = Utc::now();
    // New findings are imported with their workflow: no update call.
    sink.send(&[
        event("finding.new", "FAIL", "f1", A, now),
        event("finding.new", "FAIL", "f2", A, now),
    ])
    .await
    .unwrap();
    assert!(memory.workflow_calls.lock().unwrap().is_empty());
    // f1 muted: the import cannot suppress a held finding, so BatchUpdateFindings does.
    sink.send(&[muted("f1", now)]).await.unwrap();
    assert_eq!(
        memory.held.lock().unwrap()["f1"].workflow.status,
        "SUPPRESSED"
    );
    assert_eq!(
        *memory.workflow_calls.lock().unwrap(),
        [("SUPPRESSED".to_owned(), 1)]
    );
    // A person suppressed f2 in Security Hub (no note by Vigil).
    memory
        .held
        .lock()
        .unwrap()
        .get_mut("f2")
        .unwrap()
        .workflow
        .status = "SUPPRESSED".into();
    // Both come back unmuted: Vigil lifts its own suppression only.
    sink.send(&[
        event("finding.updated", "FAIL", "f1", A, now),
        event("finding.updated", "FAIL", "f2", A, now),
    ])
    .await
    .unwrap();
    let held = memory.held.lock().unwrap();
    assert_eq!(held["f1"].workflow.status, "NEW");
    assert_eq!(held["f2"].workflow.status, "SUPPRESSED");
    assert_eq!(memory.workflow_calls.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_batch_with_two_changes_of_one_finding_imports_the_latest_once() {
    let memory = Arc::new(Memory::default());
    let sink = sink(Arc::clone(&memory), &[]);
    let now = Utc::now();
    sink.send(&[
        event("finding.new", "FAIL", "f1", A, now),
        event("finding.resolved", "PASS", "f1", A, now),
    ])
    .await
    .unwrap();
    assert_eq!(*memory.calls.lock().unwrap(), [1]);
    assert_eq!(memory.held.lock().unwrap()["f1"].record_state, "ARCHIVED");
}

#[tokio::test]
async fn a_refused_finding_fails_the_batch_naming_the_finding_and_its_event() {
    let memory = Arc::new(Memory {
        refuse: vec!["f7".into()],
        ..Default::default()
    });
    let sink = sink(Arc::clone(&memory), &[]);
    let now = Utc::now();
    let batch: Vec<Event> = (0..10)
        .map(|i| event("finding.new", "FAIL", &format!("f{i}"), A, now))
        .collect();
    let err = sink.send(&batch).await.unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.event_id(), Some(batch[7].id.as_str()));
    let text = err.to_string();
    assert!(
        text.contains("`f7`") && text.contains("InvalidInput"),
        "{text}"
    );
    assert!(text.contains("refused 1 of"), "{text}");
    // The others went in.
    assert_eq!(memory.held.lock().unwrap().len(), 9);
}

#[tokio::test]
async fn findings_of_other_accounts_are_skipped_when_accounts_are_listed() {
    let memory = Arc::new(Memory::default());
    let sink = sink(Arc::clone(&memory), &[A]);
    let now = Utc::now();
    sink.send(&[
        event("finding.new", "FAIL", "mine", A, now),
        event("finding.new", "FAIL", "theirs", "222222222222", now),
    ])
    .await
    .unwrap();
    let held = memory.held.lock().unwrap();
    assert!(held.contains_key("mine") && !held.contains_key("theirs"));
}

#[test]
fn the_configuration_is_checked() {
    let bad = SecurityHubConfig {
        max_batch_events: 101,
        role_arn: Some("not-an-arn".into()),
        accounts: vec!["12".into()],
        ..Default::default()
    };
    let err = SecurityHubSink::check(&bad).unwrap_err();
    let fields: Vec<&str> = err.problems().iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["max_batch_events", "role_arn", "accounts"]);
    assert!(SecurityHubSink::check(&SecurityHubConfig::default()).is_ok());
}
