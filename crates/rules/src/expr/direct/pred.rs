//! Predicates of `exists` and `all` compiled to native checks when the rule loads.
//!
//! Most of the evaluation's time went to one shape: a list read from the resource
//! (`properties.ingress`) and a predicate over each item built from a few reads of the
//! item's fields, comparisons with literals and the network helpers — the security-group
//! rules alone are a third of the pack's evaluations, each over every ingress entry.
//! Walked node by node, every item paid for the operator dispatch, the bound variable's
//! lookup and a value made and dropped per node. Compiled, the same predicate is a small
//! tree of checks over the item's JSON.
//!
//! The checks decide exactly as the walker does (which decides exactly as CEL does):
//! the same reads, the same comparison (`equal`), the same helpers, the same order, and
//! `None` — the walker gives up, CEL decides — wherever the walker would give up. A
//! predicate with anything else in it (another variable, a helper with side effects, a
//! nested comprehension) is not compiled and is walked as before. The agreement tests
//! in `tests.rs` run every shape through both and through CEL.

use cel::IdedExpr;
use cel::common::ast::{Expr as Ast, LiteralValue};
use vigil_inventory::Value as Json;
use vigil_inventory::value::Key;

use super::call::{contains, is_internet, rule_ports};
use super::{V, equal, quantifier, truth};
use crate::helpers::net;

/// The compiled predicates of one expression, by the id of their comprehension node.
#[derive(Debug, Default)]
pub(crate) struct Plans {
    /// Comprehension node, `exists` (true) or `all`, its compiled predicate.
    by_node: Vec<(u64, bool, Pred)>,
}

impl Plans {
    /// Compiles the predicate of every `exists` and `all` in `root` that has only what a
    /// [`Pred`] can check.
    pub(crate) fn compile(root: &IdedExpr) -> Plans {
        let mut plans = Plans::default();
        plans.visit(root);
        plans
    }

    fn visit(&mut self, node: &IdedExpr) {
        match &node.expr {
            Ast::Call(call) => {
                if let Some(target) = &call.target {
                    self.visit(target);
                }
                call.args.iter().for_each(|a| self.visit(a));
            }
            Ast::Select(select) => self.visit(&select.operand),
            Ast::List(list) => list.elements.iter().for_each(|e| self.visit(e)),
            Ast::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(e) = &entry.expr {
                        self.visit(&e.key);
                        self.visit(&e.value);
                    }
                }
            }
            Ast::Comprehension(c) => {
                if c.iter_var2.is_none()
                    && let Some((exists, predicate)) = quantifier(c)
                    && let Some(pred) = Pred::compile(predicate, &c.iter_var)
                {
                    self.by_node.push((node.id, exists, pred));
                }
                for part in [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ] {
                    self.visit(part);
                }
            }
            _ => {}
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

    /// How many predicates were compiled.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_node.len()
    }
}

/// What a check reads: the item itself, or one of its fields (`r.cidr`).
#[derive(Debug)]
pub(super) enum Operand {
    Item,
    /// Interned when the rule loads, so that reading it compares pointers.
    Field(Key),
}

impl Operand {
    /// The value read, as the walker reads `r` or `r.field`; `None` (give up) for a
    /// field of something other than an object, or one the object lacks.
    #[inline]
    fn read<'j>(&self, item: &'j Json) -> Option<&'j Json> {
        match (self, item) {
            (Operand::Item, _) => Some(item),
            (Operand::Field(field), Json::Object(map)) => map.get_key(field),
            (Operand::Field(_), _) => None,
        }
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

    fn value(&self) -> V<'_> {
        match self {
            Lit::Null => V::Null,
            Lit::Bool(b) => V::Bool(*b),
            Lit::Int(i) => V::Int(*i),
            Lit::Str(s) => V::Str(s),
        }
    }
}

/// A predicate over one item of the list.
#[derive(Debug)]
pub(super) enum Pred {
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    /// The operand as a bool (`r.enabled`).
    Truth(Operand),
    /// `has(r.field)`.
    Has(Key),
    /// `r.field == literal` (either side), or `!=` when `negated`.
    Equals {
        operand: Operand,
        literal: Lit,
        negated: bool,
    },
    /// `r.field in [literals]`.
    In(Operand, Box<[Lit]>),
    /// `cidr_is_internet(r.field)`.
    IsInternet(Operand),
    /// `cidr_contains("block", r.field)`.
    Contains(Box<str>, Operand),
    /// `opens_port(r, port)` (one port) or `opens_any_port(r, [ports])`.
    OpensAny(Box<[i64]>),
}

impl Pred {
    /// The predicate over the item bound to `var`, when every part is one of the shapes
    /// above.
    fn compile(node: &IdedExpr, var: &str) -> Option<Pred> {
        use cel::common::ast::operators as op;
        let operand = |e: &IdedExpr| match &e.expr {
            Ast::Ident(name) if name == var => Some(Operand::Item),
            Ast::Select(s) if !s.test => match &s.operand.expr {
                Ast::Ident(name) if name == var => Some(Operand::Field(Key::new(&s.field))),
                _ => None,
            },
            _ => None,
        };
        let literal = |e: &IdedExpr| match &e.expr {
            Ast::Literal(l) => Lit::of(l),
            _ => None,
        };
        let literals = |e: &IdedExpr| match &e.expr {
            Ast::List(list) if list.optional_indices.is_empty() => list
                .elements
                .iter()
                .map(literal)
                .collect::<Option<Box<[Lit]>>>(),
            _ => None,
        };
        let boxed = |e: &IdedExpr| Pred::compile(e, var).map(Box::new);
        match &node.expr {
            Ast::Select(s) if s.test => match &s.operand.expr {
                Ast::Ident(name) if name == var => Some(Pred::Has(Key::new(&s.field))),
                _ => None,
            },
            Ast::Ident(_) | Ast::Select(_) => operand(node).map(Pred::Truth),
            Ast::Call(call) if call.target.is_none() => {
                match (call.func_name.as_str(), call.args.as_slice()) {
                    (op::LOGICAL_AND, [a, b]) => Some(Pred::And(boxed(a)?, boxed(b)?)),
                    (op::LOGICAL_OR, [a, b]) => Some(Pred::Or(boxed(a)?, boxed(b)?)),
                    (op::LOGICAL_NOT, [a]) => Some(Pred::Not(boxed(a)?)),
                    (f @ (op::EQUALS | op::NOT_EQUALS), [a, b]) => {
                        let (operand, literal) = match (operand(a), operand(b)) {
                            (Some(o), None) => (o, literal(b)?),
                            (None, Some(o)) => (o, literal(a)?),
                            _ => return None,
                        };
                        Some(Pred::Equals {
                            operand,
                            literal,
                            negated: f == op::NOT_EQUALS,
                        })
                    }
                    (op::IN, [a, list]) => Some(Pred::In(operand(a)?, literals(list)?)),
                    ("cidr_is_internet", [a]) => Some(Pred::IsInternet(operand(a)?)),
                    ("cidr_contains", [outer, inner]) => match &outer.expr {
                        Ast::Literal(LiteralValue::String(block)) => {
                            Some(Pred::Contains(block.inner().into(), operand(inner)?))
                        }
                        _ => None,
                    },
                    ("opens_port", [rule, port]) => match (operand(rule)?, literal(port)?) {
                        (Operand::Item, Lit::Int(port)) => Some(Pred::OpensAny(Box::new([port]))),
                        _ => None,
                    },
                    ("opens_any_port", [rule, ports]) => {
                        let Operand::Item = operand(rule)? else {
                            return None;
                        };
                        let ports = literals(ports)?
                            .iter()
                            .map(|p| match p {
                                Lit::Int(p) => Some(*p),
                                _ => None,
                            })
                            .collect::<Option<Box<[i64]>>>()?;
                        Some(Pred::OpensAny(ports))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether the predicate holds for `item`; `None` where the walker would give up.
    pub(super) fn holds(&self, item: &Json) -> Option<bool> {
        Some(match self {
            // Left first; the right side only when the left does not decide, as CEL.
            Pred::And(a, b) => a.holds(item)? && b.holds(item)?,
            Pred::Or(a, b) => a.holds(item)? || b.holds(item)?,
            Pred::Not(a) => !a.holds(item)?,
            Pred::Truth(operand) => truth(&V::Json(operand.read(item)?))?,
            Pred::Has(field) => match item {
                Json::Object(map) => map.get_key(field).is_some(),
                _ => return None,
            },
            Pred::Equals {
                operand,
                literal,
                negated,
            } => equal(&V::Json(operand.read(item)?), &literal.value())? != *negated,
            Pred::In(operand, list) => {
                // Every item is compared, as the walker compares them.
                let value = V::Json(operand.read(item)?);
                let mut found = false;
                for literal in list.iter() {
                    found |= equal(&value, &literal.value())?;
                }
                found
            }
            Pred::IsInternet(operand) => is_internet(operand.read(item)?.as_str()?).ok()?,
            Pred::Contains(block, operand) => {
                contains(block, operand.read(item)?.as_str()?).ok()?
            }
            Pred::OpensAny(ports) => {
                let (protocol, from, to) = rule_ports(&V::Json(item))?;
                ports
                    .iter()
                    .any(|&port| net::opens_port(protocol, from, to, port))
            }
        })
    }
}
