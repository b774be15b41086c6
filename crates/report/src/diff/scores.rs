//! The scorecard's movements between two scans: epic maturity and enabler status per
//! account (accounts both scans hold), CAF component and WAF area scores overall.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vigil_score::{AreaScore, EnablerStatus, Scorecard};

/// What moved; each list holds only changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreChanges {
    /// Epic maturity (0–3) per account.
    pub epics: Vec<LevelChange>,
    /// Key security enabler status per account.
    pub enablers: Vec<EnablerChange>,
    /// CAF Security Perspective components, over every account of each scan.
    pub caf_components: Vec<AreaChange>,
    /// Well-Architected security areas, over every account of each scan.
    pub waf_areas: Vec<AreaChange>,
}

impl ScoreChanges {
    pub fn is_empty(&self) -> bool {
        self.epics.is_empty()
            && self.enablers.is_empty()
            && self.caf_components.is_empty()
            && self.waf_areas.is_empty()
    }
}

/// One epic's maturity in one account; a side is absent when its scorecard lacks
/// the epic (the maturity models differ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LevelChange {
    pub account: String,
    pub epic: String,
    pub title: String,
    pub old: Option<u8>,
    pub new: Option<u8>,
}

/// One enabler's status in one account (`Unaddressed`, `Engaged`, `Completed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EnablerChange {
    pub account: String,
    pub enabler: String,
    pub title: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One area's score (0–100, weighted by severity; `null` when nothing was judged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AreaChange {
    pub name: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
}

fn enabler_name(status: EnablerStatus) -> String {
    match status {
        EnablerStatus::Unaddressed => "Unaddressed",
        EnablerStatus::Engaged => "Engaged",
        EnablerStatus::Completed => "Completed",
    }
    .to_owned()
}

/// Pairs the items of both sides by key, in key order, with their titles.
fn pair<T: Clone + PartialEq>(
    old: impl IntoIterator<Item = (String, String, T)>,
    new: impl IntoIterator<Item = (String, String, T)>,
) -> Vec<(String, String, Option<T>, Option<T>)> {
    let mut out: BTreeMap<String, (String, Option<T>, Option<T>)> = BTreeMap::new();
    for (key, title, value) in old {
        out.entry(key).or_insert((title, None, None)).1 = Some(value);
    }
    for (key, title, value) in new {
        let entry = out.entry(key).or_insert((title.clone(), None, None));
        entry.0 = title;
        entry.2 = Some(value);
    }
    out.into_iter()
        .filter(|(_, (_, a, b))| a != b)
        .map(|(key, (title, a, b))| (key, title, a, b))
        .collect()
}

fn areas(old: &[AreaScore], new: &[AreaScore]) -> Vec<AreaChange> {
    // Scores are rounded to a tenth, as printed: a float's last bit is no change.
    let round = |s: Option<f64>| s.map(|v| (v * 10.0).round() / 10.0);
    let side = |list: &[AreaScore]| -> Vec<(String, String, Option<f64>)> {
        list.iter()
            .map(|a| (a.name.clone(), a.name.clone(), round(a.score)))
            .collect()
    };
    pair(side(old), side(new))
        .into_iter()
        .map(|(name, _, a, b)| AreaChange {
            name,
            old: a.flatten(),
            new: b.flatten(),
        })
        .collect()
}

pub(crate) fn compare(old: &Scorecard, new: &Scorecard, common: &BTreeSet<&str>) -> ScoreChanges {
    let mut out = ScoreChanges {
        caf_components: areas(&old.caf_components, &new.caf_components),
        waf_areas: areas(&old.waf_areas, &new.waf_areas),
        ..ScoreChanges::default()
    };
    for account in common {
        let find = |card: &Scorecard| {
            card.accounts
                .iter()
                .find(|a| a.account == *account)
                .cloned()
        };
        let (Some(a), Some(b)) = (find(old), find(new)) else {
            continue;
        };
        let epics = |m: &vigil_score::AccountMaturity| -> Vec<(String, String, u8)> {
            m.epics
                .iter()
                .map(|e| (e.epic.clone(), e.title.clone(), e.level))
                .collect()
        };
        for (epic, title, old, new) in pair(epics(&a), epics(&b)) {
            out.epics.push(LevelChange {
                account: (*account).to_owned(),
                epic,
                title,
                old,
                new,
            });
        }
        let enablers = |m: &vigil_score::AccountMaturity| -> Vec<(String, String, String)> {
            m.enablers
                .iter()
                .map(|e| (e.id.clone(), e.title.clone(), enabler_name(e.status)))
                .collect()
        };
        for (enabler, title, old, new) in pair(enablers(&a), enablers(&b)) {
            out.enablers.push(EnablerChange {
                account: (*account).to_owned(),
                enabler,
                title,
                old,
                new,
            });
        }
    }
    out
}
