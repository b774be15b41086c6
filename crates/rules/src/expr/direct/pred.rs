//! Conditions, and predicates of `exists` and `all`, compiled to native checks when the
//! rule loads.
//!
//! Most of the evaluation's time went to one shape: a list read from the resource
//! (`properties.ingress`) and a predicate over each item built from a few reads of the
//! item's fields, comparisons with literals and the network helpers — the security-group
//! rules alone are a third of the pack's evaluations, each over every ingress entry.
//! Walked node by node, every item paid for the operator dispatch, the bound variable's
//! lookup and a value made and dropped per node. Compiled, the same predicate is a small
//! tree of checks over the item's JSON. Whole conditions of the same few shapes over
//! `properties` (most of the pack: a field compared with a literal, `has`, `size`, a
//! quantifier over a list) compile the same way.
//!
//! The checks decide exactly as the walker does (which decides exactly as CEL does):
//! the same reads, the same comparison (`equal`), the same helpers, the same order, and
//! `None` — the walker gives up, CEL decides — wherever the walker would give up. A
//! condition or predicate with anything else in it (`resource`, `settings`, an outer
//! comprehension's variable, a helper, a ternary, a regular expression) is not compiled
//! and is walked as before. Nothing compiled records evidence: only the helpers do. The agreement tests
//! in `tests.rs` run every shape through both and through CEL.

use cel::IdedExpr;
use cel::common::ast::{Expr as Ast, LiteralValue};
use vigil_inventory::Value as Json;
use vigil_inventory::value::Key;

use super::call::{contains, is_internet, rule_ports};
use super::memo;
use super::{V, equal, ordering, quantifier, text, truth};
use crate::expr::children;
use crate::helpers::net;

/// The compiled forms of one expression.
#[derive(Debug, Default)]
pub(crate) struct Plans {
    /// The whole condition, when every part of it compiles.
    whole: Option<Pred>,
    /// Comprehension node, `exists` (true) or `all`, its compiled predicate: for
    /// conditions that do not compile whole.
    by_node: Vec<(u64, bool, Pred)>,
}

impl Plans {
    /// Compiles `root` whole if it can, and the predicate of every `exists` and `all`
    /// in it that has only what a [`Pred`] can check.
    pub(crate) fn compile(root: &IdedExpr) -> Plans {
        // A comprehension variable named `properties` hides the resource's properties
        // from what it encloses; rather than track where, such an expression is walked.
        if binds_properties(root) {
            return Plans::default();
        }
        let mut plans = Plans {
            whole: Pred::compile(root, None),
            by_node: Vec::new(),
        };
        // A condition compiled whole is never walked, so its comprehensions need no
        // predicates of their own.
        if plans.whole.is_none() {
            plans.visit(root);
        }
        plans
    }

    fn visit(&mut self, node: &IdedExpr) {
        if let Ast::Comprehension(c) = &node.expr
            && c.iter_var2.is_none()
            && let Some((exists, predicate)) = quantifier(c)
            && let Some(pred) = Pred::compile(predicate, Some(&c.iter_var))
        {
            self.by_node.push((node.id, exists, pred));
        }
        for child in children(node) {
            self.visit(child);
        }
    }

    /// The whole condition over `properties`, when it compiled: its value, or `None`
    /// where the walker would give up. `Err(())`: it did not compile; walk it.
    #[inline]
    pub(super) fn decide(&self, properties: &Json) -> Result<Option<bool>, ()> {
        match &self.whole {
            Some(pred) => Ok(pred.holds(&Env {
                properties,
                item: None,
            })),
            None => Err(()),
        }
    }

    /// Whether the comprehension at `node` is an `exists` (or an `all`), with its
    /// compiled predicate, if it has one.
    #[inline]
    pub(super) fn get(&self, node: u64) -> Option<(bool, &Pred)> {
        self.by_node
            .iter()
            .find_map(|(id, exists, pred)| (*id == node).then_some((*exists, pred)))
    }

    /// How many predicates were compiled (the whole condition counts as one).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_node.len() + usize::from(self.whole.is_some())
    }

    /// Whether the whole condition compiled.
    pub(crate) fn is_whole(&self) -> bool {
        self.whole.is_some()
    }
}

/// Whether any comprehension in `node` names its variable `properties`.
fn binds_properties(node: &IdedExpr) -> bool {
    let binds = match &node.expr {
        Ast::Comprehension(c) => [Some(&c.iter_var), Some(&c.accu_var), c.iter_var2.as_ref()]
            .into_iter()
            .flatten()
            .any(|name| name == "properties"),
        _ => false,
    };
    binds || children(node).into_iter().any(binds_properties)
}

/// What a check reads from: the resource's properties and the item of the innermost
/// comprehension.
pub(super) struct Env<'j> {
    properties: &'j Json,
    item: Option<&'j Json>,
}

impl<'j> Env<'j> {
    pub(super) fn new(properties: &'j Json, item: Option<&'j Json>) -> Env<'j> {
        Env { properties, item }
    }
}

/// Where a path starts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Root {
    Properties,
    /// The item of the comprehension being checked.
    Item,
}

/// `properties.a.b` or `r.a.b`: the fields interned when the rule loads, so that
/// reading one compares pointers.
#[derive(Debug)]
pub(super) struct Path {
    root: Root,
    fields: Box<[Key]>,
}

impl Path {
    /// The value read, as the walker reads it; `None` (give up) for a field of
    /// something other than an object, or one the object lacks.
    #[inline]
    fn read<'j>(&self, env: &Env<'j>) -> Option<&'j Json> {
        let mut at = match self.root {
            Root::Properties => env.properties,
            Root::Item => env.item?,
        };
        for field in &self.fields {
            at = match at {
                Json::Object(map) => map.get_key(field)?,
                _ => return None,
            };
        }
        Some(at)
    }
}

/// A literal a check compares with, as the walker reads literals.
#[derive(Debug)]
pub(super) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Str(Box<str>),
}

impl Lit {
    fn of(literal: &LiteralValue) -> Option<Lit> {
        Some(match literal {
            LiteralValue::Null => Lit::Null,
            LiteralValue::Boolean(b) => Lit::Bool(*b.inner()),
            LiteralValue::Int(i) => Lit::Int(*i.inner()),
            LiteralValue::String(s) => Lit::Str(s.inner().into()),
            _ => return None,
        })
    }
}

/// One side of a comparison.
#[derive(Debug)]
pub(super) enum Term {
    Lit(Lit),
    Read(Path),
    /// `size(path)` or `path.size()`: of a list or an object.
    Size(Path),
}

impl Term {
    #[inline]
    fn value<'j>(&'j self, env: &Env<'j>) -> Option<V<'j>> {
        Some(match self {
            Term::Lit(Lit::Null) => V::Null,
            Term::Lit(Lit::Bool(b)) => V::Bool(*b),
            Term::Lit(Lit::Int(i)) => V::Int(*i),
            Term::Lit(Lit::Str(s)) => V::Str(s),
            Term::Read(path) => V::Json(path.read(env)?),
            Term::Size(path) => match path.read(env)? {
                Json::Array(items) => V::Int(items.len() as i64),
                Json::Object(map) => V::Int(map.len() as i64),
                _ => return None,
            },
        })
    }
}

/// The order comparisons (`<`, `<=`, `>`, `>=`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Order {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// The text tests (`startsWith`, `endsWith`, `contains`).
#[derive(Debug, Clone, Copy)]
pub(super) enum TextTest {
    Starts,
    Ends,
    Contains,
}

/// What `x in y` looks in.
#[derive(Debug)]
pub(super) enum Within {
    /// A list literal.
    List(Box<[Term]>),
    /// A list or an object read from the resource.
    Read(Path),
}

/// A condition, or a predicate over one item of a list.
#[derive(Debug)]
pub(super) enum Pred {
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    /// A value that must be a bool (`r.enabled`).
    Truth(Term),
    /// `has(path)`: the path's last field, on the object the rest of it reads.
    Has(Path, Key),
    /// `a == b`, or `!=` when negated.
    Equals(Term, Term, bool),
    Compare(Term, Order, Term),
    In(Term, Within),
    /// `text.startsWith(part)` and its kin.
    Text(Term, TextTest, Term),
    /// `cidr_is_internet(block)`.
    IsInternet(Term),
    /// `cidr_contains(outer, inner)`.
    Contains(Term, Term),
    /// `opens_port(rule, port)` (one port) or `opens_any_port(rule, [ports])`.
    OpensAny(Path, Box<[i64]>),
    /// `list.exists(v, pred)` (`exists`) or `list.all(v, pred)`.
    Quantifier {
        list: Path,
        exists: bool,
        pred: Box<Pred>,
    },
}

impl Pred {
    /// The condition (`var` is `None`) or the predicate over the item bound to `var`,
    /// when every part is one of the shapes above.
    fn compile(node: &IdedExpr, var: Option<&str>) -> Option<Pred> {
        use cel::common::ast::operators as op;
        let boxed = |e: &IdedExpr| Pred::compile(e, var).map(Box::new);
        let term = |e: &IdedExpr| Term::compile(e, var);
        match &node.expr {
            Ast::Select(s) if s.test => {
                let parent = Path::compile(&s.operand, var)?;
                Some(Pred::Has(parent, Key::new(&s.field)))
            }
            Ast::Ident(_) | Ast::Select(_) => term(node).map(Pred::Truth),
            Ast::Comprehension(c) if c.iter_var2.is_none() => {
                let (exists, predicate) = quantifier(c)?;
                Some(Pred::Quantifier {
                    list: Path::compile(&c.iter_range, var)?,
                    exists,
                    pred: Box::new(Pred::compile(predicate, Some(&c.iter_var))?),
                })
            }
            Ast::Call(call) => match (
                call.func_name.as_str(),
                call.target.as_deref(),
                call.args.as_slice(),
            ) {
                (op::LOGICAL_AND, None, [a, b]) => Some(Pred::And(boxed(a)?, boxed(b)?)),
                (op::LOGICAL_OR, None, [a, b]) => Some(Pred::Or(boxed(a)?, boxed(b)?)),
                (op::LOGICAL_NOT, None, [a]) => Some(Pred::Not(boxed(a)?)),
                (f @ (op::EQUALS | op::NOT_EQUALS), None, [a, b]) => {
                    Some(Pred::Equals(term(a)?, term(b)?, f == op::NOT_EQUALS))
                }
                (
                    f @ (op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS),
                    None,
                    [a, b],
                ) => {
                    let order = match f {
                        op::LESS => Order::Less,
                        op::LESS_EQUALS => Order::LessOrEqual,
                        op::GREATER => Order::Greater,
                        _ => Order::GreaterOrEqual,
                    };
                    Some(Pred::Compare(term(a)?, order, term(b)?))
                }
                (op::IN, None, [a, within]) => {
                    let within = match &within.expr {
                        Ast::List(list) if list.optional_indices.is_empty() => {
                            Within::List(list.elements.iter().map(term).collect::<Option<_>>()?)
                        }
                        _ => Within::Read(Path::compile(within, var)?),
                    };
                    Some(Pred::In(term(a)?, within))
                }
                (f @ ("startsWith" | "endsWith" | "contains"), Some(target), [part]) => {
                    let test = match f {
                        "startsWith" => TextTest::Starts,
                        "endsWith" => TextTest::Ends,
                        _ => TextTest::Contains,
                    };
                    Some(Pred::Text(term(target)?, test, term(part)?))
                }
                ("cidr_is_internet", None, [a]) => Some(Pred::IsInternet(term(a)?)),
                ("cidr_contains", None, [outer, inner]) => {
                    Some(Pred::Contains(term(outer)?, term(inner)?))
                }
                ("opens_port", None, [rule, port]) => match &port.expr {
                    Ast::Literal(LiteralValue::Int(port)) => Some(Pred::OpensAny(
                        Path::compile(rule, var)?,
                        Box::new([*port.inner()]),
                    )),
                    _ => None,
                },
                ("opens_any_port", None, [rule, ports]) => {
                    let Ast::List(list) = &ports.expr else {
                        return None;
                    };
                    if !list.optional_indices.is_empty() {
                        return None;
                    }
                    let ports = list
                        .elements
                        .iter()
                        .map(|p| match &p.expr {
                            Ast::Literal(LiteralValue::Int(p)) => Some(*p.inner()),
                            _ => None,
                        })
                        .collect::<Option<Box<[i64]>>>()?;
                    Some(Pred::OpensAny(Path::compile(rule, var)?, ports))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the predicate holds; `None` where the walker would give up.
    pub(super) fn holds(&self, env: &Env<'_>) -> Option<bool> {
        Some(match self {
            // Left first; the right side only when the left does not decide, as CEL.
            Pred::And(a, b) => a.holds(env)? && b.holds(env)?,
            Pred::Or(a, b) => a.holds(env)? || b.holds(env)?,
            Pred::Not(a) => !a.holds(env)?,
            Pred::Truth(t) => truth(&t.value(env)?)?,
            Pred::Has(parent, field) => match parent.read(env)? {
                Json::Object(map) => map.get_key(field).is_some(),
                _ => return None,
            },
            Pred::Equals(a, b, negated) => equal(&a.value(env)?, &b.value(env)?)? != *negated,
            Pred::Compare(a, order, b) => {
                let ordering = ordering(&a.value(env)?, &b.value(env)?)?;
                match order {
                    Order::Less => ordering.is_lt(),
                    Order::LessOrEqual => ordering.is_le(),
                    Order::Greater => ordering.is_gt(),
                    Order::GreaterOrEqual => ordering.is_ge(),
                }
            }
            Pred::In(a, within) => {
                let value = a.value(env)?;
                match within {
                    // Every item is compared, as the walker compares them.
                    Within::List(list) => {
                        let mut found = false;
                        for t in list.iter() {
                            found |= equal(&value, &t.value(env)?)?;
                        }
                        found
                    }
                    Within::Read(path) => match path.read(env)? {
                        Json::Object(map) => map.contains_key(text(&value)?),
                        Json::Array(items) => {
                            let mut found = false;
                            for i in items.iter() {
                                found |= equal(&value, &V::Json(i))?;
                            }
                            found
                        }
                        _ => return None,
                    },
                }
            }
            Pred::Text(whole, test, part) => {
                let (whole, part) = (whole.value(env)?, part.value(env)?);
                let (whole, part) = (text(&whole)?, text(&part)?);
                match test {
                    TextTest::Starts => whole.starts_with(part),
                    TextTest::Ends => whole.ends_with(part),
                    TextTest::Contains => whole.contains(part),
                }
            }
            Pred::IsInternet(block) => {
                memo::internet(text(&block.value(env)?)?, |t| is_internet(t).ok())?
            }
            Pred::Contains(outer, inner) => {
                let (outer, inner) = (outer.value(env)?, inner.value(env)?);
                contains(text(&outer)?, text(&inner)?).ok()?
            }
            Pred::OpensAny(rule, ports) => {
                let opens = memo::opens(rule.read(env)?, |entry| {
                    let (protocol, from, to) = rule_ports(&V::Json(entry))?;
                    Some(net::Opens::of(protocol, from, to))
                })?;
                ports.iter().any(|&port| opens.admits(port))
            }
            Pred::Quantifier { list, exists, pred } => {
                let Json::Array(items) = list.read(env)? else {
                    return None;
                };
                for item in items.iter() {
                    let inner = Env {
                        properties: env.properties,
                        item: Some(item),
                    };
                    if pred.holds(&inner)? == *exists {
                        return Some(*exists);
                    }
                }
                !*exists
            }
        })
    }
}

impl Path {
    /// `properties.a.b`, or `v.a.b` for the comprehension variable `var` (which hides
    /// `properties` if it is so named, as in CEL).
    fn compile(node: &IdedExpr, var: Option<&str>) -> Option<Path> {
        let mut fields = Vec::new();
        let mut at = node;
        loop {
            match &at.expr {
                Ast::Select(s) if !s.test => {
                    fields.push(Key::new(&s.field));
                    at = &s.operand;
                }
                Ast::Ident(name) => {
                    let root = if Some(name.as_str()) == var {
                        Root::Item
                    } else if name == "properties" {
                        Root::Properties
                    } else {
                        return None;
                    };
                    fields.reverse();
                    return Some(Path {
                        root,
                        fields: fields.into_boxed_slice(),
                    });
                }
                _ => return None,
            }
        }
    }
}

impl Term {
    fn compile(node: &IdedExpr, var: Option<&str>) -> Option<Term> {
        match &node.expr {
            Ast::Literal(l) => Lit::of(l).map(Term::Lit),
            Ast::Call(call) => match (
                call.func_name.as_str(),
                call.target.as_deref(),
                call.args.as_slice(),
            ) {
                ("size", None, [a]) | ("size", Some(a), []) => {
                    Path::compile(a, var).map(Term::Size)
                }
                _ => None,
            },
            _ => Path::compile(node, var).map(Term::Read),
        }
    }
}
