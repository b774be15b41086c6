//! One module per AWS service; each exposes a `COLLECTOR` listed in
//! [`crate::registry::COLLECTORS`].

pub mod accessanalyzer;
pub mod account;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod config;
pub mod ec2;
pub mod efs;
pub mod guardduty;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod macie;
pub mod organizations;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod securityhub;
pub mod sns;
