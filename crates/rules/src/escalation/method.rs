//! The escalation catalogue's file format (`rules/escalation/<id>.yaml`, one method per
//! file) and its loading. The JSON Schema for editors, `rules/escalation/method.schema.json`,
//! is generated from [`MethodFile`]; a test fails when the committed copy is stale.
//!
//! A method is data the analysis interprets: what it acts on (`target`), the calls it
//! needs (each on the target, on the principal itself or on `*`), what must hold of the
//! target beforehand, and what the principal holds afterwards. Nothing in the analysis
//! names a method; adding one is one file here and one line in the catalogue list.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One privilege-escalation method as written in its YAML file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Vigil privilege-escalation method")]
pub struct MethodFile {
    /// Permanent id, snake_case, the file's name: `iam_create_policy_version`.
    pub id: String,
    /// One line naming the method.
    pub name: String,
    /// How the method works, and what the analysis checks.
    pub description: String,
    pub category: Category,
    /// What the method acts on.
    pub target: TargetKind,
    /// The calls the principal must be allowed, each on its resource.
    pub actions: Vec<RequiredAction>,
    /// What must already hold of the principal or the target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prerequisites: Vec<Prerequisite>,
    /// What the principal holds once the method has run.
    pub yields: Yield,
    /// Where the method is documented (https URLs).
    pub references: Vec<String>,
}

/// The families of the public catalogues (Rhino Security Labs, Bishop Fox
/// iam-vulnerable, pathfinding.cloud).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The principal changes its own permissions (policies, versions, groups, boundary).
    SelfEscalation,
    /// The principal obtains another principal's credentials or sessions.
    PrincipalAccess,
    /// The principal hands a role to a service and runs code as it.
    PassRole,
    /// The principal changes compute that already runs as a role.
    ComputeModification,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::SelfEscalation => "self_escalation",
            Category::PrincipalAccess => "principal_access",
            Category::PassRole => "pass_role",
            Category::ComputeModification => "compute_modification",
        }
    }
}

/// What a method acts on. Targets are found in the principal's own account: IAM
/// users, groups and policies have no resource policy, so no other account's
/// principal can change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The principal itself (its inline policies, attachments, boundary).
    #[serde(rename = "self")]
    Itself,
    /// A customer managed policy.
    Policy,
    /// An IAM group.
    Group,
    /// Another IAM user.
    User,
    /// An IAM role.
    Role,
    /// A Lambda function (runs as its execution role).
    Function,
    /// A CodeBuild project (runs as its service role).
    Project,
    /// An EC2 instance (runs as the role of its instance profile).
    Instance,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Itself => "self",
            TargetKind::Policy => "policy",
            TargetKind::Group => "group",
            TargetKind::User => "user",
            TargetKind::Role => "role",
            TargetKind::Function => "function",
            TargetKind::Project => "project",
            TargetKind::Instance => "instance",
        }
    }

    /// Does the target run as a role (compute)?
    pub fn is_compute(self) -> bool {
        matches!(
            self,
            TargetKind::Function | TargetKind::Project | TargetKind::Instance
        )
    }
}

/// One call the method needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredAction {
    /// `service:Action`, exactly as IAM names it.
    pub action: String,
    /// The resource the call is authorised on.
    pub resource: ActionResource,
    /// Evaluate with the target role's trust policy as the resource policy
    /// (`sts:AssumeRole…`): the trust policy must allow even within the account.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trust_policy: bool,
    /// Request context the call is known to carry, such as `iam:PassedToService` for
    /// `iam:PassRole`, so that conditions on it are decided rather than left open.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
}

/// The resource a required call is authorised on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionResource {
    /// The method's target (its ARN).
    Target,
    /// The principal's own ARN.
    #[serde(rename = "self")]
    Itself,
    /// The role the target compute runs as (`iam:PassRole` when a project or function
    /// is handed a new role).
    TargetRole,
    /// `*`: calls that create something (`ec2:RunInstances`, `lambda:CreateFunction`)
    /// or whose resource Vigil does not collect.
    #[serde(rename = "*")]
    Any,
}

/// What must hold before the method can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Prerequisite {
    /// The principal is an IAM user (user policies, groups, login profiles).
    SelfIsUser,
    /// The principal is an IAM role.
    SelfIsRole,
    /// The target is not the principal itself.
    TargetIsOther,
    /// The target policy is attached to the principal or one of its groups, or the
    /// target group has the principal as a member.
    TargetAttachedToSelf,
    /// The target role's trust policy allows this service principal to assume it.
    RoleTrustsService(String),
    /// The target role is in an instance profile (an instance can be launched with it).
    RoleHasInstanceProfile,
    /// The target user has fewer access keys than this (IAM allows two per user).
    UserAccessKeysBelow(u8),
    /// The target user has (`true`) or has not (`false`) a console password.
    UserHasLoginProfile(bool),
    /// The principal can already assume the target role (trust policy and identity
    /// policy, through the engine).
    SelfCanAssumeTarget,
    /// The target policy has a version other than its default. The inventory holds the
    /// default version only, so this is undecided unless `versions` is known.
    PolicyHasOtherVersions,
    /// The principal has a permissions boundary (removing or replacing it changes
    /// something).
    SelfHasBoundary,
    /// Something the inventory does not collect must exist (a Glue development
    /// endpoint, a SageMaker notebook, a CloudFormation stack running as the role): the
    /// edge is conditional on it, and the text says what.
    Uncollected(String),
}

/// What the principal holds once the method has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Yield {
    /// Any permission it writes for itself: administrator.
    Admin,
    /// The target principal's permissions (its credentials or a session of it).
    Target,
    /// The permissions of the role the target compute runs as.
    TargetRole,
    /// Its own permissions plus the target group's; an edge to administrator when
    /// together they make one.
    GroupPermissions,
    /// Its own identity policies without the permissions boundary; an edge to
    /// administrator when they make one.
    NoBoundary,
}

impl Yield {
    pub fn as_str(self) -> &'static str {
        match self {
            Yield::Admin => "admin",
            Yield::Target => "target",
            Yield::TargetRole => "target_role",
            Yield::GroupPermissions => "group_permissions",
            Yield::NoBoundary => "no_boundary",
        }
    }
}

/// One problem in one method file, naming the file and the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct MethodError {
    pub file: PathBuf,
    pub field: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for MethodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in the catalogue, reported at once.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct MethodErrors(pub Vec<MethodError>);

impl fmt::Display for MethodErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in escalation methods:", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

/// Parses and validates one method file; every problem is returned.
pub fn parse_method(file: &Path, text: &str) -> Result<MethodFile, Vec<MethodError>> {
    let error = |field: Option<&str>, line: Option<usize>, message: String| MethodError {
        file: file.to_owned(),
        field: field.map(str::to_owned),
        line,
        message,
    };
    let method: MethodFile = serde_saphyr::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.lines().next().unwrap_or("").to_owned();
        // serde names the field it was reading in its message (`unknown field
        // `x``, `missing field `y``, `category: unknown variant`).
        let field = message
            .split('`')
            .nth(1)
            .filter(|f| !f.contains(' '))
            .map(str::to_owned);
        vec![error(
            field.as_deref(),
            e.location().map(|l| l.line() as usize),
            message,
        )]
    })?;
    let mut problems = Vec::new();
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if method.id != stem {
        problems.push(error(
            Some("id"),
            None,
            format!("`{}` must match the file name `{stem}`", method.id),
        ));
    }
    if !method
        .id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        problems.push(error(
            Some("id"),
            None,
            format!("`{}` must be snake_case", method.id),
        ));
    }
    for (field, value) in [("name", &method.name), ("description", &method.description)] {
        if value.trim().is_empty() {
            problems.push(error(Some(field), None, "must not be empty".into()));
        }
    }
    if method.actions.is_empty() {
        problems.push(error(
            Some("actions"),
            None,
            "a method needs at least one action".into(),
        ));
    }
    for (i, a) in method.actions.iter().enumerate() {
        let field = format!("actions[{i}].action");
        match a.action.split_once(':') {
            Some((service, name))
                if !service.is_empty()
                    && !name.is_empty()
                    && !a.action.contains(['*', '?', ' ']) => {}
            _ => problems.push(error(
                Some(&field),
                None,
                format!(
                    "`{}` is not one action named `service:Action` (no wildcards)",
                    a.action
                ),
            )),
        }
        if a.trust_policy && method.target != TargetKind::Role {
            problems.push(error(
                Some(&format!("actions[{i}].trust_policy")),
                None,
                "only a role target has a trust policy".into(),
            ));
        }
        if a.resource == ActionResource::TargetRole && !method.target.is_compute() {
            problems.push(error(
                Some(&format!("actions[{i}].resource")),
                None,
                "`target_role` needs a compute target (function, project, instance)".into(),
            ));
        }
    }
    let target_is = |kinds: &[TargetKind]| kinds.contains(&method.target);
    let consistent = match method.yields {
        Yield::Admin | Yield::NoBoundary => true,
        Yield::Target => target_is(&[TargetKind::User, TargetKind::Role]),
        Yield::TargetRole => method.target.is_compute(),
        Yield::GroupPermissions => target_is(&[TargetKind::Group]),
    };
    if !consistent {
        problems.push(error(
            Some("yields"),
            None,
            format!(
                "`{}` does not fit target `{}`",
                method.yields.as_str(),
                method.target.as_str()
            ),
        ));
    }
    for (i, p) in method.prerequisites.iter().enumerate() {
        let fits = match p {
            Prerequisite::RoleTrustsService(_)
            | Prerequisite::RoleHasInstanceProfile
            | Prerequisite::SelfCanAssumeTarget => target_is(&[TargetKind::Role]),
            Prerequisite::UserAccessKeysBelow(_) | Prerequisite::UserHasLoginProfile(_) => {
                target_is(&[TargetKind::User])
            }
            Prerequisite::PolicyHasOtherVersions => target_is(&[TargetKind::Policy]),
            Prerequisite::TargetAttachedToSelf => {
                target_is(&[TargetKind::Policy, TargetKind::Group])
            }
            _ => true,
        };
        if !fits {
            problems.push(error(
                Some(&format!("prerequisites[{i}]")),
                None,
                format!(
                    "{p:?} does not apply to target `{}`",
                    method.target.as_str()
                ),
            ));
        }
        if let Prerequisite::RoleTrustsService(s) = p
            && !s.ends_with(".amazonaws.com")
        {
            problems.push(error(
                Some(&format!("prerequisites[{i}].role_trusts_service")),
                None,
                format!("`{s}` is not a service principal (`name.amazonaws.com`)"),
            ));
        }
    }
    if method.references.is_empty() {
        problems.push(error(
            Some("references"),
            None,
            "at least one reference".into(),
        ));
    }
    for (i, r) in method.references.iter().enumerate() {
        if !r.starts_with("https://") {
            problems.push(error(
                Some(&format!("references[{i}]")),
                None,
                format!("`{r}` is not an https URL"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(method)
    } else {
        Err(problems)
    }
}

/// The method file's JSON Schema, pretty-printed, as committed in the repository.
pub fn method_schema() -> String {
    let schema = schemars::schema_for!(MethodFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id: iam_put_user_policy
name: Inline policy on oneself
description: Writes any inline policy on the user itself.
category: self_escalation
target: self
actions:
  - {action: iam:PutUserPolicy, resource: self}
prerequisites: [self_is_user]
yields: admin
references: [https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/]
"#;

    fn parse(text: &str) -> Result<MethodFile, Vec<MethodError>> {
        parse_method(Path::new("rules/escalation/iam_put_user_policy.yaml"), text)
    }

    #[test]
    fn a_good_file_loads() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.category, Category::SelfEscalation);
        assert_eq!(m.target, TargetKind::Itself);
        assert_eq!(m.actions[0].resource, ActionResource::Itself);
        assert_eq!(m.prerequisites, vec![Prerequisite::SelfIsUser]);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let unknown = parse(&GOOD.replace("category:", "kategory:")).unwrap_err();
        let text = unknown[0].to_string();
        assert!(
            text.starts_with("rules/escalation/iam_put_user_policy.yaml:"),
            "{text}"
        );
        assert_eq!(unknown[0].field.as_deref(), Some("kategory"), "{text}");

        let many = parse(
            &GOOD
                .replace("iam:PutUserPolicy", "iam:Put*")
                .replace("yields: admin", "yields: target")
                .replace("https://", "http://")
                .replace("id: iam_put_user_policy", "id: other"),
        )
        .unwrap_err();
        let fields: Vec<&str> = many.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(
            fields,
            vec!["id", "actions[0].action", "yields", "references[0]"],
            "{many:?}"
        );
    }

    #[test]
    fn prerequisites_must_fit_the_target() {
        let bad = parse(&GOOD.replace(
            "[self_is_user]",
            "[{role_trusts_service: ec2}, {user_access_keys_below: 2}]",
        ))
        .unwrap_err();
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(
            bad[1].message.contains("not a service principal"),
            "{bad:?}"
        );
    }
}
