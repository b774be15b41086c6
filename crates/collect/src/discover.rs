//! AWS Organizations discovery: the member accounts a daemon should scan, listed from
//! the management account or a delegated administrator, each to be read through a role
//! of the same name assumed in it.

use aws_sdk_organizations::types::{Account, AccountState, AccountStatus};

use crate::{CallError, CollectOptions, client};

/// IAM actions discovery calls, on the management or delegated-administrator account
/// only. `vigil policy` publishes them in a statement of their own.
pub const DISCOVERY_ACTIONS: &[&str] = &["organizations:ListAccounts"];

/// One account of the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, `CLOSED` (from `State`, or the older
    /// `Status` when the endpoint does not send `State`).
    pub state: String,
}

impl OrgAccount {
    /// Only active accounts can be scanned; the others are reported and skipped.
    pub fn is_active(&self) -> bool {
        self.state == "ACTIVE"
    }

    /// The role to assume in this account.
    pub fn role_arn(&self, role_name: &str) -> String {
        format!("arn:aws:iam::{}:role/{role_name}", self.id)
    }
}

/// Lists every account of the organisation the configured credentials can see
/// (`organizations:ListAccounts`, paginated). An error here is the caller's to report:
/// without the list there is nothing to scan.
pub async fn discover_accounts(options: &CollectOptions) -> Result<Vec<OrgAccount>, CallError> {
    let (_, probe) = crate::probe(options).await;
    let client = client!(probe, aws_sdk_organizations);
    // This paginator has no item view: collect the pages.
    let pages = client.list_accounts().into_paginator().send().try_collect();
    let pages = probe.call("organizations:ListAccounts", pages).await?;
    let mut out: Vec<OrgAccount> = pages
        .iter()
        .flat_map(|page| page.accounts())
        .filter_map(org_account)
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn org_account(account: &Account) -> Option<OrgAccount> {
    #[allow(deprecated)] // `status` is what older endpoints (and moto) still send.
    let state = account
        .state()
        .map(AccountState::as_str)
        .or_else(|| account.status().map(AccountStatus::as_str))
        .unwrap_or("UNKNOWN")
        .to_owned();
    Some(OrgAccount {
        id: account.id()?.to_owned(),
        name: account.name().map(str::to_owned),
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(deprecated)]
    fn state_falls_back_to_status_and_suspended_is_not_active() {
        let suspended = Account::builder()
            .id("111122223333")
            .name("old")
            .status(AccountStatus::Suspended)
            .build();
        let account = org_account(&suspended).unwrap();
        assert_eq!(account.state, "SUSPENDED");
        assert!(!account.is_active());
        let active = Account::builder()
            .id("444455556666")
            .state(AccountState::Active)
            .build();
        let account = org_account(&active).unwrap();
        assert!(account.is_active());
        assert_eq!(
            account.role_arn("VigilScanner"),
            "arn:aws:iam::444455556666:role/VigilScanner"
        );
    }

    #[test]
    fn an_account_without_id_is_skipped() {
        assert_eq!(org_account(&Account::builder().name("x").build()), None);
    }
}
