//! What the internet reaches of a Lambda function: its URL, decided by the URL's auth
//! type and the function's resource policy, evaluated for a caller outside the account.

use vigil_inventory::{Inventory, ResourceIdx, Value};

use super::ports::Protocol;
use super::{Exposure, Opening, hop};
use crate::access::{NamedPolicy, Principal, Request, RequestContext, Tri, evaluate};
use crate::helpers::iam::Policy;

/// A principal in an account no policy names, whose own policies allow everything: a
/// resource policy that lets it in lets in anyone on the internet with an AWS account
/// (and, for a function URL with AuthType NONE, anyone at all).
pub(crate) fn anyone() -> Principal {
    let all: Policy = Policy::from_json(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    }))
    .expect("a fixed policy parses");
    Principal::role("arn:aws:iam::000000000000:role/anyone-on-the-internet")
        .with_tags(Default::default())
        .with_policy(NamedPolicy::inline(
            "its own policies allow everything",
            all,
        ))
}

/// What the internet can reach of a Lambda function: its URL, when the URL takes
/// unsigned requests (AuthType NONE) and the function's resource policy lets anyone
/// call lambda:InvokeFunctionUrl.
pub fn function(inv: &Inventory, idx: ResourceIdx) -> Exposure {
    let r = inv.resource(idx);
    let arn = r.properties["function_arn"]
        .as_str()
        .unwrap_or(&r.id)
        .to_owned();
    let mut out = Exposure {
        resource: r.id.clone(),
        reachable: Tri::Unknown,
        open: Vec::new(),
        path: Vec::new(),
        blocked_by: None,
        unknown: Vec::new(),
    };
    let url_hop = |detail: String| {
        hop(
            "internet",
            "HTTPS request to the function URL".into(),
            &r.id,
            "function_url",
            detail,
        )
    };
    let url = match r.properties.get("url_config") {
        None => {
            out.unknown
                .push("the function's url_config was not collected".into());
            return out;
        }
        Some(Value::Null) => {
            out.reachable = Tri::No;
            out.blocked_by = Some("the function has no URL".into());
            return out;
        }
        Some(u) => u,
    };
    if url["auth_type"].as_str() != Some("NONE") {
        out.reachable = Tri::No;
        out.path.push(url_hop(format!(
            "AuthType {}",
            url["auth_type"].as_str().unwrap_or("?")
        )));
        out.blocked_by = Some(
            "the URL takes only SigV4-signed requests from IAM principals (AuthType AWS_IAM)"
                .into(),
        );
        return out;
    }
    out.path.push(url_hop(
        "AuthType NONE: Lambda does not authenticate the caller".into(),
    ));
    let policy = match r.properties.get("policy") {
        None => {
            out.unknown
                .push("the function's resource policy was not collected".into());
            return out;
        }
        Some(Value::Null) => {
            out.reachable = Tri::No;
            out.blocked_by =
                Some("AuthType NONE but no resource policy: Lambda refuses every request".into());
            return out;
        }
        Some(p) => match Policy::from_value(p) {
            Ok(p) => NamedPolicy::inline(format!("resource policy of {}", r.id), p),
            Err(e) => {
                out.unknown.push(format!(
                    "the function's resource policy does not parse: {e}"
                ));
                return out;
            }
        },
    };
    let context = RequestContext::new().with("lambda:FunctionUrlAuthType", "NONE");
    let answer = evaluate(
        &anyone(),
        &Request::new("lambda:InvokeFunctionUrl", &arn)
            .in_account(&r.account)
            .with_resource_policy(&policy)
            .with_context(&context),
    );
    let policy_hop = hop(
        "internet",
        "lambda:InvokeFunctionUrl".into(),
        &r.id,
        "resource_policy",
        format!("{} for a caller outside the account", answer.decision),
    );
    match answer.decision {
        crate::access::Decision::Allowed => {
            out.reachable = Tri::Yes;
            out.path.push(policy_hop);
            out.open.push(Opening {
                family: "https",
                protocol: Protocol::Tcp,
                from_port: 443,
                to_port: 443,
            });
        }
        crate::access::Decision::Conditional => out.unknown.push(format!(
            "the resource policy's answer depends on {}",
            answer.undecided_keys().join(", ")
        )),
        _ => {
            out.reachable = Tri::No;
            out.path.push(policy_hop);
            out.blocked_by = Some(
                "the resource policy does not let everyone call lambda:InvokeFunctionUrl".into(),
            );
        }
    }
    out
}
