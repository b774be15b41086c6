//! backup collector: the region's AWS Backup plans (rules and resource selections) and
//! vaults (lock settings, recovery points).
//!
//! Both listings are type-level gaps when they fail. Per plan, `GetBackupPlan` gives the
//! rules and `ListBackupSelections` + `GetBackupSelection` the selections; per vault,
//! `DescribeBackupVault` gives the lock settings and `ListRecoveryPointsByBackupVault`
//! (only points created in the last [`RECENT_DAYS`] days, at most [`MAX_RECOVERY_PAGES`]
//! pages) the newest recent recovery point. Each failed detail is a resource-level gap
//! and leaves its property absent, so rules reading it report ERROR.
//!
//! Relations: a plan `delivers_to` the vaults its rules target and copy to; a vault is
//! `encrypted_by` its KMS key.

use std::collections::HashMap;

use aws_sdk_backup::Client;
use aws_sdk_backup::operation::describe_backup_vault::DescribeBackupVaultOutput;
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::ListRecoveryPointsByBackupVaultError;
use aws_sdk_backup::types::{
    BackupPlan, BackupPlansListMember, BackupRule, BackupSelection, BackupSelectionsListMember,
    BackupVaultListMember, RecoveryPointByBackupVault,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::DateTime;
use futures::StreamExt;
use serde_json::{Map, Value, json};

use crate::registry::{Collector, Scope};
use crate::services::ec2::kms_key_arn;
use crate::{Ctx, client, time};

pub const COLLECTOR: Collector = Collector {
    service: "backup",
    scope: Scope::Regional,
    actions: &[
        "backup:ListBackupPlans",
        "backup:GetBackupPlan",
        "backup:ListBackupSelections",
        "backup:GetBackupSelection",
        "backup:ListBackupVaults",
        "backup:DescribeBackupVault",
        "backup:ListRecoveryPointsByBackupVault",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const PLAN: &str = "aws.backup.plan";
const VAULT: &str = "aws.backup.vault";

/// Plans and vaults whose details are read at once.
const PARALLEL_RESOURCES: usize = 4;
/// Selections of one plan read at once (so at most 4 × 2 selection reads in flight).
const PARALLEL_SELECTIONS: usize = 2;
/// `latest_recovery_point` only looks this far back: a vault whose newest point is older
/// has no recent backup, which is what rules ask.
const RECENT_DAYS: i64 = 35;
/// Pages of recent recovery points read per vault. A vault with more than this many
/// pages of recent points certainly has a recent backup; the newest of the pages read
/// stands in for the newest of all.
const MAX_RECOVERY_PAGES: usize = 10;

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_backup);
    // Vaults first: the plans' relations name vaults by name, and the listing maps
    // names to ARNs.
    let vaults = crate::list_all!(
        ctx,
        "backup:ListBackupVaults",
        &[VAULT],
        client.list_backup_vaults()
    )
    .await;
    let vault_arns: HashMap<String, String> = vaults
        .iter()
        .flatten()
        .filter_map(|v| {
            Some((
                v.backup_vault_name()?.to_owned(),
                v.backup_vault_arn()?.to_owned(),
            ))
        })
        .collect();
    let plans = async {
        let listed = client
            .list_backup_plans()
            .into_paginator()
            .items()
            .send()
            .try_collect();
        if let Some(plans) = ctx.list("backup:ListBackupPlans", &[PLAN], listed).await {
            futures::stream::iter(plans)
                .map(|plan| collect_plan(&ctx, &client, &vault_arns, plan))
                .buffer_unordered(PARALLEL_RESOURCES)
                .collect::<Vec<()>>()
                .await;
        }
    };
    let vaults = futures::stream::iter(vaults.into_iter().flatten())
        .map(|vault| collect_vault(&ctx, &client, vault))
        .buffer_unordered(PARALLEL_RESOURCES)
        .collect::<Vec<()>>();
    futures::join!(plans, vaults);
}

// ---------------------------------------------------------------------------------
// Plans

async fn collect_plan(
    ctx: &Ctx,
    client: &Client,
    vault_arns: &HashMap<String, String>,
    plan: BackupPlansListMember,
) {
    let Some(plan_id) = plan.backup_plan_id() else {
        return;
    };
    let id = plan
        .backup_plan_arn()
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.arn("backup", &format!("backup-plan:{plan_id}")));
    let mut props = plan_summary(&plan);
    props.insert("arn".into(), json!(id));

    let detail = ctx
        .detail(
            "backup:GetBackupPlan",
            &id,
            &[],
            client.get_backup_plan().backup_plan_id(plan_id).send(),
        )
        .await;
    if let Ok(Some(out)) = detail {
        if let Some(version) = out.version_id() {
            props.insert("version_id".into(), json!(version));
        }
        if let Some(body) = out.backup_plan() {
            props.insert("rules".into(), json!(plan_rules(body)));
            for vault in plan_vaults(ctx, body, vault_arns) {
                ctx.relate(id.as_str(), "delivers_to", vault);
            }
        }
    }
    if let Some(selections) = plan_selections(ctx, client, &id, plan_id).await {
        props.insert("selections".into(), Value::Array(selections));
    }

    let mut resource = ctx.resource(id, PLAN);
    resource.name = plan.backup_plan_name().map(str::to_owned);
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// The selections of one plan, or `None` (after a gap) when any read failed: a partial
/// list would let a rule miss the selection that covers a resource.
async fn plan_selections(
    ctx: &Ctx,
    client: &Client,
    id: &str,
    plan_id: &str,
) -> Option<Vec<Value>> {
    let listed = client
        .list_backup_selections()
        .backup_plan_id(plan_id)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let members: Vec<BackupSelectionsListMember> = ctx
        .detail("backup:ListBackupSelections", id, &[], listed)
        .await
        .ok()??;
    let ids: Vec<String> = members
        .iter()
        .filter_map(|m| m.selection_id().map(str::to_owned))
        .collect();
    let read = futures::stream::iter(ids)
        .map(|selection_id| read_selection(ctx, client, id, plan_id, selection_id))
        .buffered(PARALLEL_SELECTIONS)
        .collect::<Vec<Option<Option<Value>>>>()
        .await;
    // A selection that answered without a body is skipped; a failed read fails the list.
    read.into_iter()
        .collect::<Option<Vec<Option<Value>>>>()
        .map(|all| all.into_iter().flatten().collect())
}

/// One selection: `None` when the read failed (after a gap), `Some(None)` when the
/// answer has no body.
async fn read_selection(
    ctx: &Ctx,
    client: &Client,
    id: &str,
    plan_id: &str,
    selection_id: String,
) -> Option<Option<Value>> {
    let out = ctx
        .detail(
            "backup:GetBackupSelection",
            id,
            &[],
            client
                .get_backup_selection()
                .backup_plan_id(plan_id)
                .selection_id(selection_id)
                .send(),
        )
        .await
        .ok()??;
    Some(out.backup_selection().map(selection))
}

/// What ListBackupPlans tells about a plan.
fn plan_summary(plan: &BackupPlansListMember) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("name".into(), json!(plan.backup_plan_name()));
    p.insert("version_id".into(), json!(plan.version_id()));
    p
}

/// The contract's `rules`: target vault (by name, as the API gives it), schedule,
/// retention and copy destinations.
fn plan_rules(plan: &BackupPlan) -> Vec<Value> {
    plan.rules().iter().map(rule).collect()
}

fn rule(rule: &BackupRule) -> Value {
    json!({
        "rule_name": rule.rule_name(),
        "target_vault": rule.target_backup_vault_name(),
        "schedule_expression": rule.schedule_expression(),
        "delete_after_days": rule.lifecycle().and_then(|l| l.delete_after_days()),
        "copy_actions": rule
            .copy_actions()
            .iter()
            .map(|c| c.destination_backup_vault_arn())
            .collect::<Vec<_>>(),
    })
}

/// The ARNs of the vaults a plan stores recovery points in: its rules' target vaults
/// (names, resolved through the listing, else the ARN they must have in this account and
/// region) and its copy destinations. Sorted, without duplicates.
fn plan_vaults(ctx: &Ctx, plan: &BackupPlan, vault_arns: &HashMap<String, String>) -> Vec<String> {
    let mut vaults: Vec<String> = plan
        .rules()
        .iter()
        .flat_map(|r| {
            let name = r.target_backup_vault_name();
            let target = vault_arns
                .get(name)
                .cloned()
                .unwrap_or_else(|| ctx.arn("backup", &format!("backup-vault:{name}")));
            std::iter::once(target).chain(
                r.copy_actions()
                    .iter()
                    .map(|c| c.destination_backup_vault_arn().to_owned()),
            )
        })
        .filter(|arn| !arn.is_empty())
        .collect();
    vaults.sort();
    vaults.dedup();
    vaults
}

/// One selection: who assigns, which resources in and out, and how many tag conditions
/// (the older `ListOfTags` and the newer `Conditions` together).
fn selection(selection: &BackupSelection) -> Value {
    let conditions = selection.conditions().map_or(0, |c| {
        c.string_equals().len()
            + c.string_not_equals().len()
            + c.string_like().len()
            + c.string_not_like().len()
    });
    json!({
        "selection_name": selection.selection_name(),
        "iam_role_arn": selection.iam_role_arn(),
        "resources": selection.resources(),
        "not_resources": selection.not_resources(),
        "tag_conditions": selection.list_of_tags().len() + conditions,
    })
}

// ---------------------------------------------------------------------------------
// Vaults

async fn collect_vault(ctx: &Ctx, client: &Client, vault: BackupVaultListMember) {
    let (Some(arn), Some(name)) = (vault.backup_vault_arn(), vault.backup_vault_name()) else {
        return;
    };
    let mut props = vault_summary(&vault);
    let (described, recent) = futures::join!(
        ctx.detail(
            "backup:DescribeBackupVault",
            arn,
            &[],
            client
                .describe_backup_vault()
                .backup_vault_name(name)
                .send(),
        ),
        ctx.detail(
            "backup:ListRecoveryPointsByBackupVault",
            arn,
            &[],
            recent_recovery_points(client, name),
        ),
    );
    if let Ok(Some(out)) = described {
        props.extend(vault_lock(&out));
    }
    if let Ok(Some(points)) = recent {
        props.insert(
            "latest_recovery_point".into(),
            latest_recovery_point(&points),
        );
    }
    if let Some(key) = vault.encryption_key_arn().and_then(|k| kms_key_arn(ctx, k)) {
        ctx.relate(arn, "encrypted_by", key);
    }
    let mut resource = ctx.resource(arn, VAULT);
    resource.name = Some(name.to_owned());
    resource.properties = Value::Object(props).into();
    ctx.add(resource);
}

/// Recovery points created in the last [`RECENT_DAYS`] days, at most
/// [`MAX_RECOVERY_PAGES`] pages of them.
async fn recent_recovery_points(
    client: &Client,
    vault: &str,
) -> Result<
    Vec<RecoveryPointByBackupVault>,
    SdkError<ListRecoveryPointsByBackupVaultError, HttpResponse>,
> {
    let since = DateTime::from_secs(chrono::Utc::now().timestamp() - RECENT_DAYS * 86_400);
    let mut points = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_RECOVERY_PAGES {
        let page = client
            .list_recovery_points_by_backup_vault()
            .backup_vault_name(vault)
            .by_created_after(since)
            .set_next_token(token)
            .send()
            .await?;
        points.extend(page.recovery_points().iter().cloned());
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(points);
        }
    }
    tracing::debug!(vault, "more recent recovery points than the pages read");
    Ok(points)
}

/// What ListBackupVaults tells about a vault.
fn vault_summary(vault: &BackupVaultListMember) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(vault.backup_vault_arn()));
    p.insert("name".into(), json!(vault.backup_vault_name()));
    p.insert(
        "encryption_key_arn".into(),
        json!(vault.encryption_key_arn()),
    );
    p.insert(
        "number_of_recovery_points".into(),
        json!(vault.number_of_recovery_points()),
    );
    p
}

/// Vault Lock settings: `locked` is false when no lock is configured.
fn vault_lock(out: &DescribeBackupVaultOutput) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("locked".into(), json!(out.locked().unwrap_or(false)));
    p.insert("min_retention_days".into(), json!(out.min_retention_days()));
    p.insert("max_retention_days".into(), json!(out.max_retention_days()));
    p
}

/// The newest creation date among the points, or null when there are none.
fn latest_recovery_point(points: &[RecoveryPointByBackupVault]) -> Value {
    let newest = points
        .iter()
        .filter_map(|p| p.creation_date())
        .max_by_key(|d| (d.secs(), d.subsec_nanos()));
    time(newest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_backup::types::{
        Condition, ConditionParameter, ConditionType, Conditions, CopyAction, Lifecycle,
    };
    use aws_types::SdkConfig;

    fn test_ctx() -> Ctx {
        Ctx::new(
            "111122223333".into(),
            "eu-west-1".into(),
            SdkConfig::builder().build(),
            Default::default(),
        )
    }

    fn plan() -> BackupPlan {
        BackupPlan::builder()
            .backup_plan_name("daily")
            .rules(
                BackupRule::builder()
                    .rule_name("daily-35")
                    .target_backup_vault_name("main")
                    .schedule_expression("cron(0 5 ? * * *)")
                    .lifecycle(Lifecycle::builder().delete_after_days(35).build())
                    .copy_actions(
                        CopyAction::builder()
                            .destination_backup_vault_arn(
                                "arn:aws:backup:us-east-1:111122223333:backup-vault:dr",
                            )
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .rules(
                BackupRule::builder()
                    .rule_name("weekly")
                    .target_backup_vault_name("unlisted")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn rules_carry_target_schedule_retention_and_copies() {
        assert_eq!(
            json!(plan_rules(&plan())),
            json!([
                {
                    "rule_name": "daily-35",
                    "target_vault": "main",
                    "schedule_expression": "cron(0 5 ? * * *)",
                    "delete_after_days": 35,
                    "copy_actions": ["arn:aws:backup:us-east-1:111122223333:backup-vault:dr"],
                },
                {
                    "rule_name": "weekly",
                    "target_vault": "unlisted",
                    "schedule_expression": null,
                    "delete_after_days": null,
                    "copy_actions": [],
                },
            ])
        );
    }

    #[test]
    fn plan_vaults_resolve_names_and_include_copies() {
        let listed = HashMap::from([(
            "main".to_owned(),
            "arn:aws:backup:eu-west-1:111122223333:backup-vault:main".to_owned(),
        )]);
        assert_eq!(
            plan_vaults(&test_ctx(), &plan(), &listed),
            vec![
                "arn:aws:backup:eu-west-1:111122223333:backup-vault:main",
                // Not in the listing: the ARN it must have here.
                "arn:aws:backup:eu-west-1:111122223333:backup-vault:unlisted",
                "arn:aws:backup:us-east-1:111122223333:backup-vault:dr",
            ]
        );
    }

    #[test]
    fn selection_counts_both_kinds_of_tag_condition() {
        let param = |k: &str| {
            ConditionParameter::builder()
                .condition_key(k)
                .condition_value("yes")
                .build()
        };
        let s = BackupSelection::builder()
            .selection_name("tagged")
            .iam_role_arn("arn:aws:iam::111122223333:role/backup")
            .resources("arn:aws:ec2:*:*:volume/*")
            .not_resources("arn:aws:ec2:*:*:volume/vol-skip")
            .list_of_tags(
                Condition::builder()
                    .condition_type(ConditionType::Stringequals)
                    .condition_key("backup")
                    .condition_value("true")
                    .build()
                    .unwrap(),
            )
            .conditions(
                Conditions::builder()
                    .string_equals(param("aws:ResourceTag/a"))
                    .string_not_like(param("aws:ResourceTag/b"))
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            selection(&s),
            json!({
                "selection_name": "tagged",
                "iam_role_arn": "arn:aws:iam::111122223333:role/backup",
                "resources": ["arn:aws:ec2:*:*:volume/*"],
                "not_resources": ["arn:aws:ec2:*:*:volume/vol-skip"],
                "tag_conditions": 3,
            })
        );
    }

    #[test]
    fn plan_summary_from_listing() {
        let p = plan_summary(
            &BackupPlansListMember::builder()
                .backup_plan_name("daily")
                .version_id("v1")
                .build(),
        );
        assert_eq!(
            Value::Object(p),
            json!({"name": "daily", "version_id": "v1"})
        );
    }

    #[test]
    fn vault_summary_and_lock() {
        let v = BackupVaultListMember::builder()
            .backup_vault_name("main")
            .backup_vault_arn("arn:aws:backup:eu-west-1:111122223333:backup-vault:main")
            .encryption_key_arn("arn:aws:kms:eu-west-1:111122223333:key/k1")
            .number_of_recovery_points(7)
            .build();
        assert_eq!(
            Value::Object(vault_summary(&v)),
            json!({
                "arn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:main",
                "name": "main",
                "encryption_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/k1",
                "number_of_recovery_points": 7,
            })
        );
        let locked = DescribeBackupVaultOutput::builder()
            .locked(true)
            .min_retention_days(7)
            .max_retention_days(365)
            .build();
        assert_eq!(
            Value::Object(vault_lock(&locked)),
            json!({"locked": true, "min_retention_days": 7, "max_retention_days": 365})
        );
        let unlocked = DescribeBackupVaultOutput::builder().build();
        assert_eq!(
            Value::Object(vault_lock(&unlocked)),
            json!({"locked": false, "min_retention_days": null, "max_retention_days": null})
        );
    }

    #[test]
    fn latest_recovery_point_is_the_newest_or_null() {
        let point = |secs| {
            RecoveryPointByBackupVault::builder()
                .creation_date(DateTime::from_secs(secs))
                .build()
        };
        let points = [
            point(1_700_000_000),
            point(1_700_086_400),
            point(1_699_000_000),
        ];
        assert_eq!(
            latest_recovery_point(&points),
            json!("2023-11-15T22:13:20Z")
        );
        assert_eq!(latest_recovery_point(&[]), Value::Null);
    }
}
