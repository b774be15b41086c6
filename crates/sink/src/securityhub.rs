//! AWS Security Hub (CSPM) as a sink: each finding event becomes an ASFF finding
//! ([`crate::asff`]) imported with `BatchImportFindings`.
//!
//! The AWS calls themselves are behind [`FindingsImporter`], implemented with the SDK
//! in `vigil-collect` (the one crate that holds AWS SDK code): this crate decides what
//! is sent and what a reply means, and stays testable without AWS.
//!
//! The sink writes, so it is to have its own credentials (profile, role, region in
//! its own configuration, never the scanner's) and its own IAM policy
//! (`securityhub:BatchImportFindings`, `securityhub:GetFindings`).
//!
//! It archives what its events resolve. The daemon resolves "by absence" only findings
//! whose resources the scan looked at (`daemon/scope.rs`): a region not covered, a
//! service left out or a listing that failed resolves nothing, so this sink never
//! archives what a partial scan did not evaluate.

use std::collections::HashMap;
use std::sync::Arc;

use crate::asff::{self, AsffFinding, Kept, Target};
use crate::config::SecurityHubConfig;
use crate::error::Checker;
use crate::{Event, Sink, SinkError};

/// A finding Security Hub refused, as `BatchImportFindings` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFinding {
    pub id: String,
    pub error_code: String,
    pub error_message: String,
}

/// Why a call to Security Hub failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// Worth retrying: throttling, a 5xx, a timeout, no connection.
    pub retryable: bool,
    pub message: String,
}

/// The two Security Hub calls the sink needs.
#[async_trait::async_trait]
pub trait FindingsImporter: Send + Sync + std::fmt::Debug {
    /// Where the calls go (the endpoint, or `securityhub.<region>`), for messages.
    fn endpoint(&self) -> String;
    /// The partition and region findings are imported into.
    fn target(&self) -> Target;
    /// `CreatedAt` and `FirstObservedAt` of those of `ids` Security Hub already holds
    /// (`GetFindings`, at most 20 ids a call).
    async fn existing(&self, ids: &[String]) -> Result<HashMap<String, Kept>, ImportError>;
    /// One `BatchImportFindings` call; returns the findings it refused.
    async fn import(&self, findings: &[AsffFinding]) -> Result<Vec<FailedFinding>, ImportError>;
    /// Sets `Workflow.Status` of findings Security Hub already holds, with a note by
    /// [`asff::NOTE_BY`] (`BatchUpdateFindings`: an import cannot change the workflow of
    /// an existing finding). `findings` are (id, product ARN); returns those refused.
    async fn set_workflow(
        &self,
        findings: &[(String, String)],
        status: &str,
        note: &str,
    ) -> Result<Vec<FailedFinding>, ImportError>;
}

/// A workflow change the import alone cannot make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WorkflowChange {
    /// Muted in Vigil; Security Hub holds it unsuppressed.
    Suppress,
    /// No longer muted; Security Hub holds it suppressed by Vigil (never lifts a
    /// suppression a person set in Security Hub).
    Unsuppress,
}

fn workflow_change(finding: &AsffFinding, kept: Option<&Kept>) -> Option<WorkflowChange> {
    let kept = kept?;
    let held_suppressed = kept.workflow.as_deref() == Some("SUPPRESSED");
    let want_suppressed = finding.workflow.status == "SUPPRESSED";
    if want_suppressed && !held_suppressed {
        Some(WorkflowChange::Suppress)
    } else if !want_suppressed && held_suppressed && kept.noted_by_vigil {
        Some(WorkflowChange::Unsuppress)
    } else {
        None
    }
}

/// A request of `BatchImportFindings` should stay well under the API's 6 MB body.
const MAX_REQUEST_BYTES: usize = 5 * 1024 * 1024;

/// The Security Hub sink.
#[derive(Debug)]
pub struct SecurityHubSink {
    name: String,
    endpoint: String,
    accounts: Vec<String>,
    max_batch: usize,
    importer: Arc<dyn FindingsImporter>,
}

impl SecurityHubSink {
    /// Checks the configuration (the credentials are the importer's business).
    pub fn check(config: &SecurityHubConfig) -> Result<(), SinkError> {
        let name = config.name.as_deref().unwrap_or("securityhub");
        let mut checker = Checker::new(name);
        if !(1..=asff::MAX_BATCH).contains(&config.max_batch_events) {
            checker.problem(
                "max_batch_events",
                "must be between 1 and 100 (BatchImportFindings takes at most 100 findings)",
            );
        }
        if config.role_arn.is_none() && config.external_id.is_some() {
            checker.problem("external_id", "only means something with `role_arn`");
        }
        if let Some(arn) = &config.role_arn
            && !(arn.starts_with("arn:") && arn.contains(":iam::") && arn.contains(":role/"))
        {
            checker.problem(
                "role_arn",
                "is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
            );
        }
        for account in &config.accounts {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                checker.problem(
                    "accounts",
                    format!("`{account}` is not a 12-digit account id"),
                );
            }
        }
        if config.region.as_deref().is_some_and(str::is_empty) {
            checker.problem(
                "region",
                "is empty; leave it out to use the SDK's default region",
            );
        }
        checker.finish()
    }

    pub fn new(
        config: &SecurityHubConfig,
        importer: Arc<dyn FindingsImporter>,
    ) -> Result<Self, SinkError> {
        Self::check(config)?;
        Ok(Self {
            name: config.name.clone().unwrap_or_else(|| "securityhub".into()),
            endpoint: importer.endpoint(),
            accounts: config.accounts.clone(),
            max_batch: config.max_batch_events,
            importer,
        })
    }

    fn unavailable(&self, err: ImportError) -> SinkError {
        if err.retryable {
            SinkError::Unavailable {
                sink: self.name.clone(),
                endpoint: self.endpoint.clone(),
                reason: err.message,
                retry_after: None,
            }
        } else {
            self.rejected(None, err.message)
        }
    }

    fn rejected(&self, event_id: Option<String>, reason: String) -> SinkError {
        SinkError::Rejected {
            sink: self.name.clone(),
            endpoint: self.endpoint.clone(),
            status: None,
            event_id,
            reason,
        }
    }
}

#[async_trait::async_trait]
impl Sink for SecurityHubSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "securityhub"
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// Imports the batch's finding events; scan summaries, and findings of accounts
    /// outside `accounts`, are accepted without a call. Each finding is imported once
    /// per batch, in its latest state (a batch may hold a finding's NEW and RESOLVED).
    async fn send(&self, batch: &[Event]) -> Result<(), SinkError> {
        let mut latest: Vec<&Event> = Vec::new();
        let mut position: HashMap<&str, usize> = HashMap::new();
        for event in batch.iter().filter(|e| asff::is_finding_event(e)) {
            if !self.accounts.is_empty()
                && !asff::finding_account(event)
                    .is_some_and(|a| self.accounts.iter().any(|x| x == a))
            {
                tracing::debug!(sink = %self.name, event = %event.id, "finding of an account this sink does not import; skipped");
                continue;
            }
            match asff::finding_id(event).and_then(|id| position.get(id)) {
                Some(&i) => latest[i] = event,
                None => {
                    if let Some(id) = asff::finding_id(event) {
                        position.insert(id, latest.len());
                    }
                    latest.push(event);
                }
            }
        }
        if latest.is_empty() {
            return Ok(());
        }

        let ids: Vec<String> = latest
            .iter()
            .filter_map(|e| asff::finding_id(e).map(str::to_owned))
            .collect();
        let mut kept = HashMap::new();
        for chunk in ids.chunks(20) {
            kept.extend(
                self.importer
                    .existing(chunk)
                    .await
                    .map_err(|e| self.unavailable(e))?,
            );
        }

        let target = self.importer.target();
        let mut changes: Vec<(WorkflowChange, String, String)> = Vec::new();
        let mut findings = Vec::with_capacity(latest.len());
        let mut event_of: HashMap<String, String> = HashMap::new();
        for event in &latest {
            let kept = asff::finding_id(event).and_then(|id| kept.get(id));
            match asff::to_asff(event, &target, kept) {
                Ok(finding) => {
                    if let Some(change) = workflow_change(&finding, kept) {
                        changes.push((change, finding.id.clone(), finding.product_arn.clone()));
                    }
                    event_of.insert(finding.id.clone(), event.id.clone());
                    findings.push(finding);
                }
                Err(err) => {
                    tracing::error!(sink = %self.name, event = %err.event(), error = %err, "finding refused before import");
                    return Err(self.rejected(Some(err.event().to_owned()), err.to_string()));
                }
            }
        }

        let mut failed: Vec<FailedFinding> = Vec::new();
        for batch in asff::batches(findings, MAX_REQUEST_BYTES) {
            let refused = self
                .importer
                .import(&batch)
                .await
                .map_err(|e| self.unavailable(e))?;
            for f in &refused {
                tracing::error!(
                    sink = %self.name,
                    finding = %f.id,
                    event = %event_of.get(&f.id).map_or("?", String::as_str),
                    error_code = %f.error_code,
                    error = %f.error_message,
                    "Security Hub refused a finding"
                );
            }
            failed.extend(refused);
        }
        for (change, status, note) in [
            (
                WorkflowChange::Suppress,
                "SUPPRESSED",
                "Muted in Vigil (its mutelist); lifted by Vigil when the mute ends.",
            ),
            (
                WorkflowChange::Unsuppress,
                "NEW",
                "No longer muted in Vigil.",
            ),
        ] {
            let ids: Vec<(String, String)> = changes
                .iter()
                .filter(|(c, id, _)| *c == change && !failed.iter().any(|f| &f.id == id))
                .map(|(_, id, arn)| (id.clone(), arn.clone()))
                .collect();
            // BatchUpdateFindings takes at most 100 findings a call.
            for chunk in ids.chunks(asff::MAX_BATCH) {
                let refused = self
                    .importer
                    .set_workflow(chunk, status, note)
                    .await
                    .map_err(|e| self.unavailable(e))?;
                for f in &refused {
                    tracing::error!(sink = %self.name, finding = %f.id, error_code = %f.error_code, error = %f.error_message, workflow = status, "Security Hub refused a workflow change");
                }
                failed.extend(refused);
            }
        }
        let Some(first) = failed.first() else {
            return Ok(());
        };
        let listed: Vec<String> = failed
            .iter()
            .take(5)
            .map(|f| format!("`{}`: {} {}", f.id, f.error_code, f.error_message))
            .collect();
        Err(self.rejected(
            event_of.get(&first.id).cloned(),
            format!(
                "Security Hub refused {} of the batch's findings: {}{}",
                failed.len(),
                listed.join("; "),
                if failed.len() > 5 { "; …" } else { "" }
            ),
        ))
    }
}

#[cfg(test)]
#[path = "securityhub_tests.rs"]
mod tests;
