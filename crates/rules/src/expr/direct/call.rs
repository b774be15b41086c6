//! The walker's calls: operators, CEL's functions and Vigil's helpers, each taken
//! exactly as the `cel` crate and `functions.rs` take it, or left to CEL (`None`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use cel::IdedExpr;
use cel::common::ast::{Expr as Ast, LiteralValue};
use ipnet::IpNet;
use vigil_inventory::Value as Json;
use vigil_inventory::value::Key;

use super::{Kind, V, Walker, equal, kind, map_entry, ordering, text};
use crate::helpers::iam::Policy;
use crate::helpers::net;

/// A condition's value as CEL's `&&`, `||` and `!` see it.
pub(super) enum Side {
    Held(bool),
    /// A helper failed with this error.
    Failed(cel::ExecutionError),
}

impl<'a> Walker<'a> {
    pub(super) fn call(
        &mut self,
        name: &str,
        target: Option<&'a IdedExpr>,
        args: &'a [IdedExpr],
    ) -> Option<V<'a>> {
        use cel::common::ast::operators as op;
        match (name, target, args) {
            // Inside an expression, a helper's error is CEL's to word.
            (op::LOGICAL_AND, None, [a, b]) => match self.either(a, b, false)? {
                Side::Held(b) => Some(V::Bool(b)),
                Side::Failed(_) => None,
            },
            (op::LOGICAL_OR, None, [a, b]) => match self.either(a, b, true)? {
                Side::Held(b) => Some(V::Bool(b)),
                Side::Failed(_) => None,
            },
            (op::LOGICAL_NOT, None, [a]) => Some(V::Bool(!self.truth_of(a)?)),
            (op::NOT_STRICTLY_FALSE, None, [a]) => Some(V::Bool(self.truth_of(a)?)),
            // Only the branch the condition picks is evaluated, as in CEL.
            (op::CONDITIONAL, None, [condition, then, otherwise]) => {
                if self.truth_of(condition)? {
                    self.eval(then)
                } else {
                    self.eval(otherwise)
                }
            }
            (op::EQUALS, None, [a, b]) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                equal(&a, &b).map(V::Bool)
            }
            (op::NOT_EQUALS, None, [a, b]) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                equal(&a, &b).map(|e| V::Bool(!e))
            }
            (op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS, None, [a, b]) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                let ordering = ordering(&a, &b)?;
                Some(V::Bool(match name {
                    op::LESS => ordering.is_lt(),
                    op::LESS_EQUALS => ordering.is_le(),
                    op::GREATER => ordering.is_gt(),
                    _ => ordering.is_ge(),
                }))
            }
            (op::IN, None, [item, within]) => {
                let item = self.eval(item)?;
                match self.eval(within)? {
                    V::Tags(tags) => text(&item).map(|key| V::Bool(tags.contains_key(key))),
                    V::Json(Json::Object(map)) => {
                        text(&item).map(|key| V::Bool(map.contains_key(key)))
                    }
                    V::MapLiteral(entries) => {
                        let key = text(&item)?;
                        Some(V::Bool(map_entry(entries, key).is_some()))
                    }
                    V::Json(Json::Array(items)) => {
                        let mut found = false;
                        for i in items {
                            found |= equal(&item, &V::Json(i))?;
                        }
                        Some(V::Bool(found))
                    }
                    V::Literal(items) => {
                        let mut found = false;
                        for i in items {
                            let i = self.eval(i)?;
                            found |= equal(&item, &i)?;
                        }
                        Some(V::Bool(found))
                    }
                    V::Texts(list) => {
                        let key = text(&item)?;
                        Some(V::Bool(list.iter().any(|s| s == key)))
                    }
                    V::List(list) => {
                        let mut found = false;
                        for i in list.iter() {
                            found |= equal(&item, i)?;
                        }
                        Some(V::Bool(found))
                    }
                    _ => None,
                }
            }
            (op::INDEX, None, [within, key]) => {
                let (within, key) = (self.eval(within)?, self.eval(key)?);
                let key = text(&key)?;
                match within {
                    V::Tags(tags) => tags.get(key).map(|v| V::Str(v)),
                    V::Json(Json::Object(map)) => map.get(key).map(V::Json),
                    V::MapLiteral(entries) => map_entry(entries, key),
                    _ => None,
                }
            }
            (op::ADD, None, [a, b]) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                // Lists: what `filter` (and `map`) gather, `accu + [item]`.
                if let (Some(mut joined), Some(more)) = (self.items(&a), self.items(&b)) {
                    joined.extend(more);
                    return Some(V::List(Rc::new(joined)));
                }
                match (kind(&a), kind(&b)) {
                    // Overflow is an error in CEL: left to it.
                    (Kind::Int(a), Kind::Int(b)) => a.checked_add(b).map(V::Int),
                    (Kind::Str(a), Kind::Str(b)) => {
                        let mut joined = String::with_capacity(a.len() + b.len());
                        joined.push_str(a);
                        joined.push_str(b);
                        Some(V::Text(joined.into()))
                    }
                    _ => None,
                }
            }
            (op::SUBSTRACT, None, [a, b]) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                match (kind(&a), kind(&b)) {
                    (Kind::Int(a), Kind::Int(b)) => a.checked_sub(b).map(V::Int),
                    _ => None,
                }
            }
            (op::NEGATE, None, [a]) => match kind(&self.eval(a)?) {
                Kind::Int(a) => a.checked_neg().map(V::Int),
                _ => None,
            },
            ("cidr_contains", None, [outer, inner]) => {
                let (outer, inner) = (self.eval(outer)?, self.eval(inner)?);
                contains(text(&outer)?, text(&inner)?).ok().map(V::Bool)
            }
            ("related" | "related_from" | "resources" | "regional", None, _) => {
                self.graph(name, args)
            }
            ("size", None, [a]) | ("size", Some(a), []) => match self.eval(a)? {
                V::Cel(cel::Value::List(items)) => Some(V::Int(items.len() as i64)),
                V::Json(Json::Array(items)) => Some(V::Int(items.len() as i64)),
                V::Json(Json::Object(map)) => Some(V::Int(map.len() as i64)),
                V::Texts(list) => Some(V::Int(list.len() as i64)),
                V::Resources(list) => Some(V::Int(list.len() as i64)),
                V::List(list) => Some(V::Int(list.len() as i64)),
                // CEL builds the list first: an item that fails fails `size`.
                literal @ V::Literal(_) => Some(V::Int(self.items(&literal)?.len() as i64)),
                _ => None,
            },
            ("startsWith" | "endsWith" | "contains", Some(target), [arg]) => {
                let (whole, part) = (self.eval(target)?, self.eval(arg)?);
                let (whole, part) = (text(&whole)?, text(&part)?);
                Some(V::Bool(match name {
                    "startsWith" => whole.starts_with(part),
                    "endsWith" => whole.ends_with(part),
                    _ => whole.contains(part),
                }))
            }
            // CEL resolves the pattern before the text (see `native::rewrite`); both
            // are plain reads here, so the order does not matter.
            ("matches", Some(target), [pattern]) => {
                let (subject, pattern) = (self.eval(target)?, self.eval(pattern)?);
                crate::expr::native::is_match(text(&pattern)?, text(&subject)?)
                    .ok()
                    .map(V::Bool)
            }
            ("cidr_is_internet", None, [a]) => {
                let a = self.eval(a)?;
                is_internet(text(&a)?).ok().map(V::Bool)
            }
            ("opens_any_port", None, [rule, ports]) => {
                let rule = self.eval(rule)?;
                let (protocol, from, to) = rule_ports(&rule)?;
                let V::Literal(items) = self.eval(ports)? else {
                    return None;
                };
                let port = |i: &IdedExpr| match &i.expr {
                    Ast::Literal(LiteralValue::Int(p)) => Some(*p.inner()),
                    _ => None,
                };
                // Every port must be an int literal (else CEL words the error) before
                // any is tried.
                if items.iter().any(|i| port(i).is_none()) {
                    return None;
                }
                let opens = net::Opens::of(protocol, from, to);
                Some(V::Bool(
                    items.iter().filter_map(port).any(|p| opens.admits(p)),
                ))
            }
            ("opens_port", None, [rule, port]) => {
                let rule = self.eval(rule)?;
                let (protocol, from, to) = rule_ports(&rule)?;
                let Kind::Int(port) = kind(&self.eval(port)?) else {
                    return None;
                };
                Some(V::Bool(net::opens_port(protocol, from, to, port)))
            }
            // As the helper registered for CEL: always true, and when `when` is true a
            // failure of this evaluation is reported at `level` at least.
            ("raise_severity", None, [level, when]) => {
                let level = self.eval(level)?;
                let level: crate::Severity =
                    serde_json::from_value(serde_json::Value::String(text(&level)?.to_owned()))
                        .ok()?;
                if matches!(kind(&self.eval(when)?), Kind::Bool(true)) {
                    crate::expr::functions::raise_to(level);
                }
                Some(V::Bool(true))
            }
            (
                "admin_escalation" | "role_privileged" | "internet_reachable" | "modifiable_by",
                None,
                [subject],
            ) => self.helper(name, subject)?.ok().map(V::Cel),
            // `type(x)`: the type's name, as CEL gives it for a value converted from
            // JSON (`convert.rs`: a number that fits an i64 is an int, any other a double).
            ("type", None, [a]) => {
                let a = self.eval(a)?;
                let name = match &a {
                    V::Json(json) => match json {
                        Json::Null => "null_type",
                        Json::Bool(_) => "bool",
                        Json::Number(n) if n.as_i64().is_some() => "int",
                        Json::Number(_) => "double",
                        Json::String(_) => "string",
                        Json::Array(_) => "list",
                        Json::Object(_) => "map",
                    },
                    V::Null => "null_type",
                    V::Bool(_) => "bool",
                    V::Int(_) => "int",
                    V::Str(_) | V::Text(_) | V::TextAt(..) => "string",
                    // CEL builds the list first: an item that fails fails `type`.
                    V::Literal(_) => {
                        self.items(&a)?;
                        "list"
                    }
                    V::Texts(_) | V::Resources(_) | V::List(_) => "list",
                    V::MapLiteral(_) => "map",
                    _ => return None,
                };
                Some(V::Type(name))
            }
            // `string(x)` of a string, an int or a bool (doubles are CEL's to format).
            ("string", None, [a]) => {
                let a = self.eval(a)?;
                match kind(&a) {
                    Kind::Str(_) => Some(a),
                    Kind::Int(i) => Some(V::Text(i.to_string().into())),
                    Kind::Bool(b) => Some(V::Str(if b { "true" } else { "false" })),
                    _ => None,
                }
            }
            ("days_since", None, [a]) => {
                let a = self.eval(a)?;
                crate::expr::functions::days_since_text(self.now, text(&a)?).map(V::Int)
            }
            (
                "policy_is_admin" | "policy_is_public" | "policy_denies_insecure_transport",
                None,
                [document],
            ) => {
                let policy = self.policy(document)?;
                Some(V::Bool(match name {
                    "policy_is_admin" => policy.is_admin(),
                    "policy_is_public" => policy.is_public(),
                    _ => policy.denies_insecure_transport(),
                }))
            }
            ("policy_denies" | "policy_has_condition", None, [document, what]) => {
                let policy = self.policy(document)?;
                let what = self.eval(what)?;
                let what = text(&what)?;
                Some(V::Bool(if name == "policy_denies" {
                    policy.denies(what)
                } else {
                    policy.has_condition_key(what)
                }))
            }
            ("policy_allows", None, [document, action, resource]) => {
                let policy = self.policy(document)?;
                let (action, resource) = (self.eval(action)?, self.eval(resource)?);
                Some(V::Bool(policy.allows(text(&action)?, text(&resource)?)))
            }
            ("policy_principals", None, [document]) => {
                let policy = self.policy(document)?;
                Some(V::Texts(policy.allowed_principals().into()))
            }
            ("policy_principals_without", None, [document, kind_of, key]) => {
                let policy = self.policy(document)?;
                let (kind_of, key) = (self.eval(kind_of)?, self.eval(key)?);
                Some(V::Texts(
                    policy
                        .principals_without(text(&kind_of)?, text(&key)?)
                        .into(),
                ))
            }
            _ => None,
        }
    }

    /// A graph helper that takes the resource alone, as CEL calls it.
    fn helper(
        &mut self,
        name: &str,
        subject: &'a IdedExpr,
    ) -> Option<Result<cel::Value, cel::ExecutionError>> {
        let shared = self.shared?;
        let idx = self.resource_arg(subject)?;
        Some(match name {
            "admin_escalation" => crate::expr::escalation::admin_escalation_of(shared, idx),
            "role_privileged" => crate::expr::attack::role_privileged_of(shared, idx),
            "internet_reachable" => crate::expr::attack::internet_reachable_of(shared, idx),
            "modifiable_by" => crate::expr::attack::modifiable_by_of(shared, idx),
            _ => return None,
        })
    }

    /// A condition's logical frame (`&&`, `||`, `!`) over its leaves, with a helper's
    /// failure carried as CEL's interpreter carries it: `!` passes an error on,
    /// `a || b` is true when either side is true whatever the other's error, and
    /// otherwise the left error, else the right one (`&&` alike, with false). A leaf
    /// fails here only when it is `role_privileged(x)` or `internet_reachable(x)` and
    /// the helper — the one CEL calls, recording the same evidence — failed; any other
    /// failure gives up (`None`), and CEL words it.
    pub(super) fn side(&mut self, node: &'a IdedExpr) -> Option<Side> {
        use cel::common::ast::operators as op;
        if let Ast::Call(call) = &node.expr
            && call.target.is_none()
        {
            match (call.func_name.as_str(), call.args.as_slice()) {
                (op::LOGICAL_OR, [a, b]) => return self.either(a, b, true),
                (op::LOGICAL_AND, [a, b]) => return self.either(a, b, false),
                (op::LOGICAL_NOT, [a]) => {
                    return Some(match self.side(a)? {
                        Side::Held(b) => Side::Held(!b),
                        failed => failed,
                    });
                }
                (name @ ("role_privileged" | "internet_reachable"), [subject]) => {
                    return match self.helper(name, subject)? {
                        Ok(cel::Value::Bool(b)) => Some(Side::Held(b)),
                        Ok(_) => None,
                        Err(error) => Some(Side::Failed(error)),
                    };
                }
                _ => {}
            }
        }
        self.truth_of(node).map(Side::Held)
    }

    /// `a || b` when `absorbing` (a true side decides), `a && b` otherwise, as the
    /// `cel` crate evaluates them: the left side, then the right one unless the left
    /// decided; with an error on the left and a right side that does not decide, the
    /// left error; an error on the right is the result as it stands.
    fn either(&mut self, a: &'a IdedExpr, b: &'a IdedExpr, absorbing: bool) -> Option<Side> {
        match self.side(a)? {
            Side::Held(left) if left == absorbing => Some(Side::Held(absorbing)),
            Side::Held(_) => self.side(b),
            Side::Failed(left) => match self.side(b)? {
                Side::Held(right) if right == absorbing => Some(Side::Held(absorbing)),
                Side::Held(_) => Some(Side::Failed(left)),
                failed => Some(failed),
            },
        }
    }

    /// The items of a list literal (each evaluated, as CEL builds it) or of a list
    /// built here; `None` for anything else.
    fn items(&mut self, list: &V<'a>) -> Option<Vec<V<'a>>> {
        match list {
            V::Literal(items) => items.iter().map(|i| self.eval(i)).collect(),
            V::List(list) => Some(list.to_vec()),
            _ => None,
        }
    }

    /// A policy document read from the resource (an object, or JSON text), parsed as
    /// the policy helpers parse it; `None` (CEL words the error) for anything else.
    fn policy(&mut self, document: &'a IdedExpr) -> Option<Rc<Policy>> {
        let V::Json(json @ (Json::Object(_) | Json::String(_))) = self.eval(document)? else {
            return None;
        };
        let parse = || Policy::from_value(json).ok().map(Rc::new);
        let Some(shared) = self.shared else {
            return parse();
        };
        // The document lies in the scan's inventory, which does not change while the
        // scan is evaluated: its address names it within the scan.
        let at = std::ptr::from_ref(json) as usize;
        POLICIES.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.scan != shared.scan || cache.subject != self.subject {
                cache.scan = shared.scan;
                cache.subject = self.subject;
                cache.parsed.clear();
            }
            if let Some((_, policy)) = cache.parsed.iter().find(|(a, _)| *a == at) {
                return Some(Rc::clone(policy));
            }
            let policy = parse()?;
            cache.parsed.push((at, Rc::clone(&policy)));
            Some(policy)
        })
    }
}

thread_local! {
    /// The policies parsed for the resource being evaluated: the rules of a type read
    /// the same documents (a dozen rules read a role's trust policy), and parsing one
    /// cost more than the rule's check. Kept for one resource of one scan.
    static POLICIES: RefCell<Policies> = RefCell::new(Policies::default());
}

#[derive(Default)]
struct Policies {
    scan: u64,
    subject: vigil_inventory::ResourceIdx,
    /// By the address of the document in the inventory.
    parsed: Vec<(usize, Rc<Policy>)>,
}

/// How many distinct blocks each thread remembers.
const MAX_BLOCKS: usize = 4096;

thread_local! {
    /// Address blocks parsed, by text: security-group and NACL rules test the same few
    /// blocks on every entry, and parsing one costs more than looking it up.
    static BLOCKS: RefCell<HashMap<Box<str>, Result<IpNet, String>, Words>> =
        RefCell::new(HashMap::default());
}

/// A hash that takes eight bytes a step: the blocks are short strings from our own
/// inventory, where SipHash's resistance to chosen keys buys nothing and costs more
/// than the lookup it guards (as did FNV's byte a step).
type Words = std::hash::BuildHasherDefault<WordHasher>;

#[derive(Debug, Default)]
struct WordHasher(u64);

impl WordHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }
}

/// [`net::parse_cidr`], remembered per thread.
pub(crate) fn block(text: &str) -> Result<IpNet, String> {
    BLOCKS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(known) = cache.get(text) {
            return known.clone();
        }
        if cache.len() >= MAX_BLOCKS {
            cache.clear();
        }
        let parsed = net::parse_cidr(text);
        cache.insert(text.into(), parsed.clone());
        parsed
    })
}

/// [`net::is_internet`], from the blocks remembered.
pub(crate) fn is_internet(text: &str) -> Result<bool, String> {
    // The two blocks that are the whole internet, by far the commonest answer yes,
    // need neither the parse nor the cache's hash.
    if text == "0.0.0.0/0" || text == "::/0" {
        return Ok(true);
    }
    Ok(block(text)?.prefix_len() == 0)
}

/// [`net::contains`], from the blocks remembered.
pub(super) fn contains(outer: &str, inner: &str) -> Result<bool, String> {
    let outer = block(outer)?;
    let inner = block(inner)?;
    Ok(outer.contains(&inner))
}

/// A security-group or NACL rule's protocol (a string) and port range, read as the
/// `opens_port` helper reads them; other shapes are left to CEL.
pub(super) fn rule_ports<'b>(rule: &V<'b>) -> Option<(&'b str, Option<i64>, Option<i64>)> {
    let V::Json(Json::Object(map)) = rule else {
        return None;
    };
    let [protocol, from, to] = &*RULE_FIELDS;
    let protocol = map.get_key(protocol)?.as_str()?;
    let port = |key| match map.get_key(key) {
        Some(Json::Number(n)) => n.as_i64(),
        _ => None,
    };
    Some((protocol, port(from), port(to)))
}

/// The fields [`rule_ports`] reads, interned once (see `Map::get_key`).
static RULE_FIELDS: std::sync::LazyLock<[Key; 3]> = std::sync::LazyLock::new(|| {
    [
        Key::new("protocol"),
        Key::new("from_port"),
        Key::new("to_port"),
    ]
});
