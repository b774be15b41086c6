//! Our wrapper around the `cel` crate: compiling a condition, checking it against the
//! functions and catalogue Vigil offers, and reading what it refers to. Every use of the
//! `cel` API goes through this module and its children, so its churn stays here.

pub(crate) mod attack;
mod catalogue;
pub(crate) mod convert;
pub(crate) mod direct;
pub(crate) mod escalation;
pub(crate) mod functions;
pub(crate) mod native;

use cel::common::ast::{Expr as Ast, LiteralValue};
use cel::{IdedExpr, Program};

pub use functions::{DEFAULT_BUDGET, EvalContext, HELPERS, Helper, MAX_OVERRUNS};

/// Functions of the CEL standard library that conditions may call. Operators
/// (`_==_`, `@in`, ...) are always allowed.
const STANDARD_FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "timestamp",
    "duration",
    "type",
    "dyn",
    "max",
    "min",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
];

/// How deep comprehension macros may nest. CEL has no loops or recursion, so the cost
/// of a condition is bounded by the product of the sizes of the lists its nested macros
/// walk. Built-in rules nest up to five levels over short lists (statements, actions).
/// The per-evaluation time budget catches what this static limit lets through.
/// The nodes directly under `node`, in source order: a call's target and arguments, a
/// select's operand, a list's items, a map's keys and values, a comprehension's parts.
pub(crate) fn children(node: &IdedExpr) -> Vec<&IdedExpr> {
    match &node.expr {
        Ast::Call(call) => call
            .target
            .as_deref()
            .into_iter()
            .chain(&call.args)
            .collect(),
        Ast::Select(select) => vec![&select.operand],
        Ast::List(list) => list.elements.iter().collect(),
        Ast::Map(map) => map
            .entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                cel::common::ast::EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
                cel::common::ast::EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Ast::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        _ => Vec::new(),
    }
}

pub const MAX_COMPREHENSION_NESTING: usize = 6;

/// Variables a condition may read.
pub const VARIABLES: &[&str] = &["resource", "properties", "settings"];

/// A compiled condition.
#[derive(Debug)]
pub struct Expr {
    program: Program,
    /// The program as the fast path runs it (see [`native`]): the same meaning, with
    /// the dear standard functions swapped for cached ones.
    fast: IdedExpr,
    /// The predicates of its `exists` and `all` compiled to native checks, for the
    /// direct walker (see `direct/pred.rs`).
    plans: direct::Plans,
    source: String,
}

/// A problem found while compiling or checking a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprIssue {
    /// Line within the expression text (1-based), when known.
    pub line: Option<usize>,
    pub message: String,
}

impl Expr {
    /// Compiles and checks `source`; returns every problem found.
    pub fn compile(source: &str) -> Result<Expr, Vec<ExprIssue>> {
        let program = Program::compile(source).map_err(|errors| {
            let text = errors.to_string();
            // The parser reports positions as `<input>:LINE:COLUMN`.
            let line = text
                .split("<input>:")
                .nth(1)
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse().ok());
            vec![ExprIssue {
                line,
                message: format!("CEL syntax error: {}", text.trim()),
            }]
        })?;
        let expr = Expr {
            fast: native::rewrite(program.expression()),
            plans: direct::Plans::compile(program.expression()),
            program,
            source: source.to_owned(),
        };
        let issues = expr.check();
        if issues.is_empty() {
            Ok(expr)
        } else {
            Err(issues)
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the whole condition compiled to native checks (see `direct/pred.rs`).
    pub(crate) fn compiled_whole(&self) -> bool {
        self.plans.is_whole()
    }

    /// The condition's value over `resource` read straight from its JSON, when that
    /// is plainly what CEL would say; `None` when CEL must run (see [`direct`]).
    pub(crate) fn decide(
        &self,
        scope: direct::Scope<'_>,
    ) -> Option<Result<bool, cel::ExecutionError>> {
        direct::evaluate(self.program.expression(), &self.plans, scope)
    }

    /// Runs the condition in `scope`, on the fast path unless `plain`.
    pub(crate) fn execute(&self, scope: &cel::Context, plain: bool) -> cel::ResolveResult {
        if plain {
            self.program.execute(scope)
        } else {
            cel::Value::resolve(&self.fast, scope)
        }
    }

    fn line_of(&self, node: &IdedExpr) -> Option<usize> {
        self.program
            .source_info()
            .offset_for(node.id)
            .map(|(start, _)| {
                let start = (start as usize).min(self.source.len());
                let prefix = self.source.get(..start).unwrap_or(&self.source);
                1 + prefix.matches('\n').count()
            })
    }

    /// Unknown functions, wrong arities, unknown resource types and relation kinds
    /// in literal arguments, unknown top-level variables.
    fn check(&self) -> Vec<ExprIssue> {
        let mut issues = Vec::new();
        let mut bound = Vec::new();
        self.visit(self.program.expression(), &mut bound, &mut issues);
        issues
    }

    fn visit(&self, node: &IdedExpr, bound: &mut Vec<String>, issues: &mut Vec<ExprIssue>) {
        let mut issue = |message: String| {
            issues.push(ExprIssue {
                line: self.line_of(node),
                message,
            })
        };
        match &node.expr {
            Ast::Ident(name) => {
                if !VARIABLES.contains(&name.as_str()) && !bound.contains(name) {
                    issue(format!(
                        "unknown variable `{name}`; conditions read `resource` and `properties`"
                    ));
                }
            }
            Ast::Call(call) => {
                let name = call.func_name.as_str();
                let is_operator = name.starts_with(['_', '@', '!', '-']);
                if let Some(helper) = HELPERS.iter().find(|h| h.name == name) {
                    if !helper.arities.contains(&call.args.len()) {
                        issue(format!(
                            "`{name}` takes {} argument(s), found {}: {}",
                            helper
                                .arities
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(" or "),
                            call.args.len(),
                            helper.signature
                        ));
                    }
                    for (position, check) in helper.literal_checks {
                        if let Some(Ast::Literal(LiteralValue::String(text))) =
                            call.args.get(*position).map(|a| &a.expr)
                            && let Err(message) = check(text.inner())
                        {
                            issue(format!("`{name}` argument {}: {message}", position + 1));
                        }
                    }
                } else if !is_operator && !STANDARD_FUNCTIONS.contains(&name) {
                    issue(format!(
                        "unknown function `{name}`; see `vigil rules functions` for the helpers"
                    ));
                }
                if let Some(target) = &call.target {
                    self.visit(target, bound, issues);
                }
                for arg in &call.args {
                    self.visit(arg, bound, issues);
                }
            }
            Ast::Comprehension(c) => {
                let nesting = 1 + bound.iter().filter(|b| b.starts_with('@')).count();
                if nesting > MAX_COMPREHENSION_NESTING {
                    issue(format!(
                        "macros (`all`, `exists`, `map`, `filter`) nested {nesting} deep: the cost grows as the product of the list sizes; at most {MAX_COMPREHENSION_NESTING} levels"
                    ));
                }
                self.visit(&c.iter_range, bound, issues);
                self.visit(&c.accu_init, bound, issues);
                let depth = bound.len();
                bound.push(c.iter_var.clone());
                bound.extend(c.iter_var2.clone());
                bound.push(c.accu_var.clone());
                self.visit(&c.loop_cond, bound, issues);
                self.visit(&c.loop_step, bound, issues);
                self.visit(&c.result, bound, issues);
                bound.truncate(depth);
            }
            Ast::Select(select) => {
                let subject = matches!(&select.operand.expr, Ast::Ident(root) if root == "resource" && !bound.iter().any(|b| b == "resource"));
                if subject && select.field == "properties" {
                    issue("read the resource's properties through `properties`, not `resource.properties`".to_owned());
                }
                self.visit(&select.operand, bound, issues)
            }
            Ast::List(list) => {
                for item in &list.elements {
                    self.visit(item, bound, issues);
                }
            }
            Ast::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(e) = &entry.expr {
                        self.visit(&e.key, bound, issues);
                        self.visit(&e.value, bound, issues);
                    }
                }
            }
            Ast::Literal(_) | Ast::Struct(_) | Ast::Unspecified => {}
        }
    }

    /// Property paths of the evaluated resource that the condition reads, such as
    /// `versioning.status`, in order of first appearance. Used for evidence and to
    /// check that collectors produce what rules read.
    pub fn property_paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        collect_paths(self.program.expression(), false, &mut paths);
        paths
    }
}

fn collect_paths(node: &IdedExpr, inside_select: bool, out: &mut Vec<String>) {
    match &node.expr {
        Ast::Select(select) => {
            if !inside_select
                && let Some(path) = property_path(node)
                && !out.contains(&path)
            {
                out.push(path);
            }
            collect_paths(&select.operand, true, out);
        }
        Ast::Call(call) => {
            if let Some(target) = &call.target {
                collect_paths(target, false, out);
            }
            for arg in &call.args {
                collect_paths(arg, false, out);
            }
        }
        Ast::Comprehension(c) => {
            for part in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                collect_paths(part, false, out);
            }
        }
        Ast::List(list) => {
            for item in &list.elements {
                collect_paths(item, false, out);
            }
        }
        Ast::Map(map) => {
            for entry in &map.entries {
                if let cel::common::ast::EntryExpr::MapEntry(e) = &entry.expr {
                    collect_paths(&e.key, false, out);
                    collect_paths(&e.value, false, out);
                }
            }
        }
        _ => {}
    }
}

/// `properties.a.b` as `a.b`.
fn property_path(node: &IdedExpr) -> Option<String> {
    let mut fields = Vec::new();
    let mut current = node;
    loop {
        match &current.expr {
            Ast::Select(select) => {
                fields.push(select.field.as_str());
                current = &select.operand;
            }
            Ast::Ident(root) => {
                fields.reverse();
                return (root == "properties" && !fields.is_empty()).then(|| fields.join("."));
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(source: &str) -> Vec<String> {
        match Expr::compile(source) {
            Ok(_) => vec![],
            Err(issues) => issues.into_iter().map(|i| i.message).collect(),
        }
    }

    #[test]
    fn accepts_helpers_and_standard_functions() {
        assert!(
            messages(r#"size(properties.keys) == 0 && properties.name.startsWith("a")"#).is_empty()
        );
        assert!(
            messages(r#"related(resource, "encrypted_by").all(k, k.properties.enabled)"#)
                .is_empty()
        );
        assert!(
            messages(
                r#"properties.rules.exists(r, cidr_is_internet(r.cidr) && opens_port(r, 22))"#
            )
            .is_empty()
        );
    }

    #[test]
    fn reports_syntax_errors() {
        let m = messages("properties.a ==");
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("CEL syntax error"), "{m:?}");
    }

    #[test]
    fn reports_unknown_functions_variables_and_catalogue_names() {
        let m = messages(
            r#"frobnicate(properties.a) && policy_is_admin() && related(resource, "eats") && resources(resource, "aws.s3.bukkit") && other.x"#,
        );
        assert!(
            m.iter()
                .any(|x| x.contains("unknown function `frobnicate`")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x.contains("`policy_is_admin` takes 1 argument(s), found 0")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|x| x.contains("unknown relation kind `eats`")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x.contains("unknown resource type `aws.s3.bukkit`")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|x| x.contains("unknown variable `other`")),
            "{m:?}"
        );
    }

    #[test]
    fn extracts_property_paths() {
        let e = Expr::compile(
            r#"properties.versioning.status == "Enabled" && properties.logging.target != null && has(properties.policy) && properties.grants.all(g, g.uri != "x") && resource.id != "" && related(resource, "logs_to").all(b, b.properties.x)"#,
        )
        .unwrap();
        assert_eq!(
            e.property_paths(),
            vec!["versioning.status", "logging.target", "policy", "grants"]
        );
    }

    #[test]
    fn the_subject_properties_are_read_through_properties() {
        let m = messages(r#"resource.properties.versioning.status == "Enabled""#);
        assert!(
            m.iter().any(|x| x.contains("through `properties`")),
            "{m:?}"
        );
        assert!(
            messages(r#"related(resource, "logs_to").all(resource, resource.properties.x)"#)
                .is_empty()
        );
    }
}
