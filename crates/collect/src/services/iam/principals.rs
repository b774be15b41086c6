//! Users, groups, roles and managed policies, from one paginated
//! GetAccountAuthorizationDetails, with each user's access keys and MFA devices.

use super::*;
// ---------------------------------------------------------------------------------
// Users, groups, roles and policies
// ---------------------------------------------------------------------------------

/// Everything GetAccountAuthorizationDetails returned, all pages together.
#[derive(Debug, Default)]
pub(super) struct Details {
    pub(super) users: Vec<UserDetail>,
    pub(super) groups: Vec<GroupDetail>,
    pub(super) roles: Vec<RoleDetail>,
    pub(super) policies: Vec<ManagedPolicyDetail>,
}

/// One call family gives every user, group, role and managed policy with their inline
/// and attached policies; a failure on any page leaves all four types as a gap.
pub(super) async fn authorization_details(ctx: &Ctx, client: &Client) -> Option<Details> {
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

pub(super) async fn add_identities(
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

pub(super) fn add_group(ctx: &Ctx, group: &GroupDetail) {
    let Some(arn) = group.arn() else { return };
    let mut resource = ctx.global_resource(arn, GROUP);
    resource.name = group.group_name().map(str::to_owned);
    resource.properties = group_properties(group).into();
    ctx.add(resource);
    for policy in attached_arns(group.attached_managed_policies()) {
        ctx.relate(arn, "attached", policy);
    }
}

pub(super) fn group_properties(group: &GroupDetail) -> Value {
    json!({
        "arn": group.arn(),
        "group_name": group.group_name(),
        "attached_policies": attached_arns(group.attached_managed_policies()),
        "inline_policies": inline_policies(group.group_policy_list()),
    })
}

pub(super) fn add_role(ctx: &Ctx, role: &RoleDetail) {
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

pub(super) fn role_properties(role: &RoleDetail) -> Value {
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
pub(super) fn add_policy(ctx: &Ctx, policy: &ManagedPolicyDetail) {
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
        map.extend(super::super::iam_versions::version_properties(
            policy,
            aws_managed,
        ));
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

pub(super) fn is_aws_managed(arn: &str) -> bool {
    arn.contains(":iam::aws:policy/")
}

/// The document of the policy's default version, if the answer carried it.
pub(super) fn default_document(policy: &ManagedPolicyDetail) -> Option<Value> {
    policy
        .policy_version_list()
        .iter()
        .find(|v| super::super::iam_versions::is_default(policy, v))
        .and_then(|v| v.document())
        .map(|d| policy_document(Some(d)))
}

/// What every user's collection reads and nothing writes.
pub(super) struct UserContext<'a> {
    pub(super) report: Option<&'a CredentialReport>,
    pub(super) virtual_mfa: Option<&'a VirtualMfa>,
    pub(super) group_arns: &'a HashMap<String, String>,
}

pub(super) async fn add_user(
    ctx: &Ctx,
    client: &Client,
    user: UserDetail,
    known: &UserContext<'_>,
) {
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
pub(super) fn user_base_properties(user: &UserDetail) -> Map<String, Value> {
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

pub(super) async fn mfa_devices(
    ctx: &Ctx,
    client: &Client,
    name: &str,
    arn: &str,
) -> Option<Vec<MfaDevice>> {
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
pub(super) fn mfa_device_json(
    device: &MfaDevice,
    virtual_serials: Option<&HashSet<String>>,
) -> Value {
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
pub(super) struct LastUsed {
    pub(super) date: Value,
    pub(super) service: Value,
}

/// The user's access keys (ids, status, dates; never secrets), with last use from the
/// credential report when a report slot matches the key, else from GetAccessKeyLastUsed.
pub(super) async fn access_keys(
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

pub(super) async fn key_last_used(
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
pub(super) fn access_key_json(key: &AccessKeyMetadata, last_used: Option<&LastUsed>) -> Value {
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
pub(super) async fn sign_in_facts(
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

pub(super) fn attached_arns(list: &[AttachedPolicy]) -> Vec<String> {
    list.iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

pub(super) fn inline_policies(list: &[PolicyDetail]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| json!({"name": p.policy_name(), "document": policy_document(p.policy_document())}))
            .collect(),
    )
}

pub(super) fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// A report or API text field where `N/A` (and empty) mean "none".
pub(super) fn known_text(text: Option<&str>) -> Value {
    match text {
        None | Some("") | Some("N/A") => Value::Null,
        Some(s) => Value::String(s.to_owned()),
    }
}
