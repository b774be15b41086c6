//! inspector collector: whether Amazon Inspector scans this account in this region, and
//! how many resources it covers. Both live on the `aws.region` node: `inspector` (the
//! account's status and that of each scan type) and `inspector_coverage`.
//!
//! A failed call is a resource-level gap on the region node and leaves its property
//! absent. `BatchGetAccountStatus` names the account in `failedAccounts` when it cannot
//! tell its status: that is a gap too, with the error code Inspector gives. An answer that
//! names the account nowhere (moto does so until Inspector is enabled) is `null`:
//! Inspector has nothing to say about this account, so it does not scan it.

use aws_sdk_inspector2::Client;
use aws_sdk_inspector2::operation::batch_get_account_status::BatchGetAccountStatusOutput;
use aws_sdk_inspector2::operation::list_coverage_statistics::ListCoverageStatisticsOutput;
use aws_sdk_inspector2::types::{AccountState, GroupKey, State};
use serde_json::{Value, json};

use crate::calls::CallError;
use crate::registry::{Collector, Scope};
use crate::{Ctx, client};

pub const COLLECTOR: Collector = Collector {
    service: "inspector2",
    scope: Scope::Regional,
    actions: &[
        "inspector2:BatchGetAccountStatus",
        "inspector2:ListCoverageStatistics",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_inspector2);
    futures::join!(account_status(&ctx, &client), coverage(&ctx, &client));
}

async fn account_status(ctx: &Ctx, client: &Client) {
    let region_node = crate::region_id(&ctx.account, &ctx.region);
    let answer = ctx
        .detail(
            "inspector2:BatchGetAccountStatus",
            &region_node,
            &[],
            client
                .batch_get_account_status()
                .account_ids(&ctx.account)
                .send(),
        )
        .await;
    let Ok(Some(out)) = answer else {
        return;
    };
    match inspector_status(&out, &ctx.account) {
        Ok(value) => ctx.set_region("inspector", value),
        Err(err) => ctx.gap_resource("inspector2:BatchGetAccountStatus", &region_node, &err),
    }
}

async fn coverage(ctx: &Ctx, client: &Client) {
    let region_node = crate::region_id(&ctx.account, &ctx.region);
    let pages = client
        .list_coverage_statistics()
        .group_by(GroupKey::ScanStatusCode)
        .into_paginator()
        .send()
        .try_collect();
    if let Ok(Some(pages)) = ctx
        .detail(
            "inspector2:ListCoverageStatistics",
            &region_node,
            &[],
            pages,
        )
        .await
    {
        ctx.set_region("inspector_coverage", coverage_counts(&pages));
    }
}

/// `{status, ec2, ecr, lambda, lambda_code}` for `account`; `null` when the answer does
/// not name it, an error when it names it as failed.
fn inspector_status(out: &BatchGetAccountStatusOutput, account: &str) -> Result<Value, CallError> {
    if let Some(state) = out.accounts().iter().find(|a| a.account_id() == account) {
        return Ok(account_state(state));
    }
    if let Some(failed) = out
        .failed_accounts()
        .iter()
        .find(|a| a.account_id() == account)
    {
        return Err(CallError {
            code: failed.error_code().as_str().to_owned(),
            message: failed.error_message().to_owned(),
        });
    }
    Ok(Value::Null)
}

fn account_state(state: &AccountState) -> Value {
    let status = |s: Option<&State>| s.map(|s| s.status().as_str().to_owned());
    let resources = state.resource_state();
    json!({
        "status": status(state.state()),
        "ec2": status(resources.and_then(|r| r.ec2())),
        "ecr": status(resources.and_then(|r| r.ecr())),
        "lambda": status(resources.and_then(|r| r.lambda())),
        "lambda_code": status(resources.and_then(|r| r.lambda_code())),
    })
}

/// `{total, active, inactive}` from the pages of a listing grouped by scan status code.
/// Groups other than `ACTIVE` and `INACTIVE` are ignored. Where resources are covered
/// but no group names either status, the split is unknown and both are `null` rather
/// than a misleading 0.
fn coverage_counts(pages: &[ListCoverageStatisticsOutput]) -> Value {
    let total = pages.iter().map(|p| p.total_counts()).max().unwrap_or(0);
    let (mut active, mut inactive, mut known) = (0_i64, 0_i64, false);
    for counts in pages.iter().flat_map(|p| p.counts_by_group()) {
        match counts.group_key().map(|k| k.as_str()) {
            Some("ACTIVE") => active += counts.count(),
            Some("INACTIVE") => inactive += counts.count(),
            _ => continue,
        }
        known = true;
    }
    if known || total == 0 {
        json!({"total": total, "active": active, "inactive": inactive})
    } else {
        json!({"total": total, "active": null, "inactive": null})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_inspector2::types::{Counts, ErrorCode, FailedAccount, ResourceState, Status};

    fn state(status: Status) -> State {
        State::builder()
            .status(status)
            .error_code(ErrorCode::AlreadyEnabled)
            .error_message("")
            .build()
            .unwrap()
    }

    #[test]
    fn status_of_the_scanned_account_and_each_scan_type() {
        let out = BatchGetAccountStatusOutput::builder()
            .accounts(
                AccountState::builder()
                    .account_id("999999999999")
                    .state(state(Status::Disabled))
                    .build()
                    .unwrap(),
            )
            .accounts(
                AccountState::builder()
                    .account_id("111122223333")
                    .state(state(Status::Enabled))
                    .resource_state(
                        ResourceState::builder()
                            .ec2(state(Status::Enabled))
                            .ecr(state(Status::Disabled))
                            .lambda(state(Status::Enabling))
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            inspector_status(&out, "111122223333").unwrap(),
            json!({
                "status": "ENABLED",
                "ec2": "ENABLED",
                "ecr": "DISABLED",
                "lambda": "ENABLING",
                "lambda_code": null,
            })
        );
    }

    #[test]
    fn a_failed_account_is_an_error_and_a_missing_one_null() {
        let out = BatchGetAccountStatusOutput::builder()
            .set_accounts(Some(Vec::new()))
            .failed_accounts(
                FailedAccount::builder()
                    .account_id("111122223333")
                    .error_code(ErrorCode::AccessDenied)
                    .error_message("not allowed")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let err = inspector_status(&out, "111122223333").unwrap_err();
        assert_eq!(err.code, "ACCESS_DENIED");
        assert_eq!(err.message, "not allowed");
        assert_eq!(inspector_status(&out, "444455556666").unwrap(), Value::Null);
    }

    fn page(total: i64, groups: &[(&str, i64)]) -> ListCoverageStatisticsOutput {
        let mut b = ListCoverageStatisticsOutput::builder().total_counts(total);
        for (key, count) in groups {
            b = b.counts_by_group(
                Counts::builder()
                    .group_key(GroupKey::from(*key))
                    .count(*count)
                    .build(),
            );
        }
        b.build().unwrap()
    }

    #[test]
    fn coverage_sums_groups_across_pages_and_ignores_unknown_keys() {
        let pages = [
            page(12, &[("ACTIVE", 7), ("SOMETHING_NEW", 4)]),
            page(12, &[("INACTIVE", 1)]),
        ];
        assert_eq!(
            coverage_counts(&pages),
            json!({"total": 12, "active": 7, "inactive": 1})
        );
    }

    #[test]
    fn coverage_of_nothing_and_of_an_unknown_split() {
        assert_eq!(
            coverage_counts(&[page(0, &[])]),
            json!({"total": 0, "active": 0, "inactive": 0})
        );
        assert_eq!(
            coverage_counts(&[]),
            json!({"total": 0, "active": 0, "inactive": 0})
        );
        assert_eq!(
            coverage_counts(&[page(5, &[("SCAN_STATUS_CODE", 5)])]),
            json!({"total": 5, "active": null, "inactive": null})
        );
    }
}
