//! IAM Access Analyzer: the analyzers of the region (account or organization zone of
//! trust, external or unused access), with their status.

use serde_json::{Map, Value, json};

use aws_sdk_accessanalyzer::types::AnalyzerSummary;

use crate::Ctx;
use crate::registry::{Collector, Scope};

pub const COLLECTOR: Collector = Collector {
    service: "accessanalyzer",
    scope: Scope::Regional,
    actions: &["access-analyzer:ListAnalyzers"],
    run: |ctx| Box::pin(collect(ctx)),
};

const ANALYZER: &str = "aws.accessanalyzer.analyzer";

async fn collect(ctx: Ctx) {
    let client = crate::client!(ctx, aws_sdk_accessanalyzer);
    let Some(analyzers) = crate::list_all!(
        ctx,
        "access-analyzer:ListAnalyzers",
        &[ANALYZER],
        client.list_analyzers()
    )
    .await
    else {
        return;
    };
    for analyzer in &analyzers {
        let mut resource = ctx.resource(analyzer.arn(), ANALYZER);
        resource.name = Some(analyzer.name().to_owned());
        if let Some(tags) = analyzer.tags() {
            resource.tags = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
        resource.properties = Value::Object(analyzer_properties(analyzer)).into();
        ctx.add(resource);
    }
}

fn analyzer_properties(analyzer: &AnalyzerSummary) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("arn".into(), json!(analyzer.arn()));
    p.insert("name".into(), json!(analyzer.name()));
    p.insert("type".into(), json!(analyzer.r#type().as_str()));
    p.insert("status".into(), json!(analyzer.status().as_str()));
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_accessanalyzer::types::{AnalyzerStatus, Type};
    use aws_smithy_types::DateTime;

    #[test]
    fn analyzer_properties_follow_the_contract() {
        let analyzer = AnalyzerSummary::builder()
            .arn("arn:aws:access-analyzer:us-east-1:123456789012:analyzer/account")
            .name("account")
            .r#type(Type::Account)
            .created_at(DateTime::from_secs(0))
            .status(AnalyzerStatus::Active)
            .build()
            .unwrap();
        let p = analyzer_properties(&analyzer);
        assert_eq!(
            p["arn"],
            json!("arn:aws:access-analyzer:us-east-1:123456789012:analyzer/account")
        );
        assert_eq!(p["name"], json!("account"));
        assert_eq!(p["type"], json!("ACCOUNT"));
        assert_eq!(p["status"], json!("ACTIVE"));
    }
}
