//! Property tests for the IAM policy evaluator: invariants that must hold for any
//! policy, checked over generated documents.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::iam::Policy;

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:CreateUser",
    "ec2:RunInstances",
    "kms:Decrypt",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "iam:*",
    "ec2:Run*",
    "kms:Decrypt",
    "S3:GETOBJECT",
    "*:*",
    "iam:?reateUser",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::a/x",
    "arn:aws:s3:::b",
    "arn:aws:iam::1:user/u",
    "*",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::a/*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::*",
    "arn:aws:iam::1:user/*",
];

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::ANY,
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        prop::bool::ANY,
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(allow, actions, not_action, resources, not_resource, conditional)| {
                let mut s = json!({"Effect": if allow { "Allow" } else { "Deny" }});
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                s[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(resources);
                if conditional {
                    s["Condition"] = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
                }
                s
            },
        )
}

fn document() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(statement(), 1..5)
}

fn policy(statements: &[Value]) -> Policy {
    Policy::from_json(&json!({"Version": "2012-10-17", "Statement": statements}))
        .expect("generated policies are valid")
}

fn answers(p: &Policy) -> Vec<bool> {
    ACTIONS
        .iter()
        .flat_map(|a| RESOURCES.iter().map(move |r| p.allows(a, r)))
        .collect()
}

proptest! {
    #[test]
    fn an_unconditional_matching_deny_always_wins(statements in document(), a in prop::sample::select(ACTIONS), r in prop::sample::select(RESOURCES)) {
        let p = policy(&statements);
        let denied = p.statements.iter().any(|s| s.effect == super::iam::Effect::Deny && s.conditions.is_empty() && s.matches_action(a) && s.matches_resource(r));
        if denied {
            prop_assert!(!p.allows(a, r));
        }
    }

    #[test]
    fn adding_an_allow_never_removes_access(statements in document(), extra in statement()) {
        let before = answers(&policy(&statements));
        let mut more = statements.clone();
        let mut extra = extra;
        extra["Effect"] = json!("Allow");
        more.push(extra);
        let after = answers(&policy(&more));
        for (b, a) in before.iter().zip(&after) {
            prop_assert!(!b || *a);
        }
    }

    #[test]
    fn adding_a_deny_never_grants_access(statements in document(), extra in statement()) {
        let before = answers(&policy(&statements));
        let mut more = statements.clone();
        let mut extra = extra;
        extra["Effect"] = json!("Deny");
        more.push(extra);
        let after = answers(&policy(&more));
        for (b, a) in before.iter().zip(&after) {
            prop_assert!(!a || *b);
        }
    }

    #[test]
    fn statement_order_does_not_matter(statements in document()) {
        let mut reversed = statements.clone();
        reversed.reverse();
        prop_assert_eq!(answers(&policy(&statements)), answers(&policy(&reversed)));
        prop_assert_eq!(policy(&statements).is_admin(), policy(&reversed).is_admin());
    }

    #[test]
    fn actions_compare_case_insensitively(statements in document(), a in prop::sample::select(ACTIONS), r in prop::sample::select(RESOURCES)) {
        let p = policy(&statements);
        prop_assert_eq!(p.allows(a, r), p.allows(&a.to_uppercase(), r));
        prop_assert_eq!(p.allows(a, r), p.allows(&a.to_lowercase(), r));
    }

    #[test]
    fn text_and_url_encoded_forms_give_the_same_answers(statements in document()) {
        let doc = json!({"Version": "2012-10-17", "Statement": statements});
        let text = doc.to_string();
        let encoded: String = percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC).to_string();
        let direct = answers(&policy(doc["Statement"].as_array().unwrap()));
        prop_assert_eq!(&direct, &answers(&Policy::from_text(&text).unwrap()));
        prop_assert_eq!(&direct, &answers(&Policy::from_text(&encoded).unwrap()));
    }

    /// An admin grant allows everything a Deny does not take away. (A narrower Deny
    /// does not stop a policy being admin: with `iam:*` the holder can remove it.)
    /// A `NotAction` grant counts as admin when it leaves the IAM writes that make
    /// anyone an administrator, yet does not allow what it excludes
    /// (`NotAction: iam:?reateUser` is admin and does not allow iam:CreateUser), so
    /// the invariant is stated for `Action` grants.
    #[test]
    fn admin_policies_allow_everything_not_denied(statements in document(), a in prop::sample::select(ACTIONS), r in prop::sample::select(RESOURCES)) {
        let p = policy(&statements);
        let denied = p.statements.iter().any(|s| s.effect == super::iam::Effect::Deny && s.conditions.is_empty() && s.matches_action(a) && s.matches_resource(r));
        let not_action = p.statements.iter().any(|s| matches!(s.actions, super::iam::Patterns::AllBut(_)));
        if p.is_admin() && !denied && !not_action {
            prop_assert!(p.allows(a, r));
        }
    }

    #[test]
    fn identity_policies_are_never_public(statements in document()) {
        prop_assert!(!policy(&statements).is_public());
    }

    #[test]
    fn not_action_is_the_complement_of_action(patterns in prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3), a in prop::sample::select(ACTIONS)) {
        let only = policy(&[json!({"Effect": "Allow", "Action": patterns, "Resource": "*"})]);
        let all_but = policy(&[json!({"Effect": "Allow", "NotAction": patterns, "Resource": "*"})]);
        prop_assert_ne!(only.allows(a, "*"), all_but.allows(a, "*"));
    }
}
