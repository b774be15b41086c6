//! account collector: the account's alternate contacts (security, billing, operations),
//! set on the `aws.account` node as `alternate_contacts`.
//!
//! A contact that is not registered (`ResourceNotFoundException`) is `null`: looked, found
//! nothing. Any other failure records a resource-level gap on the account node and leaves
//! that contact's key out, so rules reading it report ERROR rather than FAIL or PASS.

use aws_sdk_account::types::{AlternateContact, AlternateContactType};
use serde_json::{Map, Value, json};

use crate::Ctx;
use crate::client;
use crate::registry::{Collector, Scope};

pub const COLLECTOR: Collector = Collector {
    service: "account",
    scope: Scope::Global,
    actions: &["account:GetAlternateContact"],
    run: |ctx| Box::pin(collect(ctx)),
};

/// The contact types Vigil reads, with the key each gets under `alternate_contacts`.
const CONTACTS: &[(AlternateContactType, &str)] = &[
    (AlternateContactType::Security, "security"),
    (AlternateContactType::Billing, "billing"),
    (AlternateContactType::Operations, "operations"),
];

async fn collect(ctx: Ctx) {
    let client = client!(ctx, aws_sdk_account);
    let account_node = crate::account_id(&ctx.account);
    let mut contacts = Map::new();
    for (kind, key) in CONTACTS {
        let answer = ctx
            .detail(
                "account:GetAlternateContact",
                &account_node,
                &["ResourceNotFoundException"],
                client
                    .get_alternate_contact()
                    .alternate_contact_type(kind.clone())
                    .send(),
            )
            .await;
        match answer {
            Ok(Some(out)) => {
                contacts.insert((*key).to_owned(), contact_json(out.alternate_contact()));
            }
            Ok(None) => {
                contacts.insert((*key).to_owned(), Value::Null);
            }
            // The gap is recorded; the key stays absent.
            Err(_) => {}
        }
    }
    // When every call failed there is nothing to say: leave the whole property absent.
    if !contacts.is_empty() {
        ctx.set_account("alternate_contacts", Value::Object(contacts));
    }
}

/// One alternate contact as `{name, email, phone}`; an answer without a contact is `null`.
fn contact_json(contact: Option<&AlternateContact>) -> Value {
    match contact {
        Some(c) => json!({
            "name": c.name(),
            "email": c.email_address(),
            "phone": c.phone_number(),
        }),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_becomes_name_email_phone() {
        let contact = AlternateContact::builder()
            .name("Security Team")
            .title("CISO")
            .email_address("security@example.com")
            .phone_number("+1-555-0100")
            .alternate_contact_type(AlternateContactType::Security)
            .build();
        assert_eq!(
            contact_json(Some(&contact)),
            json!({"name": "Security Team", "email": "security@example.com", "phone": "+1-555-0100"})
        );
    }

    #[test]
    fn missing_fields_are_null_and_no_contact_is_null() {
        let contact = AlternateContact::builder()
            .email_address("ops@example.com")
            .build();
        assert_eq!(
            contact_json(Some(&contact)),
            json!({"name": null, "email": "ops@example.com", "phone": null})
        );
        assert_eq!(contact_json(None), Value::Null);
    }
}
