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

// ---------------------------------------------------------------------------------
// Users, groups, roles and policies
// ---------------------------------------------------------------------------------

/// Everything GetAccountAuthorizationDetails returned, all pages together.
#[derive(Debug, Default)]
struct Details {
    users: Vec<UserDetail>,
    groups: Vec<GroupDetail>,
    roles: Vec<RoleDetail>,
    policies: Vec<ManagedPolicyDetail>,
}

/// One call family gives every user, group, role and managed policy with their inline
/// and attached policies; a failure on any page leaves all four types as a gap.
async fn authorization_details(ctx: &Ctx, client: &Client) -> Option<Details> {
    let pages = ctx
        .list(
            "iam:GetAccountAuthorizationDetails",
            &[USER, GROUP, ROLE, POLICY],
            client
                .get_account_authorization_details()
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await?;
    let mut details = Details::default();
    for page in pages {
        details
            .users
            .extend(page.user_detail_list.unwrap_or_default());
        details
            .groups
            .extend(page.group_detail_list.unwrap_or_default());
        details
            .roles
            .extend(page.role_detail_list.unwrap_or_default());
        details.policies.extend(page.policies.unwrap_or_default());
    }
    Some(details)
}

async fn add_identities(
    ctx: &Ctx,
    client: &Client,
    details: Details,
    report: Option<&CredentialReport>,
    virtual_mfa: Option<&VirtualMfa>,
) {
    let group_arns: HashMap<String, String> = details
        .groups
        .iter()
        .filter_map(|g| Some((g.group_name()?.to_owned(), g.arn()?.to_owned())))
        .collect();
    for group in &details.groups {
        add_group(ctx, group);
    }
    for role in &details.roles {
        add_role(ctx, role);
    }
    for policy in &details.policies {
        add_policy(ctx, policy);
    }
    let known = UserContext {
        report,
        virtual_mfa,
        group_arns: &group_arns,
    };
    stream::iter(details.users)
        .map(|user| add_user(ctx, client, user, &known))
        .buffer_unordered(FAN_OUT)
        .collect::<Vec<()>>()
        .await;
}

fn add_group(ctx: &Ctx, group: &GroupDetail) {
    let Some(arn) = group.arn() else { return };
    let mut resource = ctx.global_resource(arn, GROUP);
    resource.name = group.group_name().map(str::to_owned);
    resource.properties = group_properties(group).into();
    ctx.add(resource);
    for policy in attached_arns(group.attached_managed_policies()) {
        ctx.relate(arn, "attached", policy);
    }
}

fn group_properties(group: &GroupDetail) -> Value {
    json!({
        "arn": group.arn(),
        "group_name": group.group_name(),
        "attached_policies": attached_arns(group.attached_managed_policies()),
        "inline_policies": inline_policies(group.group_policy_list()),
    })
}

fn add_role(ctx: &Ctx, role: &RoleDetail) {
    let Some(arn) = role.arn() else { return };
    let mut resource = ctx.global_resource(arn, ROLE);
    resource.name = role.role_name().map(str::to_owned);
    resource.tags = tags(role.tags());
    resource.properties = role_properties(role).into();
    ctx.add(resource);
    for policy in attached_arns(role.attached_managed_policies()) {
        ctx.relate(arn, "attached", policy);
    }
}

fn role_properties(role: &RoleDetail) -> Value {
    let path = role.path().unwrap_or("/");
    json!({
        "arn": role.arn(),
        "role_name": role.role_name(),
        "path": path,
        "create_date": time(role.create_date()),
        "assume_role_policy": policy_document(role.assume_role_policy_document()),
        "attached_policies": attached_arns(role.attached_managed_policies()),
        "inline_policies": inline_policies(role.role_policy_list()),
        "role_last_used": time(role.role_last_used().and_then(|u| u.last_used_date())),
        "is_service_linked": path.starts_with("/aws-service-role/"),
        "permissions_boundary": role.permissions_boundary().and_then(|b| b.permissions_boundary_arn()),
        "instance_profiles": role.instance_profile_list().iter().map(|p| p.arn()).collect::<Vec<_>>(),
    })
}

/// Customer managed policies, and AWS managed policies only while attached to something
/// (the account holds about a thousand AWS managed policies it does not use).
fn add_policy(ctx: &Ctx, policy: &ManagedPolicyDetail) {
    let Some(arn) = policy.arn() else { return };
    let aws_managed = is_aws_managed(arn);
    // An AWS managed policy used only as a permissions boundary is kept too: the
    // boundary's document decides what the principal may do.
    if aws_managed
        && policy.attachment_count().unwrap_or(0) == 0
        && policy.permissions_boundary_usage_count().unwrap_or(0) == 0
    {
        return;
    }
    let mut properties = json!({
        "arn": arn,
        "policy_name": policy.policy_name(),
        "is_aws_managed": aws_managed,
        "attachment_count": policy.attachment_count(),
        "default_version_id": policy.default_version_id(),
    });
    if let Value::Object(map) = &mut properties {
        map.extend(super::iam_versions::version_properties(policy, aws_managed));
    }
    match default_document(policy) {
        Some(document) => properties["document"] = document,
        None => ctx.gap_resource(
            "iam:GetAccountAuthorizationDetails",
            arn,
            &CallError {
                code: "DefaultVersionNotReturned".into(),
                message: "the policy's default version was not in the answer".into(),
            },
        ),
    }
    let mut resource = ctx.global_resource(arn, POLICY);
    resource.name = policy.policy_name().map(str::to_owned);
    resource.properties = properties.into();
    ctx.add(resource);
}

fn is_aws_managed(arn: &str) -> bool {
    arn.contains(":iam::aws:policy/")
}

/// The document of the policy's default version, if the answer carried it.
fn default_document(policy: &ManagedPolicyDetail) -> Option<Value> {
    policy
        .policy_version_list()
        .iter()
        .find(|v| super::iam_versions::is_default(policy, v))
        .and_then(|v| v.document())
        .map(|d| policy_document(Some(d)))
}

/// What every user's collection reads and nothing writes.
struct UserContext<'a> {
    report: Option<&'a CredentialReport>,
    virtual_mfa: Option<&'a VirtualMfa>,
    group_arns: &'a HashMap<String, String>,
}

async fn add_user(ctx: &Ctx, client: &Client, user: UserDetail, known: &UserContext<'_>) {
    let (Some(arn), Some(name)) = (user.arn(), user.user_name()) else {
        return;
    };
    let row = known.report.and_then(|r| r.users.get(arn));
    let mut properties = user_base_properties(&user);

    let devices = mfa_devices(ctx, client, name, arn).await;
    if let Some(devices) = &devices {
        let virtual_serials = known.virtual_mfa.map(|v| &v.serials);
        let list = devices
            .iter()
            .map(|d| mfa_device_json(d, virtual_serials))
            .collect();
        properties.insert("mfa_devices".into(), Value::Array(list));
    }
    if let Some(keys) = access_keys(ctx, client, name, arn, row).await {
        properties.insert("access_keys".into(), Value::Array(keys));
    }
    properties.extend(sign_in_facts(ctx, client, name, arn, row, devices.as_deref()).await);

    let mut resource = ctx.global_resource(arn, USER);
    resource.name = Some(name.to_owned());
    resource.tags = tags(user.tags());
    resource.properties = Value::Object(properties).into();
    ctx.add(resource);
    for group in user.group_list() {
        let to = known
            .group_arns
            .get(group)
            .cloned()
            .unwrap_or_else(|| format!("arn:aws:iam::{}:group/{group}", ctx.account));
        ctx.relate(arn, "member_of", to);
    }
    for policy in attached_arns(user.attached_managed_policies()) {
        ctx.relate(arn, "attached", policy);
    }
}

/// The user's properties that GetAccountAuthorizationDetails alone answers.
fn user_base_properties(user: &UserDetail) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("arn".into(), json!(user.arn()));
    map.insert("user_name".into(), json!(user.user_name()));
    map.insert("create_date".into(), time(user.create_date()));
    map.insert(
        "attached_policies".into(),
        json!(attached_arns(user.attached_managed_policies())),
    );
    map.insert(
        "inline_policies".into(),
        inline_policies(user.user_policy_list()),
    );
    map.insert("groups".into(), json!(user.group_list()));
    map.insert(
        "permissions_boundary".into(),
        json!(
            user.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
        ),
    );
    map
}

async fn mfa_devices(ctx: &Ctx, client: &Client, name: &str, arn: &str) -> Option<Vec<MfaDevice>> {
    ctx.detail(
        "iam:ListMFADevices",
        arn,
        &[],
        client
            .list_mfa_devices()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect(),
    )
    .await
    .ok()
    .flatten()
}

/// An MFA device is virtual when IAM lists it among the virtual devices; when that list
/// could not be read, a virtual device is recognised by its `:mfa/` serial ARN (hardware
/// tokens have plain serials, security keys `:u2f/` ARNs).
fn mfa_device_json(device: &MfaDevice, virtual_serials: Option<&HashSet<String>>) -> Value {
    let serial = device.serial_number();
    let is_virtual = match virtual_serials {
        Some(set) => set.contains(serial),
        None => serial.starts_with("arn:") && serial.contains(":mfa/"),
    };
    json!({
        "serial_number": serial,
        "enable_date": time(Some(device.enable_date())),
        "virtual": is_virtual,
    })
}

/// When and with which service an access key was last used (`null`s when never).
#[derive(Debug, Clone, PartialEq)]
struct LastUsed {
    date: Value,
    service: Value,
}

/// The user's access keys (ids, status, dates; never secrets), with last use from the
/// credential report when a report slot matches the key, else from GetAccessKeyLastUsed.
async fn access_keys(
    ctx: &Ctx,
    client: &Client,
    name: &str,
    arn: &str,
    row: Option<&ReportRow>,
) -> Option<Vec<Value>> {
    let keys: Vec<AccessKeyMetadata> = ctx
        .detail(
            "iam:ListAccessKeys",
            arn,
            &[],
            client
                .list_access_keys()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .flatten()?;
    let mut out = Vec::with_capacity(keys.len());
    for key in &keys {
        let from_report = row.and_then(|r| key.create_date().and_then(|d| r.key_last_used(d)));
        let last_used = match from_report {
            Some(used) => Some(used),
            None => key_last_used(ctx, client, key, arn).await,
        };
        out.push(access_key_json(key, last_used.as_ref()));
    }
    Some(out)
}

async fn key_last_used(
    ctx: &Ctx,
    client: &Client,
    key: &AccessKeyMetadata,
    arn: &str,
) -> Option<LastUsed> {
    let id = key.access_key_id()?;
    let out = ctx
        .detail(
            "iam:GetAccessKeyLastUsed",
            arn,
            &[],
            client.get_access_key_last_used().access_key_id(id).send(),
        )
        .await
        .ok()
        .flatten()?;
    let used = out.access_key_last_used();
    Some(LastUsed {
        date: time(used.and_then(|u| u.last_used_date())),
        service: known_text(used.map(|u| u.service_name())),
    })
}

/// One access key; the last-use keys are absent when no source answered them.
fn access_key_json(key: &AccessKeyMetadata, last_used: Option<&LastUsed>) -> Value {
    let mut value = json!({
        "access_key_id": key.access_key_id(),
        "status": key.status().map(|s| s.as_str()),
        "create_date": time(key.create_date()),
    });
    if let Some(used) = last_used {
        value["last_used_date"] = used.date.clone();
        value["last_used_service"] = used.service.clone();
    }
    value
}

/// `password_enabled`, `password_last_used` and `mfa_active`: from the user's report row,
/// or, for what the row does not answer, from GetLoginProfile, GetUser and the user's
/// MFA devices.
async fn sign_in_facts(
    ctx: &Ctx,
    client: &Client,
    name: &str,
    arn: &str,
    row: Option<&ReportRow>,
    devices: Option<&[MfaDevice]>,
) -> Map<String, Value> {
    let mut password_enabled = row.and_then(|r| r.flag("password_enabled"));
    let mut password_last_used = row.and_then(|r| r.time("password_last_used"));
    let mut mfa_active = row.and_then(|r| r.flag("mfa_active"));

    if password_enabled.is_none() {
        password_enabled = ctx
            .detail(
                "iam:GetLoginProfile",
                arn,
                &["NoSuchEntity"],
                client.get_login_profile().user_name(name).send(),
            )
            .await
            .ok()
            .map(|profile| profile.is_some());
    }
    if password_last_used.is_none() {
        password_last_used = ctx
            .detail(
                "iam:GetUser",
                arn,
                &[],
                client.get_user().user_name(name).send(),
            )
            .await
            .ok()
            .flatten()
            .and_then(|out| out.user.map(|u| time(u.password_last_used())));
    }
    if mfa_active.is_none() {
        mfa_active = devices.map(|d| !d.is_empty());
    }

    let mut map = Map::new();
    if let Some(v) = password_enabled {
        map.insert("password_enabled".into(), Value::Bool(v));
    }
    if let Some(v) = password_last_used {
        map.insert("password_last_used".into(), v);
    }
    if let Some(v) = mfa_active {
        map.insert("mfa_active".into(), Value::Bool(v));
    }
    map
}

fn attached_arns(list: &[AttachedPolicy]) -> Vec<String> {
    list.iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

fn inline_policies(list: &[PolicyDetail]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| json!({"name": p.policy_name(), "document": policy_document(p.policy_document())}))
            .collect(),
    )
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// A report or API text field where `N/A` (and empty) mean "none".
fn known_text(text: Option<&str>) -> Value {
    match text {
        None | Some("") | Some("N/A") => Value::Null,
        Some(s) => Value::String(s.to_owned()),
    }
}

// ---------------------------------------------------------------------------------
// Credential report
// ---------------------------------------------------------------------------------

/// The credential report's rows: the root user's, and the users' by ARN.
#[derive(Debug, Default, Clone, PartialEq)]
struct CredentialReport {
    root: Option<ReportRow>,
    users: HashMap<String, ReportRow>,
}

/// One row of the credential report, by column name.
#[derive(Debug, Default, Clone, PartialEq)]
struct ReportRow(HashMap<String, String>);

impl ReportRow {
    fn get(&self, column: &str) -> Option<&str> {
        self.0.get(column).map(String::as_str)
    }

    /// `true`/`false` columns; anything else (`not_supported`, missing) is unknown.
    fn flag(&self, column: &str) -> Option<bool> {
        match self.get(column) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        }
    }

    /// A timestamp column: `Some(null)` for `N/A`/`no_information` (never, or not
    /// recorded), the UTC timestamp when it parses, `None` when unknown.
    fn time(&self, column: &str) -> Option<Value> {
        match self.get(column)? {
            "" | "N/A" | "no_information" | "not_supported" => Some(Value::Null),
            text => report_timestamp(text).map(Value::String),
        }
    }

    /// The last use of the access key created at `created`, when exactly one of the
    /// row's two key slots was created (rotated) at that second.
    fn key_last_used(&self, created: &DateTime) -> Option<LastUsed> {
        let created = smithy_timestamp(created)?;
        let mut slots = [1, 2].into_iter().filter(|n| {
            self.get(&format!("access_key_{n}_last_rotated"))
                .and_then(report_timestamp)
                .as_deref()
                == Some(created.as_str())
        });
        let slot = slots.next()?;
        if slots.next().is_some() {
            return None;
        }
        Some(LastUsed {
            date: self.time(&format!("access_key_{slot}_last_used_date"))?,
            service: known_text(self.get(&format!("access_key_{slot}_last_used_service"))),
        })
    }
}

/// A report timestamp (`2025-01-09T10:12:44+00:00`) as RFC 3339 UTC to the second.
fn report_timestamp(text: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| {
        t.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    })
}

/// An SDK timestamp in the same form as [`report_timestamp`], to compare the two.
fn smithy_timestamp(t: &DateTime) -> Option<String> {
    chrono::DateTime::<Utc>::from_timestamp(t.secs(), 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn parse_credential_report(content: &[u8]) -> Result<CredentialReport, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(content);
    let headers = reader.headers()?.clone();
    let mut report = CredentialReport::default();
    for record in reader.records() {
        let record = record?;
        let row = ReportRow(
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect(),
        );
        if row.get("user") == Some("<root_account>") {
            report.root = Some(row);
        } else if let Some(arn) = row.get("arn").map(str::to_owned) {
            report.users.insert(arn, row);
        }
    }
    Ok(report)
}

/// Asks IAM to (re)build the credential report, waits briefly while it is being built,
/// and reads it. Any failure is a gap on the account node; users then fall back to
/// per-user calls.
async fn credential_report(ctx: &Ctx, client: &Client) -> Option<CredentialReport> {
    let node = crate::account_id(&ctx.account);
    for attempt in 1..=REPORT_ATTEMPTS {
        let out = ctx
            .detail(
                "iam:GenerateCredentialReport",
                &node,
                &[],
                client.generate_credential_report().send(),
            )
            .await
            .ok()
            .flatten()?;
        if matches!(out.state(), Some(ReportStateType::Complete)) || attempt == REPORT_ATTEMPTS {
            break;
        }
        tokio::time::sleep(REPORT_POLL).await;
    }
    let mut attempt = 0;
    let out = loop {
        attempt += 1;
        match ctx
            .call(
                "iam:GetCredentialReport",
                client.get_credential_report().send(),
            )
            .await
        {
            Ok(out) => break out,
            Err(err) if err.code == "ReportInProgress" && attempt < REPORT_ATTEMPTS => {
                tokio::time::sleep(REPORT_POLL).await;
            }
            Err(err) => {
                ctx.gap_resource("iam:GetCredentialReport", &node, &err);
                return None;
            }
        }
    };
    let content = out.content().map(|b| b.as_ref()).unwrap_or_default();
    match parse_credential_report(content) {
        Ok(report) => Some(report),
        Err(err) => {
            ctx.gap_resource(
                "iam:GetCredentialReport",
                &node,
                &CallError {
                    code: "ReportUnreadable".into(),
                    message: format!("the credential report is not valid CSV: {err}"),
                },
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------
// Account-level facts
// ---------------------------------------------------------------------------------

/// Serial numbers of the account's virtual MFA devices, and whether the root user's
/// MFA device is one of them.
#[derive(Debug, Default)]
struct VirtualMfa {
    serials: HashSet<String>,
    root_is_virtual: bool,
}

async fn virtual_mfa_devices(ctx: &Ctx, client: &Client) -> Option<VirtualMfa> {
    let devices: Vec<VirtualMfaDevice> = ctx
        .detail(
            "iam:ListVirtualMFADevices",
            &crate::account_id(&ctx.account),
            &[],
            client
                .list_virtual_mfa_devices()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .flatten()?;
    Some(virtual_mfa(&devices))
}

fn virtual_mfa(devices: &[VirtualMfaDevice]) -> VirtualMfa {
    VirtualMfa {
        serials: devices
            .iter()
            .map(|d| d.serial_number().to_owned())
            .collect(),
        root_is_virtual: devices.iter().any(|d| {
            d.user().is_some_and(|u| u.arn().ends_with(":root"))
                || d.serial_number().ends_with(":mfa/root-account-mfa-device")
        }),
    }
}

/// GetAccountSummary's counters, by their AWS names.
async fn account_summary(ctx: &Ctx, client: &Client) -> Option<Map<String, Value>> {
    let out = ctx
        .detail(
            "iam:GetAccountSummary",
            &crate::account_id(&ctx.account),
            &[],
            client.get_account_summary().send(),
        )
        .await
        .ok()
        .flatten()?;
    let summary = summary_json(out.summary_map());
    ctx.set_account("account_summary", Value::Object(summary.clone()));
    Some(summary)
}

fn summary_json(map: Option<&HashMap<SummaryKeyType, i32>>) -> Map<String, Value> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
        .collect()
}

/// The root user's facts. The account summary is live, the report up to four hours old,
/// so the summary decides what it states exactly (root MFA enabled; no root access keys
/// at all) and the report's `<root_account>` row answers the rest (which key is active,
/// last uses). A fact no source answers is left out.
fn root_properties(
    row: Option<&ReportRow>,
    summary: Option<&Map<String, Value>>,
    root_virtual: Option<bool>,
) -> Map<String, Value> {
    let counter = |key: &str| summary.and_then(|s| s.get(key)).and_then(Value::as_i64);
    let no_keys = counter("AccountAccessKeysPresent") == Some(0);
    let mut map = Map::new();

    let mfa_active = counter("AccountMFAEnabled")
        .map(|n| n == 1)
        .or_else(|| row.and_then(|r| r.flag("mfa_active")));
    if let Some(active) = mfa_active {
        map.insert("mfa_active".into(), Value::Bool(active));
        let hardware = if active {
            root_virtual.map(|v| !v)
        } else {
            Some(false)
        };
        if let Some(hardware) = hardware {
            map.insert("hardware_mfa".into(), Value::Bool(hardware));
        }
    }
    for n in [1, 2] {
        let active = if no_keys {
            Some(false)
        } else {
            row.and_then(|r| r.flag(&format!("access_key_{n}_active")))
        };
        if let Some(active) = active {
            map.insert(format!("access_key_{n}_active"), Value::Bool(active));
        }
        let last_used = row
            .and_then(|r| r.time(&format!("access_key_{n}_last_used_date")))
            .or(no_keys.then_some(Value::Null));
        if let Some(last_used) = last_used {
            map.insert(format!("access_key_{n}_last_used"), last_used);
        }
    }
    if let Some(used) = row.and_then(|r| r.time("password_last_used")) {
        map.insert("password_last_used".into(), used);
    }
    map
}

async fn password_policy(ctx: &Ctx, client: &Client) {
    let answer = ctx
        .detail(
            "iam:GetAccountPasswordPolicy",
            &crate::account_id(&ctx.account),
            &["NoSuchEntity"],
            client.get_account_password_policy().send(),
        )
        .await;
    match answer {
        Ok(Some(out)) => ctx.set_account(
            "password_policy",
            out.password_policy()
                .map_or(Value::Null, password_policy_json),
        ),
        Ok(None) => ctx.set_account("password_policy", Value::Null),
        Err(_) => {}
    }
}

fn password_policy_json(p: &PasswordPolicy) -> Value {
    json!({
        "minimum_password_length": p.minimum_password_length(),
        "require_symbols": p.require_symbols(),
        "require_numbers": p.require_numbers(),
        "require_uppercase_characters": p.require_uppercase_characters(),
        "require_lowercase_characters": p.require_lowercase_characters(),
        "allow_users_to_change_password": p.allow_users_to_change_password(),
        "expire_passwords": p.expire_passwords(),
        "max_password_age": p.max_password_age(),
        "password_reuse_prevention": p.password_reuse_prevention(),
        "hard_expiry": p.hard_expiry(),
    })
}

/// Whether any role has AWSSupportAccess attached (CIS: someone can open support cases).
async fn support_role(ctx: &Ctx, client: &Client) {
    let answer = ctx
        .detail(
            "iam:ListEntitiesForPolicy",
            &crate::account_id(&ctx.account),
            &["NoSuchEntity"],
            client
                .list_entities_for_policy()
                .policy_arn(SUPPORT_POLICY_ARN)
                .entity_filter(EntityType::Role)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await;
    match answer {
        Ok(Some(pages)) => {
            let exists = pages.iter().any(|p| !p.policy_roles().is_empty());
            ctx.set_account("support_role_exists", Value::Bool(exists));
        }
        // No such policy: nothing can have it attached.
        Ok(None) => ctx.set_account("support_role_exists", Value::Bool(false)),
        Err(_) => {}
    }
}

// ---------------------------------------------------------------------------------
// Identity providers and server certificates
// ---------------------------------------------------------------------------------

async fn saml_providers(ctx: &Ctx, client: &Client) {
    let Some(out) = ctx
        .list(
            "iam:ListSAMLProviders",
            &[SAML_PROVIDER],
            client.list_saml_providers().send(),
        )
        .await
    else {
        return;
    };
    // Futures built up front: a stream closure over borrowed items would not be `Send`
    // for every lifetime, which the boxed collector future needs.
    let adds: Vec<_> = out
        .saml_provider_list()
        .iter()
        .map(|e| add_saml_provider(ctx, client, e))
        .collect();
    stream::iter(adds)
        .buffer_unordered(FAN_OUT)
        .collect::<Vec<()>>()
        .await;
}

/// The list entry already carries the dates; GetSAMLProvider confirms them and adds tags.
async fn add_saml_provider(ctx: &Ctx, client: &Client, entry: &SamlProviderListEntry) {
    let Some(arn) = entry.arn() else { return };
    let mut properties = saml_properties(arn, entry.create_date(), entry.valid_until());
    let mut resource = ctx.global_resource(arn, SAML_PROVIDER);
    resource.name = arn_name(arn, "saml-provider/");
    if let Ok(Some(out)) = ctx
        .detail(
            "iam:GetSAMLProvider",
            arn,
            &[],
            client.get_saml_provider().saml_provider_arn(arn).send(),
        )
        .await
    {
        properties = saml_properties(
            arn,
            out.create_date().or(entry.create_date()),
            out.valid_until().or(entry.valid_until()),
        );
        resource.tags = tags(out.tags());
    }
    resource.properties = properties.into();
    ctx.add(resource);
}

fn saml_properties(
    arn: &str,
    create_date: Option<&DateTime>,
    valid_until: Option<&DateTime>,
) -> Value {
    json!({
        "arn": arn,
        "create_date": time(create_date),
        "valid_until": time(valid_until),
    })
}

async fn oidc_providers(ctx: &Ctx, client: &Client) {
    let Some(out) = ctx
        .list(
            "iam:ListOpenIDConnectProviders",
            &[OIDC_PROVIDER],
            client.list_open_id_connect_providers().send(),
        )
        .await
    else {
        return;
    };
    let adds: Vec<_> = out
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|e| e.arn())
        .map(|arn| add_oidc_provider(ctx, client, arn))
        .collect();
    stream::iter(adds)
        .buffer_unordered(FAN_OUT)
        .collect::<Vec<()>>()
        .await;
}

/// Only the ARN is known without GetOpenIDConnectProvider; on its failure the other
/// properties stay absent.
async fn add_oidc_provider(ctx: &Ctx, client: &Client, arn: &str) {
    let mut resource = ctx.global_resource(arn, OIDC_PROVIDER);
    resource.name = arn_name(arn, "oidc-provider/");
    resource.properties = json!({ "arn": arn }).into();
    if let Ok(Some(out)) = ctx
        .detail(
            "iam:GetOpenIDConnectProvider",
            arn,
            &[],
            client
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .send(),
        )
        .await
    {
        resource.properties = json!({
            "arn": arn,
            "url": out.url(),
            "client_ids": out.client_id_list(),
            "thumbprints": out.thumbprint_list(),
            "create_date": time(out.create_date()),
        })
        .into();
        resource.tags = tags(out.tags());
    }
    ctx.add(resource);
}

async fn server_certificates(ctx: &Ctx, client: &Client) {
    let Some(certificates) = crate::list_all!(
        ctx,
        "iam:ListServerCertificates",
        &[SERVER_CERTIFICATE],
        client.list_server_certificates()
    )
    .await
    else {
        return;
    };
    for certificate in &certificates {
        ctx.add(server_certificate_resource(ctx, certificate));
    }
}

fn server_certificate_resource(ctx: &Ctx, c: &ServerCertificateMetadata) -> Resource {
    let mut resource = ctx.global_resource(c.arn(), SERVER_CERTIFICATE);
    resource.name = Some(c.server_certificate_name().to_owned());
    resource.properties = server_certificate_properties(c).into();
    resource
}

fn server_certificate_properties(c: &ServerCertificateMetadata) -> Value {
    json!({
        "arn": c.arn(),
        "server_certificate_name": c.server_certificate_name(),
        "expiration": time(c.expiration()),
        "upload_date": time(c.upload_date()),
    })
}

/// The part of an ARN after `marker` (`saml-provider/NAME` → `NAME`).
fn arn_name(arn: &str, marker: &str) -> Option<String> {
    arn.split_once(marker).map(|(_, name)| name.to_owned())
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::types::{PolicyVersion, RoleLastUsed, StatusType, User};

    use super::*;

    fn at(secs: i64) -> DateTime {
        DateTime::from_secs(secs)
    }

    const REPORT: &str = "\
user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-02-11T16:04:51+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2025-01-09T10:12:44+00:00,true,2026-11-23T08:41:07+00:00,2025-01-09T10:12:44+00:00,N/A,true,true,2026-09-02T14:27:55+00:00,2026-11-22T17:03:00+00:00,us-east-1,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
bob,arn:aws:iam::111122223333:user/bob,2025-01-09T10:12:44+00:00,false,no_information,N/A,N/A,false,true,2025-01-09T10:13:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

    #[test]
    fn the_report_parses_into_root_and_users_by_arn() {
        let report = parse_credential_report(REPORT.as_bytes()).unwrap();
        assert_eq!(report.users.len(), 2);
        let root = report.root.as_ref().unwrap();
        assert_eq!(root.flag("mfa_active"), Some(true));
        assert_eq!(root.flag("password_enabled"), None);
        let alice = &report.users["arn:aws:iam::111122223333:user/alice"];
        assert_eq!(alice.flag("password_enabled"), Some(true));
        assert_eq!(
            alice.time("password_last_used"),
            Some(json!("2026-11-23T08:41:07Z"))
        );
        let bob = &report.users["arn:aws:iam::111122223333:user/bob"];
        assert_eq!(bob.time("password_last_used"), Some(Value::Null));
        assert_eq!(bob.flag("mfa_active"), Some(false));
        assert_eq!(bob.time("no_such_column"), None);
    }

    #[test]
    fn an_unparsable_report_timestamp_is_unknown() {
        let row = ReportRow(HashMap::from([(
            "password_last_used".to_owned(),
            "yesterday".to_owned(),
        )]));
        assert_eq!(row.time("password_last_used"), None);
    }

    #[test]
    fn report_key_slots_match_keys_by_creation_second() {
        let report = parse_credential_report(REPORT.as_bytes()).unwrap();
        let alice = &report.users["arn:aws:iam::111122223333:user/alice"];
        // 2026-09-02T14:27:55Z
        let created = DateTime::from_fractional_secs(1_788_359_275, 0.25);
        assert_eq!(
            alice.key_last_used(&created),
            Some(LastUsed {
                date: json!("2026-11-22T17:03:00Z"),
                service: json!("sts")
            })
        );
        // A key the report does not know (created after it) is not matched.
        assert_eq!(alice.key_last_used(&at(1_790_000_000)), None);
        let bob = &report.users["arn:aws:iam::111122223333:user/bob"];
        assert_eq!(
            bob.key_last_used(&at(1_736_417_580)),
            Some(LastUsed {
                date: Value::Null,
                service: Value::Null
            })
        );
    }

    #[test]
    fn two_slots_with_the_same_second_are_ambiguous() {
        let row = ReportRow(HashMap::from([
            (
                "access_key_1_last_rotated".to_owned(),
                "2025-01-09T10:13:00+00:00".to_owned(),
            ),
            (
                "access_key_2_last_rotated".to_owned(),
                "2025-01-09T10:13:00+00:00".to_owned(),
            ),
        ]));
        assert_eq!(row.key_last_used(&at(1_736_417_580)), None);
    }

    #[test]
    fn root_facts_come_from_the_report_row() {
        let report = parse_credential_report(REPORT.as_bytes()).unwrap();
        let root = root_properties(report.root.as_ref(), None, Some(false));
        assert_eq!(
            Value::Object(root),
            json!({
                "mfa_active": true,
                "hardware_mfa": true,
                "access_key_1_active": false,
                "access_key_2_active": false,
                "access_key_1_last_used": null,
                "access_key_2_last_used": null,
                "password_last_used": "2026-02-11T16:04:51Z",
            })
        );
    }

    #[test]
    fn without_a_report_root_facts_come_from_the_summary_and_nothing_is_invented() {
        let summary: Map<String, Value> =
            serde_json::from_value(json!({"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}))
                .unwrap();
        let root = root_properties(None, Some(&summary), Some(true));
        assert_eq!(
            Value::Object(root),
            json!({
                "mfa_active": true,
                "hardware_mfa": false,
                "access_key_1_active": false,
                "access_key_2_active": false,
                "access_key_1_last_used": null,
                "access_key_2_last_used": null,
            })
        );
        // Keys present but unknown which; MFA on but virtual list unreadable.
        let summary: Map<String, Value> =
            serde_json::from_value(json!({"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1}))
                .unwrap();
        assert_eq!(
            Value::Object(root_properties(None, Some(&summary), None)),
            json!({"mfa_active": true})
        );
        assert!(root_properties(None, None, None).is_empty());
    }

    #[test]
    fn the_live_summary_overrides_a_stale_report_row() {
        let row = ReportRow(HashMap::from([
            ("mfa_active".to_owned(), "false".to_owned()),
            ("access_key_1_active".to_owned(), "true".to_owned()),
            (
                "access_key_1_last_used_date".to_owned(),
                "2026-01-01T00:00:00+00:00".to_owned(),
            ),
        ]));
        let summary: Map<String, Value> =
            serde_json::from_value(json!({"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}))
                .unwrap();
        let root = root_properties(Some(&row), Some(&summary), Some(false));
        assert_eq!(root["mfa_active"], json!(true));
        assert_eq!(root["hardware_mfa"], json!(true));
        assert_eq!(root["access_key_1_active"], json!(false));
        // A deleted key's last use is still history.
        assert_eq!(
            root["access_key_1_last_used"],
            json!("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn root_without_mfa_has_no_hardware_mfa() {
        let summary: Map<String, Value> =
            serde_json::from_value(json!({"AccountMFAEnabled": 0})).unwrap();
        let root = root_properties(None, Some(&summary), None);
        assert_eq!(root["mfa_active"], json!(false));
        assert_eq!(root["hardware_mfa"], json!(false));
    }

    #[test]
    fn virtual_devices_name_the_root_device() {
        let root_user = User::builder()
            .path("/")
            .user_name("root")
            .user_id("111122223333")
            .arn("arn:aws:iam::111122223333:root")
            .create_date(at(0))
            .build()
            .unwrap();
        let devices = vec![
            VirtualMfaDevice::builder()
                .serial_number("arn:aws:iam::111122223333:mfa/root-device")
                .user(root_user)
                .build()
                .unwrap(),
            VirtualMfaDevice::builder()
                .serial_number("arn:aws:iam::111122223333:mfa/alice")
                .build()
                .unwrap(),
        ];
        let v = virtual_mfa(&devices);
        assert!(v.root_is_virtual);
        assert!(v.serials.contains("arn:aws:iam::111122223333:mfa/alice"));
        assert!(!virtual_mfa(&devices[1..]).root_is_virtual);
    }

    #[test]
    fn mfa_devices_are_virtual_when_listed_as_virtual() {
        let device = |serial: &str| {
            MfaDevice::builder()
                .user_name("alice")
                .serial_number(serial)
                .enable_date(at(1_736_417_580))
                .build()
                .unwrap()
        };
        let listed = HashSet::from(["arn:aws:iam::111122223333:mfa/alice".to_owned()]);
        assert_eq!(
            mfa_device_json(
                &device("arn:aws:iam::111122223333:mfa/alice"),
                Some(&listed)
            ),
            json!({"serial_number": "arn:aws:iam::111122223333:mfa/alice", "enable_date": "2025-01-09T10:13:00Z", "virtual": true})
        );
        assert_eq!(
            mfa_device_json(&device("GAHT12345678"), Some(&listed))["virtual"],
            json!(false)
        );
        // Without the virtual list, the serial's form decides.
        assert_eq!(
            mfa_device_json(&device("arn:aws:iam::111122223333:mfa/x"), None)["virtual"],
            json!(true)
        );
        assert_eq!(
            mfa_device_json(&device("arn:aws:iam::111122223333:u2f/user/x/k"), None)["virtual"],
            json!(false)
        );
    }

    #[test]
    fn access_keys_carry_last_use_only_when_known() {
        let key = AccessKeyMetadata::builder()
            .user_name("alice")
            .access_key_id("AKIAEXAMPLE")
            .status(StatusType::Active)
            .create_date(at(1_736_417_580))
            .build();
        assert_eq!(
            access_key_json(
                &key,
                Some(&LastUsed {
                    date: Value::Null,
                    service: Value::Null
                })
            ),
            json!({"access_key_id": "AKIAEXAMPLE", "status": "Active", "create_date": "2025-01-09T10:13:00Z", "last_used_date": null, "last_used_service": null})
        );
        let unknown = access_key_json(&key, None);
        assert!(unknown.get("last_used_date").is_none());
        assert_eq!(unknown["status"], json!("Active"));
    }

    #[test]
    fn na_text_is_null() {
        assert_eq!(known_text(Some("N/A")), Value::Null);
        assert_eq!(known_text(None), Value::Null);
        assert_eq!(known_text(Some("s3")), json!("s3"));
    }

    #[test]
    fn a_user_detail_gives_base_properties() {
        let user = UserDetail::builder()
            .user_name("alice")
            .arn("arn:aws:iam::111122223333:user/alice")
            .create_date(at(1_736_417_564))
            .group_list("Administrators")
            .attached_managed_policies(
                AttachedPolicy::builder()
                    .policy_name("ReadOnlyAccess")
                    .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                    .build(),
            )
            .user_policy_list(
                PolicyDetail::builder()
                    .policy_name("inline")
                    .policy_document(
                        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
                    )
                    .build(),
            )
            .build();
        assert_eq!(
            Value::Object(user_base_properties(&user)),
            json!({
                "arn": "arn:aws:iam::111122223333:user/alice",
                "user_name": "alice",
                "create_date": "2025-01-09T10:12:44Z",
                "attached_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                "inline_policies": [{"name": "inline", "document": {"Version": "2012-10-17", "Statement": []}}],
                "groups": ["Administrators"],
                "permissions_boundary": null,
            })
        );
    }

    #[test]
    fn a_group_detail_gives_its_properties() {
        let group = GroupDetail::builder()
            .group_name("Admins")
            .arn("arn:aws:iam::111122223333:group/ops/Admins")
            .build();
        assert_eq!(
            group_properties(&group),
            json!({"arn": "arn:aws:iam::111122223333:group/ops/Admins", "group_name": "Admins", "attached_policies": [], "inline_policies": []})
        );
    }

    #[test]
    fn a_role_detail_gives_its_properties() {
        // As IAM returns it: URL-encoded.
        let trust = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22config.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        let role = RoleDetail::builder()
            .role_name("AWSServiceRoleForConfig")
            .path("/aws-service-role/config.amazonaws.com/")
            .arn("arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
            .create_date(at(1_736_417_564))
            .assume_role_policy_document(trust)
            .role_last_used(RoleLastUsed::builder().region("us-east-1").build())
            .build();
        let props = role_properties(&role);
        assert_eq!(props["is_service_linked"], json!(true));
        assert_eq!(props["role_last_used"], Value::Null);
        assert_eq!(
            props["assume_role_policy"]["Statement"][0]["Principal"]["Service"],
            json!("config.amazonaws.com")
        );
        assert_eq!(
            props["assume_role_policy"]["Statement"][0]["Effect"],
            json!("Allow")
        );
        assert_eq!(
            props["path"],
            json!("/aws-service-role/config.amazonaws.com/")
        );
        assert_eq!(props["inline_policies"], json!([]));
        let used = RoleDetail::builder()
            .path("/")
            .role_last_used(
                RoleLastUsed::builder()
                    .last_used_date(at(1_736_417_564))
                    .build(),
            )
            .build();
        assert_eq!(
            role_properties(&used)["role_last_used"],
            json!("2025-01-09T10:12:44Z")
        );
        assert_eq!(role_properties(&used)["is_service_linked"], json!(false));
    }

    #[test]
    fn a_policy_s_document_is_its_default_version() {
        let policy = ManagedPolicyDetail::builder()
            .arn("arn:aws:iam::111122223333:policy/p")
            .default_version_id("v2")
            .policy_version_list(
                PolicyVersion::builder()
                    .version_id("v1")
                    .document("%7B%22v%22%3A1%7D")
                    .is_default_version(false)
                    .build(),
            )
            .policy_version_list(
                PolicyVersion::builder()
                    .version_id("v2")
                    .document("%7B%22v%22%3A2%7D")
                    .is_default_version(true)
                    .build(),
            )
            .build();
        assert_eq!(default_document(&policy), Some(json!({"v": 2})));
        let without = ManagedPolicyDetail::builder()
            .default_version_id("v3")
            .build();
        assert_eq!(default_document(&without), None);
        assert!(is_aws_managed(
            "arn:aws:iam::aws:policy/service-role/AWSConfigRole"
        ));
        assert!(!is_aws_managed("arn:aws:iam::111122223333:policy/aws"));
    }

    #[test]
    fn the_password_policy_keeps_unset_numbers_null() {
        let policy = PasswordPolicy::builder()
            .minimum_password_length(14)
            .require_symbols(true)
            .allow_users_to_change_password(true)
            .build();
        assert_eq!(
            password_policy_json(&policy),
            json!({
                "minimum_password_length": 14,
                "require_symbols": true,
                "require_numbers": false,
                "require_uppercase_characters": false,
                "require_lowercase_characters": false,
                "allow_users_to_change_password": true,
                "expire_passwords": false,
                "max_password_age": null,
                "password_reuse_prevention": null,
                "hard_expiry": null,
            })
        );
    }

    #[test]
    fn the_summary_uses_aws_counter_names() {
        let map = HashMap::from([
            (SummaryKeyType::AccountMfaEnabled, 1),
            (SummaryKeyType::Users, 4),
        ]);
        assert_eq!(
            Value::Object(summary_json(Some(&map))),
            json!({"AccountMFAEnabled": 1, "Users": 4})
        );
        assert!(summary_json(None).is_empty());
    }

    #[test]
    fn server_certificates_and_providers_give_their_properties() {
        let cert = ServerCertificateMetadata::builder()
            .path("/")
            .server_certificate_name("legacy")
            .server_certificate_id("ASCA1")
            .arn("arn:aws:iam::111122223333:server-certificate/legacy")
            .upload_date(at(1_736_417_564))
            .expiration(at(1_767_953_564))
            .build()
            .unwrap();
        assert_eq!(
            server_certificate_properties(&cert),
            json!({
                "arn": "arn:aws:iam::111122223333:server-certificate/legacy",
                "server_certificate_name": "legacy",
                "expiration": "2026-01-09T10:12:44Z",
                "upload_date": "2025-01-09T10:12:44Z",
            })
        );
        assert_eq!(
            saml_properties(
                "arn:aws:iam::1:saml-provider/Okta",
                Some(&at(1_736_417_564)),
                None
            ),
            json!({"arn": "arn:aws:iam::1:saml-provider/Okta", "create_date": "2025-01-09T10:12:44Z", "valid_until": null})
        );
        assert_eq!(
            arn_name("arn:aws:iam::1:saml-provider/Okta", "saml-provider/"),
            Some("Okta".into())
        );
        assert_eq!(
            arn_name(
                "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com",
                "oidc-provider/"
            ),
            Some("token.actions.githubusercontent.com".into())
        );
    }

    #[test]
    fn tags_become_a_map() {
        let list = vec![
            Tag::builder()
                .key("team")
                .value("platform")
                .build()
                .unwrap(),
        ];
        assert_eq!(
            tags(&list),
            BTreeMap::from([("team".to_owned(), "platform".to_owned())])
        );
    }
}
