//! The fast path under CEL: what a condition means stays what the `cel` crate says it
//! means, but the dearest steps of evaluating it are done natively.
//!
//! Measured on the benchmark (100,000 resources, the whole pack), the time went to:
//! - `matches`: the `cel` crate compiles the regular expression on every call (a
//!   case-insensitive alternation costs ~100 µs to build); conditions are rewritten
//!   to call `@matches`, which keeps each compiled pattern per thread.
//! - helper arguments: each call converted every argument into a [`Value`] tree (the
//!   subject's whole `resource` map for `related(resource, ...)`, a security-group
//!   rule and a literal list of 24 ports for `opens_any_port`); helpers that take
//!   the subject read only its `id`, and the network helpers read their arguments
//!   where they lie.
//!
//! Each shortcut takes the common case only (arguments of the expected CEL types)
//! and otherwise goes the plain way, so errors read as before. The plain path stays
//! available ([`crate::EvalContext::with_plain_cel`]) and a test checks that both
//! give the same findings for every rule.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use cel::common::ast::{CallExpr, Expr as Ast};
use cel::common::types::{CelBool, CelInt, CelList, CelMap, CelMapKey, CelString};
use cel::common::value::{CowVal, Val};
use cel::{ExecutionError, FunctionContext, IdedExpr, Value};

use crate::helpers::net;

/// A function registered on the root context that reads its arguments as they are.
pub(crate) type Raw = Box<
    dyn for<'c, 'k> Fn(&mut FunctionContext<'c, 'k>) -> Result<CowVal<'c, 'k>, ExecutionError>
        + Send
        + Sync,
>;

/// The name the rewritten `matches` calls go to; `@` cannot start a CEL identifier,
/// so no condition can call it by name.
pub(crate) const MATCHES: &str = "@matches";

/// Helpers whose first argument is a resource, of which they read only the `id`.
pub(crate) const SUBJECT_FIRST: &[&str] = &[
    "related",
    "related_from",
    "resources",
    "regional",
    "alarmed_log_filter",
    "admin_escalation",
    "assumable_by",
    "escalations",
    "internet_reachable",
    "internet_exposure",
    "role_privileged",
    "modifiable_by",
    "data_access",
    "data_accessible",
    "data_exposure",
];

/// The condition as it is executed on the fast path: `x.matches(re)` becomes
/// `@matches(re, x)`. The arguments keep the order the `cel` crate resolves them in
/// (the argument before the target), so a condition failing on both fails the same way.
pub(crate) fn rewrite(node: &IdedExpr) -> IdedExpr {
    let mut out = node.clone();
    rewrite_in_place(&mut out);
    out
}

fn rewrite_in_place(node: &mut IdedExpr) {
    match &mut node.expr {
        Ast::Call(call) => {
            if let Some(target) = call.target.as_deref_mut() {
                rewrite_in_place(target);
            }
            for arg in &mut call.args {
                rewrite_in_place(arg);
            }
            if call.func_name == "matches" && call.args.len() == 1 && call.target.is_some() {
                let target = call.target.take().map(|t| *t).unwrap_or_default();
                let pattern = call.args.pop().unwrap_or_default();
                *call = CallExpr {
                    func_name: MATCHES.to_owned(),
                    target: None,
                    args: vec![pattern, target],
                };
            }
        }
        Ast::Comprehension(c) => {
            for part in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                rewrite_in_place(part);
            }
        }
        Ast::Select(select) => rewrite_in_place(&mut select.operand),
        Ast::List(list) => list.elements.iter_mut().for_each(rewrite_in_place),
        Ast::Map(map) => {
            for entry in &mut map.entries {
                if let cel::common::ast::EntryExpr::MapEntry(e) = &mut entry.expr {
                    rewrite_in_place(&mut e.key);
                    rewrite_in_place(&mut e.value);
                }
            }
        }
        Ast::Ident(_) | Ast::Literal(_) | Ast::Struct(_) | Ast::Unspecified => {}
    }
}

/// Compiled patterns kept per thread; a scan uses a handful.
const MAX_PATTERNS: usize = 256;

thread_local! {
    static PATTERNS: RefCell<HashMap<String, Result<regex::Regex, String>>> =
        RefCell::new(HashMap::new());
}

/// `text.matches(pattern)` with the pattern compiled once per thread; the same
/// result and the same errors as the `cel` crate's own `matches`.
pub(crate) fn matches() -> Raw {
    Box::new(|ftx| {
        let [pattern, text] = &ftx.args[..] else {
            return Err(ExecutionError::invalid_argument_count(2, ftx.args.len()));
        };
        let (Some(text), Some(pattern)) = (
            text.downcast_ref::<CelString>(),
            pattern.downcast_ref::<CelString>(),
        ) else {
            return Err(ExecutionError::no_such_member_overload(
                "matches",
                vec![
                    text.get_type().name().to_owned(),
                    pattern.get_type().name().to_owned(),
                ],
            ));
        };
        let found = is_match(pattern.inner(), text.inner()).map_err(|err| {
            ExecutionError::FunctionError {
                function: "matches".to_owned(),
                message: format!("'{}' not a valid regex:\n{err}", pattern.inner()),
            }
        })?;
        Ok(CowVal::owned(CelBool::from(found)))
    })
}

/// Does `text` match `pattern`, compiled once per thread? `Err` is the regex error.
pub(crate) fn is_match(pattern: &str, text: &str) -> Result<bool, String> {
    PATTERNS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            if cache.len() >= MAX_PATTERNS {
                cache.clear();
            }
            let compiled = regex::Regex::new(pattern).map_err(|e| e.to_string());
            cache.insert(pattern.to_owned(), compiled);
        }
        match &cache[pattern] {
            Ok(re) => Ok(re.is_match(text)),
            Err(err) => Err(err.clone()),
        }
    })
}

/// The arguments as [`Value`]s, as the plain path gives them to a helper; with
/// `subject_first`, the first is cut down to its `id`, all such helpers read.
pub(crate) fn arguments(
    args: &[CowVal<'_, '_>],
    subject_first: bool,
) -> Result<Vec<Value>, ExecutionError> {
    args.iter()
        .enumerate()
        .map(|(i, arg)| {
            if i == 0 && subject_first {
                return Ok(subject(arg.as_ref()));
            }
            Value::try_from(arg.as_ref())
        })
        .collect()
}

/// A map holding only the `id` of `value` (none when it has no string `id`): what
/// `Shared::idx_of` reads, and it says the same when the `id` is missing.
fn subject(value: &dyn Val) -> Value {
    let id = value
        .downcast_ref::<CelMap>()
        .and_then(|m| m.inner().get(&CelMapKey::String("id".into())))
        .and_then(|id| id.downcast_ref::<CelString>());
    let mut map = HashMap::with_capacity(1);
    if let Some(id) = id {
        map.insert(
            cel::objects::Key::String(Arc::new("id".to_owned())),
            Value::String(Arc::new(id.inner().to_owned())),
        );
    }
    Value::Map(cel::objects::Map { map: Arc::new(map) })
}

/// A helper's result computed straight from its arguments, or `None` when they are
/// not of the usual types (the plain path then reports what is wrong).
pub(crate) type Shortcut = fn(&[CowVal<'_, '_>]) -> Option<Result<bool, ExecutionError>>;

/// The helpers with a shortcut: the network tests that security-group rules call on
/// every ingress entry.
pub(crate) fn shortcut(name: &str) -> Option<Shortcut> {
    match name {
        "cidr_is_internet" => Some(cidr_is_internet),
        "opens_port" => Some(opens_port),
        "opens_any_port" => Some(opens_any_port),
        _ => None,
    }
}

fn str_arg<'a>(args: &'a [CowVal<'_, '_>], i: usize) -> Option<&'a str> {
    args.get(i)?.downcast_ref::<CelString>().map(|s| s.inner())
}

fn cidr_is_internet(args: &[CowVal<'_, '_>]) -> Option<Result<bool, ExecutionError>> {
    if args.len() != 1 {
        return None;
    }
    let text = str_arg(args, 0)?;
    Some(
        super::direct::is_internet(text)
            .map_err(|e| ExecutionError::function_error("cidr_is_internet", e)),
    )
}

/// The protocol and port range of a rule map, when they have the usual types; the
/// plain path's `rule_ports` decides the rest.
fn rule_ports<'a>(
    rule: &'a dyn Val,
) -> Option<(std::borrow::Cow<'a, str>, Option<i64>, Option<i64>)> {
    let map = rule.downcast_ref::<CelMap>()?;
    let field = |key: &'static str| map.inner().get(&CelMapKey::String(key.into()));
    let protocol = match field("protocol") {
        Some(p) => match (p.downcast_ref::<CelString>(), p.downcast_ref::<CelInt>()) {
            (Some(s), _) => std::borrow::Cow::Borrowed(s.inner()),
            (None, Some(i)) => std::borrow::Cow::Owned(i.inner().to_string()),
            _ => return None,
        },
        None => return None,
    };
    let port = |key| {
        field(key)
            .and_then(|v| v.downcast_ref::<CelInt>())
            .map(|i| *i.inner())
    };
    Some((protocol, port("from_port"), port("to_port")))
}

fn opens_port(args: &[CowVal<'_, '_>]) -> Option<Result<bool, ExecutionError>> {
    if args.len() != 2 {
        return None;
    }
    let (protocol, from, to) = rule_ports(args[0].as_ref())?;
    let port = *args[1].downcast_ref::<CelInt>()?.inner();
    Some(Ok(net::opens_port(&protocol, from, to, port)))
}

fn opens_any_port(args: &[CowVal<'_, '_>]) -> Option<Result<bool, ExecutionError>> {
    if args.len() != 2 {
        return None;
    }
    let (protocol, from, to) = rule_ports(args[0].as_ref())?;
    let ports = args[1].downcast_ref::<CelList>()?;
    let mut any = false;
    for port in ports.inner() {
        // A port that is not an int is an error on the plain path: let it say so.
        let port = *port.downcast_ref::<CelInt>()?.inner();
        any |= net::opens_port(&protocol, from, to, port);
    }
    Some(Ok(any))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_member_matches_only() {
        let program = cel::Program::compile(
            r#"a.matches("x") && matches(b, "y") && [c].exists(e, e.matches(d))"#,
        )
        .unwrap();
        let text = format!("{:?}", rewrite(program.expression()));
        assert_eq!(text.matches("@matches").count(), 2, "{text}");
        // The global form is left alone.
        assert_eq!(text.matches("func_name: \"matches\"").count(), 1, "{text}");
    }
}
