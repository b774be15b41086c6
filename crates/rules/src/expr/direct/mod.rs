//! Conditions evaluated straight on the inventory's JSON, for the happy path.
//!
//! Binding a resource for CEL converts its whole property tree into boxed CEL values,
//! and the interpreter allocates on every step (argument vectors, scopes, list
//! literals); most rules read a property or two and compare them with literals. This
//! walker reads the same AST over `serde_json` values without converting anything.
//!
//! It answers only when the answer is plain: every step it takes it takes exactly as
//! the `cel` crate does, and on anything else — a missing key, a type it does not
//! compare, a function it does not know, an error anywhere — it gives up (`None`)
//! and the condition runs in CEL, which then decides and words any error. So a result
//! from here is always the result CEL would give; the tests in `eval_fast_path.rs`
//! check that over the example snapshot and every fixture case.

use std::rc::Rc;

use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr as Ast, LiteralValue};
use chrono::{DateTime, Utc};
use vigil_inventory::Value as Json;
use vigil_inventory::{Inventory, Resource, ResourceIdx};

/// A value met while walking: borrowed from the resource or the expression, or made
/// here (a concatenation, a helper's list of strings) and shared by count.
#[derive(Clone)]
enum V<'a> {
    Json(&'a Json),
    Bool(bool),
    Int(i64),
    Str(&'a str),
    Null,
    /// `resource`: its fields are read from the inventory.
    Subject,
    /// `resource.tags`.
    Tags(&'a std::collections::BTreeMap<String, String>),
    /// A list literal, by its elements in the AST.
    Literal(&'a [IdedExpr]),
    /// A map literal whose keys are distinct string literals and whose values are
    /// literals, by its entries in the AST.
    MapLiteral(&'a [cel::common::ast::IdedEntryExpr]),
    /// A string made while walking.
    Text(Rc<str>),
    /// A list of strings a helper returned.
    Texts(Rc<[String]>),
    /// One string of such a list.
    TextAt(Rc<[String]>, usize),
    /// A resource a graph helper returned.
    Res(ResourceIdx),
    /// The resources a graph helper returned.
    Resources(Rc<[ResourceIdx]>),
    /// A list built while walking (what `filter` gathers), its items evaluated.
    List(Rc<Vec<V<'a>>>),
    /// A value a helper answered in CEL's terms (`admin_escalation`'s map, and what
    /// is read from it).
    Cel(cel::Value),
    /// What `type(x)` returns: CEL's name of the type (`list`, `string`, ...), by
    /// which CEL compares two types.
    Type(&'static str),
}

/// What a value is, once JSON numbers are read as CEL reads them.
enum Kind<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A double is compared with nothing here (mixed numbers are CEL's to compare),
    /// but it is not null.
    Double,
    Str(&'a str),
    Other,
}

#[inline]
fn kind<'b>(v: &'b V<'_>) -> Kind<'b> {
    match v {
        V::Null => Kind::Null,
        V::Bool(b) => Kind::Bool(*b),
        V::Int(i) => Kind::Int(*i),
        V::Str(s) => Kind::Str(s),
        V::Text(s) => Kind::Str(s),
        V::TextAt(list, i) => list.get(*i).map_or(Kind::Other, |s| Kind::Str(s)),
        V::Json(j) => match j {
            Json::Null => Kind::Null,
            Json::Bool(b) => Kind::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Double,
            },
            Json::String(s) => Kind::Str(s),
            _ => Kind::Other,
        },
        V::Cel(value) => match value {
            cel::Value::Null => Kind::Null,
            cel::Value::Bool(b) => Kind::Bool(*b),
            cel::Value::Int(i) => Kind::Int(*i),
            cel::Value::String(s) => Kind::Str(s.as_str()),
            _ => Kind::Other,
        },
        V::Subject
        | V::Tags(_)
        | V::Literal(_)
        | V::MapLiteral(_)
        | V::Texts(_)
        | V::Res(_)
        | V::Resources(_)
        | V::List(_)
        | V::Type(_) => Kind::Other,
    }
}

/// The text of a string value.
#[inline]
fn text<'b>(v: &'b V<'_>) -> Option<&'b str> {
    match kind(v) {
        Kind::Str(s) => Some(s),
        _ => None,
    }
}

/// What a condition is evaluated against: the subject, where it lies in the
/// inventory, the team's settings as JSON and the scan's `now` (for `days_since`).
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) inventory: &'a Inventory,
    pub(crate) subject: ResourceIdx,
    pub(crate) settings: &'a Json,
    pub(crate) now: DateTime<Utc>,
    /// What the helpers share, for those the walker calls (`admin_escalation`); none in
    /// tests of the walker alone.
    pub(crate) shared: Option<&'a crate::expr::functions::Shared>,
}

/// Evaluates `expr` over the scope's subject: its value, or the error CEL would give
/// when a graph helper failed (see `Walker::side`); `None` when CEL must decide.
///
/// The graph helpers record the resources they return as evidence; when the walker
/// gives up after calling one, that record is put back as it was, so that CEL, which
/// then runs, records exactly what it would have alone.
pub(crate) fn evaluate(
    expr: &IdedExpr,
    plans: &Plans,
    scope: Scope<'_>,
) -> Option<Result<bool, cel::ExecutionError>> {
    let resource = scope.inventory.resource(scope.subject);
    // A condition compiled whole is checked natively; it records nothing, and where
    // it gives up the walker would too.
    if let Ok(decided) = plans.decide(&resource.properties) {
        return decided.map(Ok);
    }
    let mut walker = Walker {
        plans,
        resource,
        inventory: scope.inventory,
        subject: scope.subject,
        settings: scope.settings,
        now: scope.now,
        shared: scope.shared,
        bound: Bound::default(),
    };
    let touched = crate::expr::functions::touched_len();
    let raised = crate::expr::functions::raised();
    let facts = crate::expr::functions::facts_now();
    let decided = walker.side(expr).map(|side| match side {
        Side::Held(b) => Ok(b),
        Side::Failed(error) => Err(error),
    });
    if decided.is_none() {
        crate::expr::functions::untouch_to(touched);
        crate::expr::functions::set_raised(raised);
        crate::expr::functions::restore_facts(facts);
    }
    decided
}

struct Walker<'a> {
    /// The expression's compiled predicates.
    plans: &'a Plans,
    resource: &'a Resource,
    inventory: &'a Inventory,
    subject: ResourceIdx,
    settings: &'a Json,
    now: DateTime<Utc>,
    shared: Option<&'a crate::expr::functions::Shared>,
    /// Comprehension variables, innermost last.
    bound: Bound<'a>,
}

/// How many comprehension variables [`Bound`] keeps without allocating: two per
/// nested comprehension (the accumulator and the item), and rules nest two deep.
const INLINE_BOUND: usize = 6;

/// The comprehension variables in scope, innermost last. Held inline: a `Vec` here
/// was one allocation for every evaluation of every rule with an `exists` or `all`.
struct Bound<'a> {
    inline: [Option<(&'a str, V<'a>)>; INLINE_BOUND],
    len: usize,
    /// Variables past the inline ones (comprehensions nested deeper).
    more: Vec<(&'a str, V<'a>)>,
}

impl Default for Bound<'_> {
    fn default() -> Self {
        Bound {
            inline: [const { None }; INLINE_BOUND],
            len: 0,
            more: Vec::new(),
        }
    }
}

impl<'a> Bound<'a> {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, entry: (&'a str, V<'a>)) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(entry),
            None => self.more.push(entry),
        }
        self.len += 1;
    }

    fn truncate(&mut self, len: usize) {
        while self.len > len {
            self.len -= 1;
            match self.inline.get_mut(self.len) {
                Some(slot) => *slot = None,
                None => {
                    self.more.pop();
                }
            }
        }
    }

    /// The innermost variable of that name.
    fn find(&self, name: &str) -> Option<&V<'a>> {
        let deeper = self.more.iter().rev().map(|(n, v)| (*n, v));
        let inline = self.inline[..self.len.min(INLINE_BOUND)]
            .iter()
            .rev()
            .flatten()
            .map(|(n, v)| (*n, v));
        deeper
            .chain(inline)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

impl<'a> Walker<'a> {
    fn eval(&mut self, node: &'a IdedExpr) -> Option<V<'a>> {
        match &node.expr {
            Ast::Literal(literal) => literal_value(literal),
            Ast::Ident(name) => self.ident(name),
            Ast::Select(select) => self.select(select),
            Ast::List(list) if list.optional_indices.is_empty() => Some(V::Literal(&list.elements)),
            Ast::Map(map) => map_literal(&map.entries),
            Ast::Call(call) => self.call(&call.func_name, call.target.as_deref(), &call.args),
            Ast::Comprehension(c) => self.comprehension(node.id, c),
            _ => None,
        }
    }

    /// `operand.field`, and `has(operand.field)`. Kept out of `eval`, as is
    /// `comprehension`, so that `eval`, entered at every node, stays small.
    #[inline(never)]
    fn select(&mut self, select: &'a cel::common::ast::SelectExpr) -> Option<V<'a>> {
        let operand = self.eval(&select.operand)?;
        let field = select.field.as_str();
        match operand {
            V::Json(Json::Object(map)) => {
                let found = map.get(field);
                if select.test {
                    Some(V::Bool(found.is_some()))
                } else {
                    found.map(V::Json)
                }
            }
            V::Cel(cel::Value::Map(map)) if !select.test => {
                // A missing key is CEL's error to word.
                map.get(&cel::objects::Key::from(field))
                    .cloned()
                    .map(V::Cel)
            }
            V::Subject if !select.test => self.subject_field(field),
            V::Res(idx) if !select.test => {
                let r = self.inventory.resource(idx);
                if field == "properties" {
                    Some(V::Json(&r.properties))
                } else {
                    resource_field(r, field)
                }
            }
            _ => None,
        }
    }

    /// A comprehension: `exists` and `all` as short loops, any other the general way.
    #[inline(never)]
    fn comprehension(
        &mut self,
        node: u64,
        c: &'a cel::common::ast::ComprehensionExpr,
    ) -> Option<V<'a>> {
        if c.iter_var2.is_some() {
            return None;
        }
        let range = self.eval(&c.iter_range)?;
        // `exists` and `all` whose predicate was compiled, over a list read from the
        // resource: the same loop, each item checked natively (see `pred.rs`).
        if let (V::Json(Json::Array(items)), Some((exists, pred))) = (&range, self.plans.get(node))
        {
            for item in items.iter() {
                if pred.holds(&pred::Env::new(&self.resource.properties, Some(item)))? == exists {
                    return Some(V::Bool(exists));
                }
            }
            return Some(V::Bool(!exists));
        }
        // A list read from the resource is walked where it lies; a literal is
        // evaluated whole first, as CEL does (an error in any item is CEL's).
        let listed: Vec<V<'a>>;
        let items: &mut dyn Iterator<Item = V<'a>> = match range {
            V::Json(Json::Array(items)) => &mut items.iter().map(V::Json),
            V::Literal(items) => {
                listed = items.iter().map(|i| self.eval(i)).collect::<Option<_>>()?;
                &mut listed.iter().cloned()
            }
            V::Texts(list) => {
                listed = (0..list.len())
                    .map(|i| V::TextAt(Rc::clone(&list), i))
                    .collect();
                &mut listed.iter().cloned()
            }
            V::Resources(list) => {
                listed = list.iter().map(|&idx| V::Res(idx)).collect();
                &mut listed.iter().cloned()
            }
            V::List(list) => {
                listed = list.to_vec();
                &mut listed.iter().cloned()
            }
            _ => return None,
        };
        let depth = self.bound.len();
        // `exists` and `all` as the parser expands them: the predicate alone
        // decides each step, and the first item that settles the answer ends
        // the loop, as CEL's loop condition ends it.
        if let Some((exists, predicate)) = quantifier(c) {
            for item in items {
                self.bound.push((c.iter_var.as_str(), item));
                let held = self.truth_of(predicate);
                self.bound.truncate(depth);
                if held? == exists {
                    return Some(V::Bool(exists));
                }
            }
            return Some(V::Bool(!exists));
        }
        let mut accu = self.eval(&c.accu_init)?;
        for item in items {
            self.bound.push((c.accu_var.as_str(), accu.clone()));
            let go_on = self.eval(&c.loop_cond);
            self.bound.truncate(depth);
            if !truth(&go_on?)? {
                break;
            }
            self.bound.push((c.accu_var.as_str(), accu));
            self.bound.push((c.iter_var.as_str(), item));
            let next = self.eval(&c.loop_step);
            self.bound.truncate(depth);
            accu = next?;
        }
        self.bound.push((c.accu_var.as_str(), accu));
        let result = self.eval(&c.result);
        self.bound.truncate(depth);
        result
    }

    fn ident(&self, name: &str) -> Option<V<'a>> {
        if let Some(v) = self.bound.find(name) {
            return Some(v.clone());
        }
        match name {
            "properties" => Some(V::Json(&self.resource.properties)),
            "resource" => Some(V::Subject),
            "settings" => Some(V::Json(self.settings)),
            _ => None,
        }
    }

    fn subject_field(&self, field: &str) -> Option<V<'a>> {
        resource_field(self.resource, field)
    }

    /// The resource a graph helper's first argument names: the subject, or one a
    /// helper returned (CEL finds it by its `id`, which is unique).
    fn resource_arg(&mut self, node: &'a IdedExpr) -> Option<ResourceIdx> {
        match self.eval(node)? {
            V::Subject => Some(self.subject),
            V::Res(idx) => Some(idx),
            _ => None,
        }
    }

    /// `related`, `related_from`, `resources` and `regional` as `functions.rs` has
    /// them, the same resources in the same order, each recorded as evidence; a list
    /// that was not fully collected, or left out of the scan, is CEL's to report.
    fn graph(&mut self, name: &str, args: &'a [IdedExpr]) -> Option<V<'a>> {
        let inv = self.inventory;
        let idx = self.resource_arg(args.first()?)?;
        let me = inv.resource(idx);
        let second = self.eval(args.get(1)?)?;
        let second = text(&second)?;
        let complete = |resource_type: &str, region: Option<&str>| {
            inv.type_excluded(resource_type, &me.account, region)
                .is_none()
                && inv
                    .type_gaps(resource_type, &me.account, region)
                    .next()
                    .is_none()
        };
        let found: Vec<ResourceIdx> = match (name, args.len()) {
            ("related" | "related_from", 2 | 3) => {
                let wanted = match args.get(2) {
                    Some(node) => {
                        let wanted = self.eval(node)?;
                        let wanted = text(&wanted)?.to_owned();
                        if !complete(&wanted, None) {
                            return None;
                        }
                        Some(wanted)
                    }
                    None => None,
                };
                let neighbours: Vec<ResourceIdx> = if name == "related" {
                    inv.related(idx, second).collect()
                } else {
                    inv.related_from(idx, second).collect()
                };
                neighbours
                    .into_iter()
                    .filter(|&n| {
                        wanted
                            .as_deref()
                            .is_none_or(|t| inv.resource(n).resource_type == t)
                    })
                    .collect()
            }
            ("resources" | "regional", 2) => {
                let region = (name == "regional").then_some(me.region.as_str());
                if !complete(second, region) {
                    return None;
                }
                inv.of_type_in_account(&me.account, second)
                    .iter()
                    .copied()
                    .filter(|&n| region.is_none_or(|r| inv.resource(n).region == r))
                    .collect()
            }
            _ => return None,
        };
        for &n in &found {
            crate::expr::functions::touch(n);
        }
        Some(V::Resources(found.into()))
    }

    /// A condition that must be a bool.
    fn truth_of(&mut self, node: &'a IdedExpr) -> Option<bool> {
        truth(&self.eval(node)?)
    }
}

/// `exists` (`true`) or `all` (`false`) with its predicate, when the comprehension is
/// exactly what the parser's macro makes of them: the accumulator starts false (true),
/// the loop goes on while it is not true (not false), each step is the accumulator
/// `||` (`&&`) the predicate, and the result is the accumulator.
fn quantifier(c: &cel::common::ast::ComprehensionExpr) -> Option<(bool, &IdedExpr)> {
    use cel::common::ast::operators as op;
    let accu = c.accu_var.as_str();
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Ast::Ident(name) if name == accu);
    fn call(e: &IdedExpr) -> Option<&cel::common::ast::CallExpr> {
        match &e.expr {
            Ast::Call(call) if call.target.is_none() => Some(call),
            _ => None,
        }
    }
    let Ast::Literal(LiteralValue::Boolean(init)) = &c.accu_init.expr else {
        return None;
    };
    let exists = !*init.inner();
    if !is_accu(&c.result) {
        return None;
    }
    // The loop condition: `@not_strictly_false(!accu)` for exists,
    // `@not_strictly_false(accu)` for all.
    let cond = call(&c.loop_cond)?;
    let [inner] = cond.args.as_slice() else {
        return None;
    };
    let cond_ok = cond.func_name == op::NOT_STRICTLY_FALSE
        && if exists {
            call(inner).is_some_and(|not| {
                not.func_name == op::LOGICAL_NOT && matches!(not.args.as_slice(), [a] if is_accu(a))
            })
        } else {
            is_accu(inner)
        };
    let step = call(&c.loop_step)?;
    let [first, predicate] = step.args.as_slice() else {
        return None;
    };
    let joins = if exists {
        op::LOGICAL_OR
    } else {
        op::LOGICAL_AND
    };
    (cond_ok && step.func_name == joins && is_accu(first) && c.iter_var != accu)
        .then_some((exists, predicate))
}

/// A field of a resource as CEL sees it (`resource_value` in `functions.rs`).
fn resource_field<'a>(r: &'a Resource, field: &str) -> Option<V<'a>> {
    Some(match field {
        "id" => V::Str(&r.id),
        "type" => V::Str(&r.resource_type),
        "account" => V::Str(&r.account),
        "region" => V::Str(&r.region),
        "name" => r.name.as_deref().map_or(V::Null, V::Str),
        "tags" => V::Tags(&r.tags),
        _ => return None,
    })
}

/// A literal the walker reads (bytes, doubles and unsigned ints are CEL's).
#[inline]
fn literal_value<'a>(literal: &'a LiteralValue) -> Option<V<'a>> {
    match literal {
        LiteralValue::Boolean(b) => Some(V::Bool(*b.inner())),
        LiteralValue::Int(i) => Some(V::Int(*i.inner())),
        LiteralValue::String(s) => Some(V::Str(s.inner())),
        LiteralValue::Null => Some(V::Null),
        _ => None,
    }
}

/// A map literal the walker reads: plain entries, keys that are distinct string
/// literals, values that are literals it reads. Anything else (a duplicate key,
/// which CEL may reject) is CEL's.
fn map_literal(entries: &[cel::common::ast::IdedEntryExpr]) -> Option<V<'_>> {
    let mut keys = Vec::with_capacity(entries.len());
    for entry in entries {
        let EntryExpr::MapEntry(e) = &entry.expr else {
            return None;
        };
        let (Ast::Literal(LiteralValue::String(key)), Ast::Literal(value)) =
            (&e.key.expr, &e.value.expr)
        else {
            return None;
        };
        if e.optional || literal_value(value).is_none() || keys.contains(&key.inner()) {
            return None;
        }
        keys.push(key.inner());
    }
    Some(V::MapLiteral(entries))
}

/// The value under `key` in a map literal [`map_literal`] accepted.
fn map_entry<'a>(entries: &'a [cel::common::ast::IdedEntryExpr], key: &str) -> Option<V<'a>> {
    entries.iter().find_map(|entry| match &entry.expr {
        EntryExpr::MapEntry(e) => match (&e.key.expr, &e.value.expr) {
            (Ast::Literal(LiteralValue::String(k)), Ast::Literal(value)) if k.inner() == key => {
                literal_value(value)
            }
            _ => None,
        },
        EntryExpr::StructField(_) => None,
    })
}

#[inline]
fn truth(v: &V<'_>) -> Option<bool> {
    match kind(v) {
        Kind::Bool(b) => Some(b),
        _ => None,
    }
}

/// CEL's order of two ints or two strings; anything else is CEL's to compare.
#[inline]
fn ordering(a: &V<'_>, b: &V<'_>) -> Option<std::cmp::Ordering> {
    match (kind(a), kind(b)) {
        (Kind::Int(a), Kind::Int(b)) => Some(a.cmp(&b)),
        (Kind::Str(a), Kind::Str(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// CEL equality for the scalar cases (same type, or `null` against anything, which
/// is false); lists, maps and mixed numbers are left to CEL.
#[inline]
fn equal(a: &V<'_>, b: &V<'_>) -> Option<bool> {
    if let (V::Type(a), V::Type(b)) = (a, b) {
        return Some(a == b);
    }
    match (kind(a), kind(b)) {
        (Kind::Null, Kind::Null) => Some(true),
        (Kind::Bool(a), Kind::Bool(b)) => Some(a == b),
        (Kind::Int(a), Kind::Int(b)) => Some(a == b),
        (Kind::Str(a), Kind::Str(b)) => Some(a == b),
        (Kind::Null, Kind::Bool(_) | Kind::Int(_) | Kind::Str(_) | Kind::Double)
        | (Kind::Bool(_) | Kind::Int(_) | Kind::Str(_) | Kind::Double, Kind::Null) => Some(false),
        // `null` against a map or list read from the resource: a different type,
        // unequal (the shape `properties.encryption != null`).
        (Kind::Null, Kind::Other) if is_container(b) => Some(false),
        (Kind::Other, Kind::Null) if is_container(a) => Some(false),
        _ => None,
    }
}

/// A JSON object or array from the resource.
#[inline]
fn is_container(v: &V<'_>) -> bool {
    matches!(
        v,
        V::Json(Json::Object(_) | Json::Array(_))
            | V::Cel(cel::Value::Map(_) | cel::Value::List(_))
    )
}

mod call;
pub(crate) mod memo;
mod pred;
use call::Side;
pub(crate) use pred::Plans;
#[cfg(test)]
mod tests;

pub(crate) use call::{block, is_internet};
