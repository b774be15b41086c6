//! The lifecycle of a finding across scans, as one pure function, so the whole policy
//! reads as a table and is tested without a database.
//!
//! | stored state \ result    | PASS     | FAIL                    | ERROR | MUTED |
//! |--------------------------|----------|-------------------------|-------|-------|
//! | none (never failed)      | none     | NEW                     | none  | MUTED |
//! | NEW, OPEN, REOPENED      | RESOLVED | OPEN                    | kept  | MUTED |
//! | RESOLVED                 | RESOLVED | REOPENED                | kept  | MUTED |
//! | MUTED                    | RESOLVED | OPEN, or NEW if it never failed before | kept | MUTED |
//!
//! Why these choices:
//! - ERROR means "unknown" (the data was not collected): it neither opens nor resolves,
//!   or a permissions hiccup would resolve every finding and reopen them all next scan.
//! - A finding that has only ever passed has no lifecycle state ("none"): nothing was
//!   wrong, so there is nothing to open or resolve. It is still stored, with its latest
//!   result, so the API can list passing checks.
//! - A muted finding that fails again once unmuted is OPEN if it was seen failing
//!   before the mute, NEW if the sinks never heard of it.
//! - The fourth way to RESOLVED, the resource no longer existing, is decided by
//!   [`Store::record_results`](crate::Store::record_results), which knows the inventory.

use crate::findings::ResultStatus;

text_enum! {
    /// Where a finding is in its lifecycle.
    pub enum LifecycleState {
        /// Failing, first seen failing in this scan.
        New => "NEW",
        /// Failing, and was failing in an earlier scan.
        Open => "OPEN",
        /// Was failing, now passes or its resource is gone.
        Resolved => "RESOLVED",
        /// Failing again after it had been resolved.
        Reopened => "REOPENED",
        /// Its latest result is muted (an accepted risk, an exception).
        Muted => "MUTED",
    }
}

impl LifecycleState {
    /// NEW, OPEN and REOPENED: the states in which a finding is an open problem.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            LifecycleState::New | LifecycleState::Open | LifecycleState::Reopened
        )
    }
}

/// The state a finding moves to when a scan reports `result` for it, given its stored
/// state (`None` if it has none) and whether it was ever seen failing.
pub fn next_state(
    stored: Option<LifecycleState>,
    result: ResultStatus,
    failed_before: bool,
) -> Option<LifecycleState> {
    use LifecycleState::*;
    match (result, stored) {
        (ResultStatus::Error, stored) => stored,
        (ResultStatus::Muted, _) => Some(Muted),
        (ResultStatus::Pass, None) => None,
        (ResultStatus::Pass, Some(_)) => Some(Resolved),
        (ResultStatus::Fail, None) => Some(New),
        (ResultStatus::Fail, Some(New | Open | Reopened)) => Some(Open),
        (ResultStatus::Fail, Some(Resolved)) => Some(Reopened),
        (ResultStatus::Fail, Some(Muted)) => Some(if failed_before { Open } else { New }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleState::*;

    #[test]
    fn the_table_in_the_module_docs() {
        use ResultStatus::{Error, Fail, Muted as M, Pass};
        let cases: &[(
            Option<LifecycleState>,
            ResultStatus,
            bool,
            Option<LifecycleState>,
        )] = &[
            (None, Pass, false, None),
            (None, Fail, false, Some(New)),
            (None, Error, false, None),
            (None, M, false, Some(Muted)),
            (Some(New), Fail, true, Some(Open)),
            (Some(Open), Fail, true, Some(Open)),
            (Some(Reopened), Fail, true, Some(Open)),
            (Some(New), Pass, true, Some(Resolved)),
            (Some(Open), Pass, true, Some(Resolved)),
            (Some(Reopened), Pass, true, Some(Resolved)),
            (Some(Resolved), Pass, true, Some(Resolved)),
            (Some(Resolved), Fail, true, Some(Reopened)),
            (Some(Open), Error, true, Some(Open)),
            (Some(Resolved), Error, true, Some(Resolved)),
            (Some(Muted), Error, true, Some(Muted)),
            (Some(Open), M, true, Some(Muted)),
            (Some(Muted), Fail, true, Some(Open)),
            (Some(Muted), Fail, false, Some(New)),
            (Some(Muted), Pass, false, Some(Resolved)),
        ];
        for &(stored, result, failed_before, expected) in cases {
            assert_eq!(
                next_state(stored, result, failed_before),
                expected,
                "{stored:?} + {result} (failed before: {failed_before})"
            );
        }
    }
}
