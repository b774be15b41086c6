//! Identity providers (SAML and OIDC) and server certificates.

use super::*;
// ---------------------------------------------------------------------------------
// Identity providers and server certificates
// ---------------------------------------------------------------------------------

pub(super) async fn saml_providers(ctx: &Ctx, client: &Client) {
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
pub(super) async fn add_saml_provider(ctx: &Ctx, client: &Client, entry: &SamlProviderListEntry) {
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

pub(super) fn saml_properties(
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

pub(super) async fn oidc_providers(ctx: &Ctx, client: &Client) {
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
pub(super) async fn add_oidc_provider(ctx: &Ctx, client: &Client, arn: &str) {
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

pub(super) async fn server_certificates(ctx: &Ctx, client: &Client) {
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

pub(super) fn server_certificate_resource(ctx: &Ctx, c: &ServerCertificateMetadata) -> Resource {
    let mut resource = ctx.global_resource(c.arn(), SERVER_CERTIFICATE);
    resource.name = Some(c.server_certificate_name().to_owned());
    resource.properties = server_certificate_properties(c).into();
    resource
}

pub(super) fn server_certificate_properties(c: &ServerCertificateMetadata) -> Value {
    json!({
        "arn": c.arn(),
        "server_certificate_name": c.server_certificate_name(),
        "expiration": time(c.expiration()),
        "upload_date": time(c.upload_date()),
    })
}

/// The part of an ARN after `marker` (`saml-provider/NAME` → `NAME`).
pub(super) fn arn_name(arn: &str, marker: &str) -> Option<String> {
    arn.split_once(marker).map(|(_, name)| name.to_owned())
}
