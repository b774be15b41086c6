//! One module per AWS service; each exposes a `COLLECTOR` listed in
//! [`crate::registry::COLLECTORS`].

pub mod accessanalyzer;
pub mod account;
pub mod backup;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod codebuild;
pub mod config;
pub mod ec2;
pub mod ecr;
pub mod efs;
pub mod events;
pub mod guardduty;
pub mod iam;
pub mod incidents;
pub mod inspector;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod macie;
pub mod organizations;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod securityhub;
pub mod securitylake;
pub mod sns;
pub mod ssm;
