//! An IAM policy document: parsed, analysed by every one-document helper, and evaluated
//! by the engine as an identity policy and as a resource policy.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_rules::access::{NamedPolicy, Principal, Request, evaluate};
use vigil_rules::helpers::iam::{Policy, wildcard_match};

fuzz_target!(|text: &str| {
    // A pattern and a name, split at the first newline, for the wildcard matcher.
    if let Some((pattern, name)) = text.split_once('\n') {
        let _ = wildcard_match(pattern, name, false);
    }
    let Ok(policy) = Policy::from_text(text) else {
        return;
    };
    let _ = policy.is_admin();
    let _ = policy.is_public();
    let _ = policy.allows("s3:GetObject", "arn:aws:s3:::bucket/key");
    let _ = policy.denies("iam:CreateUser");
    let _ = policy.allowed_principals();
    let _ = policy.principals_without("AWS", "sts:ExternalId");
    let principal = Principal::user("arn:aws:iam::111122223333:user/alice")
        .with_policy(NamedPolicy::inline("fuzzed", policy.clone()));
    let resource_policy = NamedPolicy::inline("resource", policy);
    for request in [
        Request::new("s3:GetObject", "arn:aws:s3:::bucket/key"),
        Request::new("iam:PassRole", "arn:aws:iam::444455556666:role/x")
            .with_resource_policy(&resource_policy),
    ] {
        let answer = evaluate(&principal, &request);
        let _ = answer.to_string();
    }
});
