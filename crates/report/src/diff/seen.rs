//! What a saved scan looked at: its accounts, the rules it evaluated and the services
//! it collected per account and region. A diff asks this before calling a finding
//! resolved or a resource removed, because absence from a scan that did not look is
//! not evidence of anything.

use std::collections::{BTreeSet, HashMap};

use crate::coverage::AccountCoverage;
use crate::saved::{SavedScan, service_of};

pub(crate) struct Seen<'a> {
    /// `OLD` or `NEW`, for the messages.
    label: &'static str,
    accounts: BTreeSet<&'a str>,
    rules: BTreeSet<&'a str>,
    coverage: HashMap<&'a str, &'a AccountCoverage>,
}

impl<'a> Seen<'a> {
    pub(crate) fn of(scan: &'a SavedScan, label: &'static str) -> Seen<'a> {
        Seen {
            label,
            accounts: scan.facts.accounts.iter().map(String::as_str).collect(),
            rules: scan.rules.iter().map(|r| r.id.as_str()).collect(),
            coverage: scan
                .facts
                .coverage
                .iter()
                .map(|c| (c.account.as_str(), c))
                .collect(),
        }
    }

    /// Why this scan could not have made a finding of `rule` on a resource of this
    /// type and place; `None` when it looked.
    pub(crate) fn why_not(
        &self,
        rule: &str,
        resource_type: &str,
        account: &str,
        region: &str,
    ) -> Option<String> {
        if !self.rules.contains(rule) {
            return Some(format!("{} did not evaluate rule `{rule}`", self.label));
        }
        self.why_not_collected(resource_type, account, region)
    }

    /// Why this scan could not have seen a resource of this type and place; `None`
    /// when it collected there. A scan that recorded no coverage at all (an old or a
    /// hand-written snapshot) judged as if everything was collected, and so does this.
    pub(crate) fn why_not_collected(
        &self,
        resource_type: &str,
        account: &str,
        region: &str,
    ) -> Option<String> {
        if !self.accounts.contains(account) {
            return Some(format!("{} did not scan account {account}", self.label));
        }
        if self.coverage.is_empty() {
            return None;
        }
        let service = service_of(resource_type);
        let Some(coverage) = self.coverage.get(account) else {
            return Some(format!(
                "{} recorded no coverage for account {account}",
                self.label
            ));
        };
        if coverage.excluded.iter().any(|s| s == service) {
            return Some(format!(
                "{} excluded {service} from account {account}",
                self.label
            ));
        }
        // Failed scopes read `service in region: codes (n gaps)`. A global resource
        // lives wherever its service was called, so any failure of it counts.
        let prefix = format!("{service} in ");
        if let Some(failure) = coverage.failed.iter().find(|line| {
            line.strip_prefix(&prefix).is_some_and(|rest| {
                region == vigil_inventory::GLOBAL_REGION || rest.split(':').next() == Some(region)
            })
        }) {
            return Some(format!(
                "{} failed to collect in account {account}: {failure}",
                self.label
            ));
        }
        if coverage.collected.iter().any(|s| s == service) {
            None
        } else {
            Some(format!(
                "{} did not collect {service} in account {account}",
                self.label
            ))
        }
    }
}
