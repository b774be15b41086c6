//! iam collector: users, groups, roles and managed policies (from one paginated
//! GetAccountAuthorizationDetails), identity providers, server certificates, and the
//! account-level facts IAM holds (password policy, account summary, the root user's
//! credentials, whether a support role exists) set on the `aws.account` node.
//!
//! Per-user sign-in facts come from the credential report. A user without a report row
//! (a report older than the user, or an emulator that drops rows) gets the same facts
//! from per-user calls instead; nothing is guessed, and what no call answered stays
//! absent so that rules report ERROR.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{
    AccessKeyMetadata, AttachedPolicy, EntityType, GroupDetail, ManagedPolicyDetail, MfaDevice,
    PasswordPolicy, PolicyDetail, ReportStateType, RoleDetail, SamlProviderListEntry,
    ServerCertificateMetadata, SummaryKeyType, Tag, UserDetail, VirtualMfaDevice,
};
use aws_smithy_types::DateTime;
use chrono::{SecondsFormat, Utc};
use futures::stream::{self, StreamExt};
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::{CallError, Ctx, client, policy_document, time};

mod account;
mod credential_report;
mod principals;
mod providers;

use account::*;
use credential_report::*;
use principals::*;
use providers::*;

pub const COLLECTOR: Collector = Collector {
    service: "iam",
    scope: Scope::Global,
    actions: &[
        "iam:GetAccountAuthorizationDetails",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:GetLoginProfile",
        "iam:GetUser",
        "iam:GetAccountPasswordPolicy",
        "iam:GetAccountSummary",
        "iam:ListSAMLProviders",
        "iam:GetSAMLProvider",
        "iam:ListOpenIDConnectProviders",
        "iam:GetOpenIDConnectProvider",
        "iam:ListServerCertificates",
        "iam:ListEntitiesForPolicy",
    ],
    run: |ctx| Box::pin(collect(ctx)),
};

const USER: &str = "aws.iam.user";
const GROUP: &str = "aws.iam.group";
const ROLE: &str = "aws.iam.role";
const POLICY: &str = "aws.iam.policy";
const SAML_PROVIDER: &str = "aws.iam.saml_provider";
const OIDC_PROVIDER: &str = "aws.iam.oidc_provider";
const SERVER_CERTIFICATE: &str = "aws.iam.server_certificate";

/// The AWS managed policy whose attachment to a role CIS asks for (support access).
const SUPPORT_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AWSSupportAccess";

/// Per-resource detail calls in flight at once within this collector.
const FAN_OUT: usize = 4;

/// How often, and how far apart, to ask IAM whether the credential report is ready.
const REPORT_ATTEMPTS: usize = 10;
const REPORT_POLL: Duration = Duration::from_secs(2);

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_iam);
    let (report, virtual_mfa, summary, details, ..) = tokio::join!(
        credential_report(&ctx, &client),
        virtual_mfa_devices(&ctx, &client),
        account_summary(&ctx, &client),
        authorization_details(&ctx, &client),
        password_policy(&ctx, &client),
        saml_providers(&ctx, &client),
        oidc_providers(&ctx, &client),
        server_certificates(&ctx, &client),
        support_role(&ctx, &client),
    );
    if let Some(details) = details {
        add_identities(
            &ctx,
            &client,
            details,
            report.as_ref(),
            virtual_mfa.as_ref(),
        )
        .await;
    }
    let root = root_properties(
        report.as_ref().and_then(|r| r.root.as_ref()),
        summary.as_ref(),
        virtual_mfa.as_ref().map(|v| v.root_is_virtual),
    );
    if !root.is_empty() {
        ctx.set_account("root", Value::Object(root));
    }
}

#[cfg(test)]
mod tests;
