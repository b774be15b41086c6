//! organizations collector: whether the account belongs to an AWS Organization and
//! whether it is the management account, set on the `aws.account` node as
//! `organization`; in the management account, also the organization's policies (SCPs,
//! tag, backup and AI-services opt-out policies) with their documents and targets, and
//! the delegated administrators with the services delegated to them.
//!
//! `AWSOrganizationsNotInUseException` means the account is in no organization:
//! `organization` is `null`, and there are truly no organization policies and no
//! delegated administrators, so no call is made and **no gap** is recorded: the empty
//! lists are the truth, and rules such as "an SCP denies leaving the organization" FAIL.
//! Any other failure of `DescribeOrganization` records a resource-level gap on the
//! account node (the property stays absent) and a type-level gap over the policy and
//! delegated-administrator types with the same error code: whether they exist is unknown.
//!
//! Policies and delegated administrators can only be read from the management account
//! (or a delegated administrator of Organizations itself, which Vigil does not rely
//! on). In a member account the calls are not made at all: both types get a type-level
//! gap with Vigil's own code `NotManagementAccount`, whose message names the management
//! account that holds the evidence, so rules over them report ERROR there and the
//! scorecard takes the organisation's evidence from the management account's scan.
//!
//! In the management account:
//! - `ListRoots` adds `root_id` and `enabled_policy_types` to `organization` (a failure
//!   is a resource gap on the account node; the two keys stay absent);
//! - `ListPolicies` runs once per policy type Vigil reads; `PolicyTypeNotEnabledException`
//!   for one type means there are none of that type, any other failure is a type-level
//!   gap over `aws.organizations.policy`;
//! - `DescribePolicy` and `ListTargetsForPolicy` add `document` and `targets` /
//!   `attached_to_root` per policy (a failure is a resource gap, the keys stay absent);
//! - `ListDelegatedAdministrators` lists the delegated administrators (a failure is a
//!   type-level gap) and `ListDelegatedServicesForAccount` their `services`.
//!
//! In every account of an organization, `organization.ou_chain` is the account's path,
//! root first, with the SCPs on each level: `ListParents` up to the root, then
//! `ListPoliciesForTarget` (SCPs only) per level and `DescribePolicy` for documents not
//! already read. A member account may only read it when it is a delegated administrator
//! of Organizations, so the calls are tried there too: a refusal is a resource gap on the
//! account node and `ou_chain` stays absent, which the policy engine reports as SCPs it
//! could not apply (never as "no SCPs"). In the management account SCPs do not apply;
//! the chain is recorded all the same, for the reader.

use std::collections::HashMap;

use futures::StreamExt;
use serde_json::{Map, Value, json};

use aws_sdk_organizations::types::{
    DelegatedAdministrator, DelegatedService, Organization, Parent, ParentType, PolicySummary,
    PolicyTargetSummary, PolicyType, PolicyTypeStatus, Root, TargetType,
};

use crate::client;
use crate::registry::{Collector, Scope};
use crate::{CallError, Ctx};

pub const COLLECTOR: Collector = Collector {
    service: "organizations",
    scope: Scope::Global,
    actions: &[
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListPolicies",
        "organizations:DescribePolicy",
        "organizations:ListTargetsForPolicy",
        "organizations:ListDelegatedAdministrators",
        "organizations:ListDelegatedServicesForAccount",
        "organizations:ListParents",
        "organizations:ListPoliciesForTarget",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const POLICY: &str = "aws.organizations.policy";
const DELEGATED_ADMIN: &str = "aws.organizations.delegated_administrator";

/// The policy types Vigil reads: those whose documents rules can judge.
const POLICY_TYPES: [PolicyType; 4] = [
    PolicyType::ServiceControlPolicy,
    PolicyType::TagPolicy,
    PolicyType::BackupPolicy,
    PolicyType::AiservicesOptOutPolicy,
];

/// Bound on concurrent per-policy and per-administrator calls: the Organizations API has
/// low request-rate limits.
const CONCURRENCY: usize = 2;

/// The most parents an account can have above it: five levels of OUs and the root.
const MAX_PARENTS: usize = 6;

/// SCP documents already read, by policy id.
type Documents = HashMap<String, Value>;

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_organizations);
    let account_node = crate::account_id(&ctx.account);
    let answer = ctx
        .detail(
            "organizations:DescribeOrganization",
            &account_node,
            &["AWSOrganizationsNotInUseException"],
            client.describe_organization().send(),
        )
        .await;
    let out = match answer {
        Ok(Some(out)) => out,
        // In no organization: no policies, no delegated administrators, nothing unknown.
        Ok(None) => {
            ctx.set_account("organization", Value::Null);
            return;
        }
        Err(err) => {
            // The account-node gap is recorded; whether policies exist is unknown too.
            ctx.gap_types(
                "organizations:DescribeOrganization",
                &[POLICY, DELEGATED_ADMIN],
                &err,
            );
            return;
        }
    };
    let mut organization = organization_json(out.organization(), &ctx.account);
    let Some(org) = out.organization() else {
        ctx.set_account("organization", organization);
        return;
    };
    if org.master_account_id() != Some(ctx.account.as_str()) {
        member_gaps(&ctx, org.master_account_id());
        if let Some(chain) = ou_chain(&ctx, &client, &account_node, &Documents::new()).await
            && let Value::Object(map) = &mut organization
        {
            map.insert("ou_chain".into(), chain);
        }
        ctx.set_account("organization", organization);
        return;
    }
    if let Some(root) = root(&ctx, &client, &account_node).await
        && let Value::Object(map) = &mut organization
    {
        map.extend(root_properties(&root));
    }
    let (documents, ()) = futures::join!(
        policies(&ctx, &client),
        delegated_administrators(&ctx, &client)
    );
    if let Some(chain) = ou_chain(&ctx, &client, &account_node, &documents).await
        && let Value::Object(map) = &mut organization
    {
        map.insert("ou_chain".into(), chain);
    }
    ctx.set_account("organization", organization);
}

/// The account's path in the organization, root first, each level with the SCPs
/// attached to it; `None` (a gap on the account node recorded) when the path could not
/// be read. A level whose SCPs could not be listed lacks `scps`; one where SCPs are not
/// enabled has `scps: null`.
async fn ou_chain(
    ctx: &Ctx,
    client: &aws_sdk_organizations::Client,
    account_node: &str,
    documents: &Documents,
) -> Option<Value> {
    let mut path = vec![(ctx.account.clone(), "ACCOUNT")];
    let mut child = ctx.account.clone();
    while path.len() <= MAX_PARENTS {
        let pages = ctx
            .detail(
                "organizations:ListParents",
                account_node,
                &[],
                client
                    .list_parents()
                    .child_id(&child)
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await
            .ok()??;
        let parents: Vec<Parent> = pages
            .into_iter()
            .flat_map(|p| p.parents)
            .flatten()
            .collect();
        let Some((id, kind)) = parent_level(&parents) else {
            ctx.gap_resource(
                "organizations:ListParents",
                account_node,
                &CallError {
                    code: "NoParent".into(),
                    message: format!("{child} has no parent in the answer"),
                },
            );
            return None;
        };
        path.push((id.clone(), kind));
        if kind == "ROOT" {
            break;
        }
        child = id;
    }
    path.reverse();
    // FullAWSAccess (and often more) sits on every level: read each document once.
    let mut documents = documents.clone();
    let mut levels = Vec::with_capacity(path.len());
    for (id, kind) in path {
        let scps = level_scps(ctx, client, account_node, &id, &mut documents).await;
        levels.push(level_json(&id, kind, scps));
    }
    Some(Value::Array(levels))
}

/// The one parent of a child (`ROOT` or `ORGANIZATIONAL_UNIT`), as id and type.
fn parent_level(parents: &[Parent]) -> Option<(String, &'static str)> {
    let parent = parents.first()?;
    let kind = match parent.r#type()? {
        ParentType::Root => "ROOT",
        _ => "ORGANIZATIONAL_UNIT",
    };
    Some((parent.id()?.to_owned(), kind))
}

/// `{id, type, scps}`; `scps` left out when it could not be read.
fn level_json(id: &str, kind: &str, scps: Option<Value>) -> Value {
    let mut level = Map::new();
    level.insert("id".into(), json!(id));
    level.insert("type".into(), json!(kind));
    if let Some(scps) = scps {
        level.insert("scps".into(), scps);
    }
    Value::Object(level)
}

/// The SCPs attached to one level, each with its document when it could be read (and
/// remembered in `documents`); `Some(null)` when SCPs are not enabled, `None` after a gap.
async fn level_scps(
    ctx: &Ctx,
    client: &aws_sdk_organizations::Client,
    account_node: &str,
    target: &str,
    documents: &mut Documents,
) -> Option<Value> {
    let listing = ctx
        .call(
            "organizations:ListPoliciesForTarget",
            client
                .list_policies_for_target()
                .target_id(target)
                .filter(PolicyType::ServiceControlPolicy)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await;
    let summaries: Vec<PolicySummary> = match listing {
        Ok(pages) => pages
            .into_iter()
            .flat_map(|p| p.policies)
            .flatten()
            .collect(),
        Err(err) if err.code == "PolicyTypeNotEnabledException" => return Some(Value::Null),
        Err(err) => {
            ctx.gap_resource("organizations:ListPoliciesForTarget", account_node, &err);
            return None;
        }
    };
    let mut scps = Vec::with_capacity(summaries.len());
    for summary in &summaries {
        let id = summary.id().unwrap_or_default();
        let arn = summary.arn().unwrap_or(id);
        let mut scp = summary_properties(summary, arn);
        scp.remove("type");
        let document = match documents.get(id) {
            Some(document) => Some(document.clone()),
            None => ctx
                .detail(
                    "organizations:DescribePolicy",
                    account_node,
                    &[],
                    client.describe_policy().policy_id(id).send(),
                )
                .await
                .ok()
                .flatten()
                .map(|out| crate::policy_document(out.policy().and_then(|p| p.content()))),
        };
        if let Some(document) = document {
            documents.insert(id.to_owned(), document.clone());
            scp.insert("document".into(), document);
        }
        scps.push(Value::Object(scp));
    }
    Some(Value::Array(scps))
}

/// A member account cannot read the organization's policies or delegated
/// administrators: both types are unknown here, by design.
fn member_gaps(ctx: &Ctx, management: Option<&str>) {
    let management = management.unwrap_or("(unknown)");
    for (action, resource_type) in [
        ("organizations:ListPolicies", POLICY),
        ("organizations:ListDelegatedAdministrators", DELEGATED_ADMIN),
    ] {
        ctx.gap_by_design(
            action,
            &[resource_type],
            "NotManagementAccount",
            format!(
                "this account is a member of the organization: {resource_type} evidence lives in the management account {management}"
            ),
        );
    }
}

/// The organization's root, or `None` after recording a gap on the account node.
async fn root(
    ctx: &Ctx,
    client: &aws_sdk_organizations::Client,
    account_node: &str,
) -> Option<Root> {
    let pages = ctx
        .detail(
            "organizations:ListRoots",
            account_node,
            &[],
            client.list_roots().into_paginator().send().try_collect(),
        )
        .await
        .ok()??;
    pages.into_iter().flat_map(|p| p.roots).flatten().next()
}

/// `root_id` and `enabled_policy_types` (types whose status on the root is `ENABLED`).
fn root_properties(root: &Root) -> Map<String, Value> {
    let enabled: Vec<&str> = root
        .policy_types()
        .iter()
        .filter(|t| t.status() == Some(&PolicyTypeStatus::Enabled))
        .filter_map(|t| t.r#type().map(|t| t.as_str()))
        .collect();
    let mut p = Map::new();
    p.insert("root_id".into(), json!(root.id()));
    p.insert("enabled_policy_types".into(), json!(enabled));
    p
}

/// Reads every policy; gives the SCPs' documents by policy id, for the OU chain.
async fn policies(ctx: &Ctx, client: &aws_sdk_organizations::Client) -> Documents {
    let mut summaries = Vec::new();
    for policy_type in POLICY_TYPES {
        let listing = ctx
            .call(
                "organizations:ListPolicies",
                client
                    .list_policies()
                    .filter(policy_type.clone())
                    .into_paginator()
                    .send()
                    .try_collect(),
            )
            .await;
        match listing {
            Ok(pages) => summaries.extend(pages.into_iter().flat_map(|p| p.policies).flatten()),
            Err(err) if err.code == "PolicyTypeNotEnabledException" => {}
            Err(err) => ctx.gap_types("organizations:ListPolicies", &[POLICY], &err),
        }
    }
    futures::stream::iter(summaries)
        .map(|summary| policy(ctx, client, summary))
        .buffer_unordered(CONCURRENCY)
        .filter_map(|scp| async move { scp })
        .collect()
        .await
}

/// One policy: its summary always; its document and targets when they could be read.
/// Gives an SCP's id and document.
async fn policy(
    ctx: &Ctx,
    client: &aws_sdk_organizations::Client,
    summary: PolicySummary,
) -> Option<(String, Value)> {
    let policy_id = summary.id()?;
    let id = summary
        .arn()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("arn:aws:organizations::{}:policy/{policy_id}", ctx.account));
    let mut properties = summary_properties(&summary, &id);
    if let Ok(Some(out)) = ctx
        .detail(
            "organizations:DescribePolicy",
            &id,
            &[],
            client.describe_policy().policy_id(policy_id).send(),
        )
        .await
    {
        let content = out.policy().and_then(|p| p.content());
        properties.insert("document".into(), crate::policy_document(content));
    }
    if let Ok(Some(pages)) = ctx
        .detail(
            "organizations:ListTargetsForPolicy",
            &id,
            &[],
            client
                .list_targets_for_policy()
                .policy_id(policy_id)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
    {
        let targets: Vec<PolicyTargetSummary> = pages
            .into_iter()
            .flat_map(|p| p.targets)
            .flatten()
            .collect();
        properties.extend(targets_properties(&targets));
    }
    let scp = (summary.r#type() == Some(&PolicyType::ServiceControlPolicy))
        .then(|| properties.get("document").cloned())
        .flatten()
        .map(|document| (policy_id.to_owned(), document));
    let mut resource = ctx.global_resource(id, POLICY);
    resource.name = summary.name().map(str::to_owned);
    resource.properties = Value::Object(properties).into();
    ctx.add(resource);
    scp
}

/// `id`, `arn`, `name`, `type`, `aws_managed` from the listing.
fn summary_properties(summary: &PolicySummary, id: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("id".into(), json!(summary.id()));
    p.insert("arn".into(), json!(summary.arn().unwrap_or(id)));
    p.insert("name".into(), json!(summary.name()));
    p.insert("type".into(), json!(summary.r#type().map(|t| t.as_str())));
    p.insert("aws_managed".into(), json!(summary.aws_managed()));
    p
}

/// `targets` (`{target_id, type, name}`) and `attached_to_root`: a policy attached to the
/// root applies to every account of the organization.
fn targets_properties(targets: &[PolicyTargetSummary]) -> Map<String, Value> {
    let list: Vec<Value> = targets
        .iter()
        .map(|t| {
            json!({
                "target_id": t.target_id(),
                "type": t.r#type().map(|ty| ty.as_str()),
                "name": t.name(),
            })
        })
        .collect();
    let mut p = Map::new();
    p.insert("targets".into(), Value::Array(list));
    p.insert(
        "attached_to_root".into(),
        json!(
            targets
                .iter()
                .any(|t| t.r#type() == Some(&TargetType::Root))
        ),
    );
    p
}

async fn delegated_administrators(ctx: &Ctx, client: &aws_sdk_organizations::Client) {
    let Some(admins) = crate::list_all!(
        ctx,
        "organizations:ListDelegatedAdministrators",
        &[DELEGATED_ADMIN],
        client.list_delegated_administrators()
    )
    .await
    else {
        return;
    };
    futures::stream::iter(admins)
        .map(|admin| delegated_administrator(ctx, client, admin))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// One delegated administrator: the account always; its `services` when listed.
async fn delegated_administrator(
    ctx: &Ctx,
    client: &aws_sdk_organizations::Client,
    admin: DelegatedAdministrator,
) {
    let Some(account_id) = admin.id() else {
        return;
    };
    let id = admin.arn().map(str::to_owned).unwrap_or_else(|| {
        format!(
            "arn:aws:organizations::{}:account/{account_id}",
            ctx.account
        )
    });
    let mut properties = admin_properties(&admin);
    if let Ok(Some(services)) = ctx
        .detail(
            "organizations:ListDelegatedServicesForAccount",
            &id,
            &[],
            client
                .list_delegated_services_for_account()
                .account_id(account_id)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
    {
        properties.insert("services".into(), services_list(&services));
    }
    let mut resource = ctx.global_resource(id, DELEGATED_ADMIN);
    resource.name = Some(admin.name().unwrap_or(account_id).to_owned());
    resource.properties = Value::Object(properties).into();
    ctx.add(resource);
}

/// `account_id`, `name`, `delegation_enabled_date`.
fn admin_properties(admin: &DelegatedAdministrator) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("account_id".into(), json!(admin.id()));
    p.insert("name".into(), json!(admin.name()));
    p.insert(
        "delegation_enabled_date".into(),
        crate::time(admin.delegation_enabled_date()),
    );
    p
}

/// The service principals delegated to the account (`guardduty.amazonaws.com`, …).
fn services_list(services: &[DelegatedService]) -> Value {
    json!(
        services
            .iter()
            .filter_map(|s| s.service_principal())
            .collect::<Vec<_>>()
    )
}

/// The organization as `{id, master_account_id, is_management_account}`, where the
/// account is the management account when it is the organization's master account.
fn organization_json(org: Option<&Organization>, account: &str) -> Value {
    let Some(org) = org else {
        return Value::Null;
    };
    json!({
        "id": org.id(),
        "master_account_id": org.master_account_id(),
        "is_management_account": org.master_account_id() == Some(account),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_organizations::types::PolicyTypeSummary;

    fn org(master: &str) -> Organization {
        Organization::builder()
            .id("o-abc123")
            .master_account_id(master)
            .arn("arn:aws:organizations::999988887777:organization/o-abc123")
            .build()
    }

    #[test]
    fn a_member_account_is_not_the_management_account() {
        assert_eq!(
            organization_json(Some(&org("999988887777")), "111122223333"),
            json!({"id": "o-abc123", "master_account_id": "999988887777", "is_management_account": false})
        );
    }

    #[test]
    fn the_master_account_is_the_management_account() {
        let value = organization_json(Some(&org("111122223333")), "111122223333");
        assert_eq!(value["is_management_account"], json!(true));
    }

    #[test]
    fn no_organization_in_the_answer_is_null() {
        assert_eq!(organization_json(None, "111122223333"), Value::Null);
    }

    #[test]
    fn root_lists_only_enabled_policy_types() {
        let root = Root::builder()
            .id("r-ab12")
            .policy_types(
                PolicyTypeSummary::builder()
                    .r#type(PolicyType::ServiceControlPolicy)
                    .status(PolicyTypeStatus::Enabled)
                    .build(),
            )
            .policy_types(
                PolicyTypeSummary::builder()
                    .r#type(PolicyType::TagPolicy)
                    .status(PolicyTypeStatus::PendingEnable)
                    .build(),
            )
            .policy_types(
                PolicyTypeSummary::builder()
                    .r#type(PolicyType::BackupPolicy)
                    .status(PolicyTypeStatus::Enabled)
                    .build(),
            )
            .build();
        let p = root_properties(&root);
        assert_eq!(p["root_id"], json!("r-ab12"));
        assert_eq!(
            p["enabled_policy_types"],
            json!(["SERVICE_CONTROL_POLICY", "BACKUP_POLICY"])
        );
    }

    fn target(id: &str, ty: TargetType, name: &str) -> PolicyTargetSummary {
        PolicyTargetSummary::builder()
            .target_id(id)
            .r#type(ty)
            .name(name)
            .build()
    }

    #[test]
    fn a_policy_attached_to_the_root_applies_everywhere() {
        let p = targets_properties(&[
            target(
                "ou-ab12-cdef3456",
                TargetType::OrganizationalUnit,
                "Workloads",
            ),
            target("r-ab12", TargetType::Root, "Root"),
        ]);
        assert_eq!(
            p["targets"],
            json!([
                {"target_id": "ou-ab12-cdef3456", "type": "ORGANIZATIONAL_UNIT", "name": "Workloads"},
                {"target_id": "r-ab12", "type": "ROOT", "name": "Root"}
            ])
        );
        assert_eq!(p["attached_to_root"], json!(true));
    }

    #[test]
    fn a_policy_on_accounts_only_is_not_attached_to_the_root() {
        let p = targets_properties(&[target("111122223333", TargetType::Account, "dev")]);
        assert_eq!(p["attached_to_root"], json!(false));
        let p = targets_properties(&[]);
        assert_eq!(p["targets"], json!([]));
        assert_eq!(p["attached_to_root"], json!(false));
    }

    #[test]
    fn policy_summary_and_document() {
        let summary = PolicySummary::builder()
            .id("p-abcd1234")
            .arn("arn:aws:organizations::111122223333:policy/o-abc123/service_control_policy/p-abcd1234")
            .name("deny-leave")
            .r#type(PolicyType::ServiceControlPolicy)
            .aws_managed(false)
            .build();
        let p = summary_properties(&summary, "unused");
        assert_eq!(p["id"], json!("p-abcd1234"));
        assert_eq!(
            p["arn"],
            json!(
                "arn:aws:organizations::111122223333:policy/o-abc123/service_control_policy/p-abcd1234"
            )
        );
        assert_eq!(p["name"], json!("deny-leave"));
        assert_eq!(p["type"], json!("SERVICE_CONTROL_POLICY"));
        assert_eq!(p["aws_managed"], json!(false));
        let document = crate::policy_document(Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}"#,
        ));
        assert_eq!(document["Statement"][0]["Effect"], json!("Deny"));
    }

    #[test]
    fn a_summary_without_arn_uses_the_built_id() {
        let summary = PolicySummary::builder().id("p-1").build();
        let p = summary_properties(&summary, "arn:aws:organizations::1:policy/p-1");
        assert_eq!(p["arn"], json!("arn:aws:organizations::1:policy/p-1"));
        assert_eq!(p["type"], Value::Null);
    }

    #[test]
    fn delegated_administrator_and_services() {
        let admin = DelegatedAdministrator::builder()
            .id("444455556666")
            .name("security")
            .delegation_enabled_date(aws_smithy_types::DateTime::from_secs(1_735_689_600))
            .build();
        let p = admin_properties(&admin);
        assert_eq!(p["account_id"], json!("444455556666"));
        assert_eq!(p["name"], json!("security"));
        assert_eq!(p["delegation_enabled_date"], json!("2025-01-01T00:00:00Z"));
        let services = [
            DelegatedService::builder()
                .service_principal("guardduty.amazonaws.com")
                .build(),
            DelegatedService::builder()
                .service_principal("securityhub.amazonaws.com")
                .build(),
        ];
        assert_eq!(
            services_list(&services),
            json!(["guardduty.amazonaws.com", "securityhub.amazonaws.com"])
        );
    }

    #[test]
    fn a_parent_is_the_root_or_an_organizational_unit() {
        let parent = |id: &str, kind: ParentType| Parent::builder().id(id).r#type(kind).build();
        assert_eq!(
            parent_level(&[parent("r-ab12", ParentType::Root)]),
            Some(("r-ab12".to_owned(), "ROOT"))
        );
        assert_eq!(
            parent_level(&[parent("ou-ab12-cdef3456", ParentType::OrganizationalUnit)]),
            Some(("ou-ab12-cdef3456".to_owned(), "ORGANIZATIONAL_UNIT"))
        );
        assert_eq!(parent_level(&[]), None);
        assert_eq!(parent_level(&[Parent::builder().id("r-1").build()]), None);
    }

    /// A level whose SCPs could not be listed lacks `scps` (not collected), unlike one
    /// where SCPs are not enabled (`null`) or none is attached (`[]`).
    #[test]
    fn a_level_without_scps_read_lacks_the_key() {
        assert_eq!(
            level_json("r-ab12", "ROOT", None),
            json!({"id": "r-ab12", "type": "ROOT"})
        );
        assert_eq!(
            level_json("111122223333", "ACCOUNT", Some(Value::Null)),
            json!({"id": "111122223333", "type": "ACCOUNT", "scps": null})
        );
        assert_eq!(
            level_json("ou-1", "ORGANIZATIONAL_UNIT", Some(json!([]))),
            json!({"id": "ou-1", "type": "ORGANIZATIONAL_UNIT", "scps": []})
        );
    }

    #[test]
    fn a_member_account_gets_gaps_naming_the_management_account() {
        let ctx = Ctx::new(
            "111122223333".into(),
            "us-east-1".into(),
            aws_types::SdkConfig::builder().build(),
            std::sync::Arc::default(),
        );
        member_gaps(&ctx, Some("999988887777"));
        let output = ctx.shared.output.lock().unwrap();
        let gaps: Vec<_> = output
            .gaps
            .iter()
            .map(|g| {
                (
                    g.operation.as_str(),
                    g.resource_types.clone(),
                    g.error_code.as_str(),
                    g.resource.is_none() && g.message.contains("999988887777"),
                )
            })
            .collect();
        assert_eq!(
            gaps,
            vec![
                (
                    "ListPolicies",
                    vec![POLICY.to_owned()],
                    "NotManagementAccount",
                    true
                ),
                (
                    "ListDelegatedAdministrators",
                    vec![DELEGATED_ADMIN.to_owned()],
                    "NotManagementAccount",
                    true
                ),
            ]
        );
        assert!(output.gaps.iter().all(|g| g.service == "organizations"));
    }
}
