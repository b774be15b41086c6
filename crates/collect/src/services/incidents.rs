//! Incident Manager: response plans (who is engaged, which runbooks start, where the
//! responders talk) and the contacts they engage. Two services with two endpoints
//! (`ssm-incidents`, `ssm-contacts`), so two collectors: either can be selected, and a
//! failure of one leaves the other's evidence intact.
//!
//! An account that never set Incident Manager up answers with empty lists. A failed
//! listing (denied, or an endpoint that does not serve the API) is a type-level gap, so
//! incident-response rules report ERROR rather than "no response plan".

use aws_sdk_ssmcontacts::types::Contact;
use aws_sdk_ssmincidents::operation::get_response_plan::GetResponsePlanOutput;
use aws_sdk_ssmincidents::types::{ChatChannel, ResponsePlanSummary};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::ssm::owned_document_id;
use crate::registry::{Collector, Scope};
use crate::{Ctx, client};

pub const RESPONSE_PLANS: Collector = Collector {
    service: "ssm-incidents",
    scope: Scope::Regional,
    actions: &[
        "ssm-incidents:ListResponsePlans",
        "ssm-incidents:GetResponsePlan",
    ],
    run: |ctx| Box::pin(collect_response_plans(ctx)),
};

pub const CONTACTS: Collector = Collector {
    service: "ssm-contacts",
    scope: Scope::Regional,
    actions: &["ssm-contacts:ListContacts"],
    run: |ctx| Box::pin(collect_contacts(ctx)),
};

const RESPONSE_PLAN: &str = "aws.ssmincidents.response_plan";
const CONTACT: &str = "aws.ssmcontacts.contact";

/// Response plans read at once.
const PLAN_CONCURRENCY: usize = 4;

/// A plan deleted between the listing and the read: gone, not unseen.
const PLAN_GONE: &[&str] = &["ResourceNotFoundException"];

async fn collect_response_plans(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_ssmincidents);
    let listed = client
        .list_response_plans()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(plans) = ctx
        .list("ssm-incidents:ListResponsePlans", &[RESPONSE_PLAN], listed)
        .await
    else {
        return;
    };
    futures::stream::iter(plans)
        .map(|plan| collect_response_plan(&ctx, &client, plan))
        .buffer_unordered(PLAN_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// One plan: what the listing says always; the rest when `GetResponsePlan` answers
/// (else a gap on the plan and those properties absent).
async fn collect_response_plan(
    ctx: &Ctx,
    client: &aws_sdk_ssmincidents::Client,
    plan: ResponsePlanSummary,
) {
    let arn = plan.arn();
    let mut props = Map::new();
    props.insert("arn".into(), json!(arn));
    props.insert("name".into(), json!(plan.name()));
    props.insert("display_name".into(), json!(plan.display_name()));
    let call = client.get_response_plan().arn(arn).send();
    match ctx
        .detail("ssm-incidents:GetResponsePlan", arn, PLAN_GONE, call)
        .await
    {
        Ok(Some(out)) => {
            props.extend(response_plan_properties(&out));
            for document in automation_documents(&out) {
                if let Some(id) = owned_document_id(&ctx.region, &ctx.account, document) {
                    ctx.relate(arn, "invokes", id);
                }
            }
        }
        Ok(None) => return,
        Err(_) => {}
    }
    let mut resource = ctx.resource(arn, RESPONSE_PLAN);
    resource.name = Some(plan.name().to_owned());
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// The contract's response plan properties from `GetResponsePlan`.
fn response_plan_properties(out: &GetResponsePlanOutput) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(out.arn()));
    p.insert("name".into(), json!(out.name()));
    p.insert("display_name".into(), json!(out.display_name()));
    p.insert("engagements".into(), json!(out.engagements()));
    p.insert(
        "chat_channel_configured".into(),
        json!(chat_channel_configured(out.chat_channel())),
    );
    p.insert(
        "automation_documents".into(),
        json!(automation_documents(out)),
    );
    p.insert(
        "impact".into(),
        json!(out.incident_template().map(|t| t.impact())),
    );
    p
}

/// A chat channel counts when it names at least one Chatbot SNS topic; `Empty` (the
/// API's way of saying "none") and no channel at all do not.
fn chat_channel_configured(channel: Option<&ChatChannel>) -> bool {
    channel
        .and_then(|c| c.as_chatbot_sns().ok())
        .is_some_and(|topics| !topics.is_empty())
}

/// Names (or ARNs) of the SSM Automation runbooks the plan's actions start.
fn automation_documents(out: &GetResponsePlanOutput) -> Vec<&str> {
    out.actions()
        .iter()
        .filter_map(|a| a.as_ssm_automation().ok())
        .map(|a| a.document_name())
        .collect()
}

async fn collect_contacts(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_ssmcontacts);
    let listed = client
        .list_contacts()
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(contacts) = ctx
        .list("ssm-contacts:ListContacts", &[CONTACT], listed)
        .await
    else {
        return;
    };
    for contact in &contacts {
        let mut resource = ctx.resource(contact.contact_arn(), CONTACT);
        resource.name = Some(contact.alias().to_owned());
        resource.properties = Value::Object(contact_properties(contact)).into();
        ctx.add(resource);
    }
}

/// Who or what a contact is; its channels (e-mail addresses, phone numbers) are never
/// read.
fn contact_properties(contact: &Contact) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(contact.contact_arn()));
    p.insert("alias".into(), json!(contact.alias()));
    p.insert("display_name".into(), json!(contact.display_name()));
    p.insert("type".into(), json!(contact.r#type().as_str()));
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssmcontacts::types::ContactType;
    use aws_sdk_ssmincidents::types::{Action, EmptyChatChannel, IncidentTemplate, SsmAutomation};

    const PLAN_ARN: &str = "arn:aws:ssm-incidents::111122223333:response-plan/critical";
    const ONCALL: &str = "arn:aws:ssm-contacts:us-east-1:111122223333:contact/sec-oncall";

    fn automation(document: &str) -> Action {
        Action::SsmAutomation(
            SsmAutomation::builder()
                .role_arn("arn:aws:iam::111122223333:role/runbooks")
                .document_name(document)
                .build()
                .expect("role and document"),
        )
    }

    #[test]
    fn response_plan_to_properties() {
        let out = GetResponsePlanOutput::builder()
            .arn(PLAN_ARN)
            .name("critical")
            .display_name("Critical incident")
            .incident_template(
                IncidentTemplate::builder()
                    .title("Critical")
                    .impact(1)
                    .build()
                    .expect("title and impact"),
            )
            .chat_channel(ChatChannel::ChatbotSns(vec![
                "arn:aws:sns:us-east-1:111122223333:chatbot".into(),
            ]))
            .engagements(ONCALL)
            .actions(automation("Isolate-Instance"))
            .actions(automation("AWSIncidents-CriticalIncidentRunbookTemplate"))
            .build()
            .expect("arn and name");
        assert_eq!(
            Value::Object(response_plan_properties(&out)),
            json!({
                "arn": PLAN_ARN,
                "name": "critical",
                "display_name": "Critical incident",
                "engagements": [ONCALL],
                "chat_channel_configured": true,
                "automation_documents": ["Isolate-Instance", "AWSIncidents-CriticalIncidentRunbookTemplate"],
                "impact": 1,
            })
        );
    }

    #[test]
    fn bare_response_plan() {
        let out = GetResponsePlanOutput::builder()
            .arn(PLAN_ARN)
            .name("critical")
            .chat_channel(ChatChannel::Empty(EmptyChatChannel::builder().build()))
            .build()
            .expect("arn and name");
        let p = Value::Object(response_plan_properties(&out));
        assert_eq!(p["display_name"], Value::Null);
        assert_eq!(p["engagements"], json!([]));
        assert_eq!(p["chat_channel_configured"], false);
        assert_eq!(p["automation_documents"], json!([]));
        assert_eq!(p["impact"], Value::Null);
    }

    #[test]
    fn a_chat_channel_needs_a_topic() {
        assert!(!chat_channel_configured(None));
        assert!(!chat_channel_configured(Some(&ChatChannel::ChatbotSns(
            vec![]
        ))));
        assert!(chat_channel_configured(Some(&ChatChannel::ChatbotSns(
            vec!["arn:aws:sns:us-east-1:1:t".into()]
        ))));
    }

    #[test]
    fn contact_to_properties() {
        let contact = Contact::builder()
            .contact_arn(ONCALL)
            .alias("sec-oncall")
            .display_name("Security on-call")
            .r#type(ContactType::OncallSchedule)
            .build()
            .expect("arn, alias and type");
        assert_eq!(
            Value::Object(contact_properties(&contact)),
            json!({"arn": ONCALL, "alias": "sec-oncall", "display_name": "Security on-call", "type": "ONCALL_SCHEDULE"})
        );
    }
}
