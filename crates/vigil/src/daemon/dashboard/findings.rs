//! The stored findings as the report's findings script reads them (`vigil-data`), so
//! the dashboard's findings table, filters and details are the report's, plus each
//! finding's lifecycle from the store.
//!
//! A stored finding keeps its OCSF event as its body; the resource's name, tags and
//! the evidence come from there, the rule's texts from the loaded rule set (a rule
//! since removed from it keeps what the store has: id, title, severity, mappings).

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use vigil_rules::RuleSet;
use vigil_store::{FindingRow, LifecycleState, StatusFilter};

/// Whether a stored finding matches the `status` filter as the API reads it.
pub fn matches(row: &FindingRow, filter: Option<StatusFilter>) -> bool {
    match filter {
        None => true,
        Some(StatusFilter::Active) => row.state.is_some_and(LifecycleState::is_active),
        Some(StatusFilter::State(state)) => row.state == Some(state),
        Some(StatusFilter::Result(result)) => row.result == result,
    }
}

/// A rule the loaded set no longer has, from the finding's stored columns.
fn stored_rule(row: &FindingRow) -> Value {
    json!({
        "id": row.rule_id,
        "title": row.title,
        "severity": row.severity,
        "description": "",
        "rationale": "",
        "caf": row.caf_component,
        "capability": "",
        "waf": row.waf_area,
        "practice": "",
        "epics": row.epics,
        "cis": { "v3": [], "v4": [], "v5": [] },
        "fsbp": [],
        "remediation": { "text": "This rule is not in the daemon's rule set any more." },
        "references": [],
    })
}

/// The `{rules, findings}` document for the page, made safe to sit in a `<script>`.
pub fn data_json(rows: &[FindingRow], rules: &RuleSet) -> Result<String, serde_json::Error> {
    let mut rule_index: HashMap<&str, usize> = HashMap::new();
    let mut rule_docs: Vec<Value> = Vec::new();
    let mut findings = Vec::with_capacity(rows.len());
    for row in rows {
        let r = *rule_index.entry(row.rule_id.as_str()).or_insert_with(|| {
            rule_docs.push(match rules.get(&row.rule_id) {
                Some(rule) => vigil_report::html::rule_json(&rule.meta),
                None => stored_rule(row),
            });
            rule_docs.len() - 1
        });
        let resource = row.body.pointer("/resources/0");
        let vigil = row.body.pointer("/unmapped/vigil");
        let mut f = Map::new();
        f.insert("r".into(), json!(r));
        f.insert("s".into(), json!(row.result.as_str()));
        if let Some(state) = row.state {
            f.insert("lc".into(), json!(state.as_str()));
        }
        f.insert("id".into(), json!(row.resource_id));
        if let Some(name) = resource.and_then(|r| r.get("name")) {
            f.insert("n".into(), name.clone());
        }
        f.insert("t".into(), json!(row.resource_type));
        f.insert(
            "sv".into(),
            json!(vigil_report::saved::service_of(&row.resource_type)),
        );
        f.insert("a".into(), json!(row.account));
        f.insert("g".into(), json!(row.region));
        if let Some(Value::Array(tags)) = resource.and_then(|r| r.get("tags")) {
            let tags: Map<String, Value> = tags
                .iter()
                .filter_map(|t| {
                    Some((t.get("name")?.as_str()?.to_owned(), t.get("value")?.clone()))
                })
                .collect();
            f.insert("tg".into(), Value::Object(tags));
        }
        let reason = vigil
            .and_then(|v| v.get("reason"))
            .cloned()
            .or_else(|| row.last_error.as_ref().map(|e| json!(e)));
        if let Some(reason) = reason {
            f.insert("rs".into(), reason);
        }
        if let Some(muted) = vigil.and_then(|v| v.get("muted_status")) {
            f.insert("ms".into(), muted.clone());
        }
        let evidence = vigil
            .and_then(|v| v.get("evidence"))
            .cloned()
            .unwrap_or_else(|| json!({}));
        if let Some(Value::Object(props)) = evidence.get("properties") {
            let path = vigil_report::html::path_texts(props);
            if !path.is_empty() {
                f.insert("p".into(), json!(path));
            }
        }
        f.insert("ev".into(), evidence);
        f.insert("fs".into(), json!(row.first_seen.to_rfc3339()));
        f.insert("ls".into(), json!(row.last_seen.to_rfc3339()));
        if let Some(resolved) = row.resolved_at {
            f.insert("rv".into(), json!(resolved.to_rfc3339()));
        }
        if row.reopened_count > 0 {
            f.insert("ro".into(), json!(row.reopened_count));
        }
        findings.push(Value::Object(f));
    }
    let text = serde_json::to_string(&json!({ "rules": rule_docs, "findings": findings }))?;
    Ok(vigil_report::html::script_safe(&text))
}
