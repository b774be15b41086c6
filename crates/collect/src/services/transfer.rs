//! AWS Transfer Family: the region's servers with their protocols, endpoint type,
//! identity provider, security policy and logging role. Users and their keys are never
//! read. Connectors (AS2 and SFTP to remote hosts) are not collected.
//!
//! One paginated listing (ListServers) and one DescribeServer per server (the listing
//! does not carry the protocols); a failed read is a gap on the server, which keeps
//! what the listing gave.
//!
//! Relations: server `uses` its logging role.

use aws_sdk_transfer::Client;
use aws_sdk_transfer::types::ListedServer;
use serde_json::{Map, Value, json};
use vigil_inventory::Resource;

use crate::registry::{Collector, Scope};
use crate::shape::{enum_str, tag_map};
use crate::{Ctx, client, list_all};

pub const COLLECTOR: Collector = Collector {
    service: "transfer",
    scope: Scope::Regional,
    actions: &["transfer:ListServers", "transfer:DescribeServer"],
    run: |ctx| Box::pin(collect(ctx)),
};

const SERVER: &str = "aws.transfer.server";

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_transfer);
    let Some(servers) = list_all!(
        ctx,
        "transfer:ListServers",
        &[SERVER],
        client.list_servers()
    )
    .await
    else {
        return;
    };
    ctx.each(servers, |s| server(&ctx, &client, s)).await;
}

async fn server(ctx: &Ctx, client: &Client, s: ListedServer) -> Option<Resource> {
    let (id, arn) = (s.server_id()?, s.arn());
    let described = ctx
        .detail(
            "transfer:DescribeServer",
            arn,
            &["ResourceNotFoundException"],
            client.describe_server().server_id(id).send(),
        )
        .await;
    let mut resource = ctx.resource(arn, SERVER);
    resource.name = Some(id.to_owned());
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("arn".into(), json!(arn));
    props.insert("endpoint_type".into(), enum_str(s.endpoint_type()));
    props.insert(
        "identity_provider_type".into(),
        enum_str(s.identity_provider_type()),
    );
    props.insert("logging_role".into(), json!(s.logging_role()));
    if let Some(role) = s.logging_role() {
        ctx.relate(arn, "uses", role);
    }
    match &described {
        Ok(None) => return None,
        Ok(Some(out)) => {
            if let Some(d) = out.server() {
                let protocols: Vec<&str> = d.protocols().iter().map(|p| p.as_str()).collect();
                props.insert("protocols".into(), json!(protocols));
                props.insert(
                    "security_policy_name".into(),
                    json!(d.security_policy_name()),
                );
                resource.tags = tag_map(d.tags().iter().map(|t| (Some(t.key()), Some(t.value()))));
            }
        }
        Err(_) => {}
    }
    resource.properties = Value::Object(props).into();
    Some(resource)
}
