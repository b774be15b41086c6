//! The explicit list of collectors. A new service is one module and one line here.

use futures::future::BoxFuture;

use crate::Ctx;
use crate::services;

/// Whether a collector runs once per account or once per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Regional,
}

/// One service's collector.
#[derive(Debug, Clone, Copy)]
pub struct Collector {
    /// Service name, as in its endpoint (`iam`, `s3`, `ec2`).
    pub service: &'static str,
    pub scope: Scope,
    /// Every IAM action the collector calls: the least-privilege policy is their union,
    /// and a test checks the source calls nothing else.
    pub actions: &'static [&'static str],
    pub run: fn(Ctx) -> BoxFuture<'static, ()>,
}

/// Every collector, in the order they start.
pub const COLLECTORS: &[Collector] = &[
    services::iam::COLLECTOR,
    services::account::COLLECTOR,
    services::organizations::COLLECTOR,
    services::s3::COLLECTOR,
    services::ec2::COLLECTOR,
    services::kms::COLLECTOR,
    services::cloudtrail::COLLECTOR,
    services::config::COLLECTOR,
    services::logs::COLLECTOR,
    services::cloudwatch::COLLECTOR,
    services::sns::COLLECTOR,
    services::guardduty::COLLECTOR,
    services::securityhub::COLLECTOR,
    services::accessanalyzer::COLLECTOR,
    services::secretsmanager::COLLECTOR,
    services::lambda::COLLECTOR,
    services::rds::COLLECTOR,
    services::efs::COLLECTOR,
    services::macie::COLLECTOR,
    services::events::COLLECTOR,
    services::ssm::COLLECTOR,
    services::incidents::RESPONSE_PLANS,
    services::incidents::CONTACTS,
    services::backup::COLLECTOR,
    services::ecr::COLLECTOR,
    services::inspector::COLLECTOR,
    services::codebuild::COLLECTOR,
    services::securitylake::COLLECTOR,
    services::elbv2::COLLECTOR,
    services::elb::COLLECTOR,
    services::cloudfront::COLLECTOR,
    services::apigateway::COLLECTOR,
    services::apigatewayv2::COLLECTOR,
    services::wafv2::COLLECTOR,
    services::acm::COLLECTOR,
    services::dynamodb::COLLECTOR,
    services::sqs::COLLECTOR,
    services::ecs::COLLECTOR,
    services::eks::COLLECTOR,
    services::autoscaling::COLLECTOR,
    services::elasticache::COLLECTOR,
    services::opensearch::COLLECTOR,
    services::redshift::COLLECTOR,
    services::route53::COLLECTOR,
    services::sfn::COLLECTOR,
    services::kinesis::COLLECTOR,
    services::dms::COLLECTOR,
    services::networkfirewall::COLLECTOR,
    services::msk::COLLECTOR,
    services::emr::COLLECTOR,
    services::appsync::COLLECTOR,
    services::athena::COLLECTOR,
    services::mq::COLLECTOR,
    services::transfer::COLLECTOR,
    services::firehose::COLLECTOR,
];
