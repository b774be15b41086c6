//! Amazon Macie: whether it is enabled in the region, its classification jobs (listed,
//! and counted in `classification_jobs`), and whether automated sensitive data discovery
//! is on.
//!
//! Where Macie was never enabled, `GetMacieSession` fails with `AccessDeniedException`
//! and the message "Macie is not enabled" (some endpoints, moto among them, answer
//! `ResourceNotFoundException` instead: there is no session to find). Both mean "not
//! enabled": no session resource, and the "enabled in every region" rule FAILs. Any other
//! error, including an `AccessDeniedException` that is a real denial, is a type-level gap.
//!
//! `jobs` and `classification_jobs` come from the same listing, so they are both present
//! or both absent (a failed listing is a resource gap on the session). A failed
//! `GetAutomatedDiscoveryConfiguration` leaves `automated_discovery_status` absent.

use serde_json::{Map, Value, json};

use aws_sdk_macie2::operation::get_automated_discovery_configuration::GetAutomatedDiscoveryConfigurationOutput;
use aws_sdk_macie2::operation::get_macie_session::GetMacieSessionOutput;
use aws_sdk_macie2::types::JobSummary;

use crate::registry::{Collector, Scope};
use crate::{CallError, Ctx};

pub const COLLECTOR: Collector = Collector {
    service: "macie",
    scope: Scope::Regional,
    actions: &[
        "macie2:GetMacieSession",
        "macie2:ListClassificationJobs",
        "macie2:GetAutomatedDiscoveryConfiguration",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const SESSION: &str = "aws.macie.session";

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_macie2);
    let session = match ctx
        .call("macie2:GetMacieSession", client.get_macie_session().send())
        .await
    {
        Ok(session) => session,
        Err(err) if is_not_enabled(&err) => return,
        Err(err) => {
            ctx.gap_types("macie2:GetMacieSession", &[SESSION], &err);
            return;
        }
    };
    let id = ctx.arn("macie2", "session");
    let mut properties = session_properties(&session);
    if let Ok(Some(jobs)) = ctx
        .detail(
            "macie2:ListClassificationJobs",
            &id,
            &[],
            client
                .list_classification_jobs()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
    {
        properties.extend(jobs_properties(&jobs));
    }
    if let Ok(Some(out)) = ctx
        .detail(
            "macie2:GetAutomatedDiscoveryConfiguration",
            &id,
            &[],
            client.get_automated_discovery_configuration().send(),
        )
        .await
    {
        properties.insert(
            "automated_discovery_status".into(),
            automated_discovery_status(&out),
        );
    }
    let mut resource = ctx.resource(id, SESSION);
    resource.name = Some("macie".to_owned());
    resource.properties = Value::Object(properties).into();
    ctx.add(resource);
}

/// Is this the answer Macie gives in a region where it is not enabled?
fn is_not_enabled(err: &CallError) -> bool {
    match err.code.as_str() {
        "AccessDeniedException" => err.message.to_ascii_lowercase().contains("not enabled"),
        "ResourceNotFoundException" => true,
        _ => false,
    }
}

fn session_properties(session: &GetMacieSessionOutput) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("status".into(), json!(session.status().map(|s| s.as_str())));
    p.insert(
        "finding_publishing_frequency".into(),
        json!(session.finding_publishing_frequency().map(|f| f.as_str())),
    );
    p
}

/// `jobs` (`{job_id, name, job_status, job_type}`) and their count, `classification_jobs`.
fn jobs_properties(jobs: &[JobSummary]) -> Map<String, Value> {
    let list: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({
                "job_id": j.job_id(),
                "name": j.name(),
                "job_status": j.job_status().map(|s| s.as_str()),
                "job_type": j.job_type().map(|t| t.as_str()),
            })
        })
        .collect();
    let mut p = Map::new();
    p.insert("classification_jobs".into(), json!(list.len()));
    p.insert("jobs".into(), Value::Array(list));
    p
}

/// `ENABLED`/`DISABLED`.
fn automated_discovery_status(out: &GetAutomatedDiscoveryConfigurationOutput) -> Value {
    json!(out.status().map(|s| s.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_macie2::types::{
        AutomatedDiscoveryStatus, FindingPublishingFrequency, JobStatus, JobType, MacieStatus,
    };

    fn error(code: &str, message: &str) -> CallError {
        CallError {
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn not_enabled_is_told_apart_from_a_denial() {
        assert!(is_not_enabled(&error(
            "AccessDeniedException",
            "Macie is not enabled."
        )));
        assert!(is_not_enabled(&error(
            "ResourceNotFoundException",
            "The request failed because the specified resource doesn't exist."
        )));
        assert!(!is_not_enabled(&error(
            "AccessDeniedException",
            "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: macie2:GetMacieSession"
        )));
        assert!(!is_not_enabled(&error(
            "InternalFailure",
            "not yet emulated"
        )));
    }

    #[test]
    fn session_properties_follow_the_contract() {
        let session = GetMacieSessionOutput::builder()
            .status(MacieStatus::Enabled)
            .finding_publishing_frequency(FindingPublishingFrequency::FifteenMinutes)
            .build();
        let p = session_properties(&session);
        assert_eq!(p["status"], json!("ENABLED"));
        assert_eq!(p["finding_publishing_frequency"], json!("FIFTEEN_MINUTES"));
    }

    #[test]
    fn jobs_are_listed_and_counted() {
        let jobs = [
            JobSummary::builder()
                .job_id("a1b2")
                .name("weekly-pii")
                .job_status(JobStatus::Running)
                .job_type(JobType::Scheduled)
                .build(),
            JobSummary::builder()
                .job_id("c3d4")
                .name("one-off")
                .job_status(JobStatus::Complete)
                .job_type(JobType::OneTime)
                .build(),
        ];
        let p = jobs_properties(&jobs);
        assert_eq!(p["classification_jobs"], json!(2));
        assert_eq!(
            p["jobs"],
            json!([
                {"job_id": "a1b2", "name": "weekly-pii", "job_status": "RUNNING", "job_type": "SCHEDULED"},
                {"job_id": "c3d4", "name": "one-off", "job_status": "COMPLETE", "job_type": "ONE_TIME"}
            ])
        );
        let none = jobs_properties(&[]);
        assert_eq!(none["classification_jobs"], json!(0));
        assert_eq!(none["jobs"], json!([]));
    }

    #[test]
    fn automated_discovery_status_is_read() {
        let out = GetAutomatedDiscoveryConfigurationOutput::builder()
            .status(AutomatedDiscoveryStatus::Enabled)
            .build();
        assert_eq!(automated_discovery_status(&out), json!("ENABLED"));
    }
}
