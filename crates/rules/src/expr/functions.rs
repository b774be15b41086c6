//! The helper functions conditions can call, and the evaluation context that binds
//! them to one inventory. Each helper is listed in [`HELPERS`] (name, arity, signature,
//! documentation) so that loading can check calls before anything runs and
//! `vigil rules functions` can print them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::extractors::IntoResolveResult;
use cel::objects::Key;
use cel::{Context, ExecutionError, Value};
use chrono::{DateTime, NaiveDate, Utc};
use vigil_inventory::{Inventory, Resource, ResourceIdx};

use super::convert::{map_get, map_str, to_cel, to_json};
use crate::helpers::{iam::Policy, net};

pub use super::catalogue::{HELPERS, Helper};

thread_local! {
    /// Resources the graph helpers returned during the current evaluation, kept as
    /// evidence of what decided the result.
    static TOUCHED: RefCell<Vec<ResourceIdx>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// Set when a graph helper asked for a resource type whose service was left out of
    /// the scan: the evaluation is then not judged at all (no finding), rather than
    /// judged on an empty list.
    static EXCLUDED: RefCell<Option<String>> = const { RefCell::new(None) };
}

thread_local! {
    /// When the current evaluation must stop: every helper call checks it, so a
    /// condition that walks the graph again and again ends with ERROR instead of
    /// holding the scan (and the daemon's shutdown) for minutes.
    static DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// Starts the budget of one evaluation, from `now` when the caller has just read the
/// clock (the end of the evaluation before), else from a fresh read.
pub(crate) fn start_budget(
    budget: std::time::Duration,
    now: Option<std::time::Instant>,
) -> std::time::Instant {
    // The start is returned so that the caller times the evaluation from the same
    // clock read: reading the clock was a measurable part of a cheap evaluation.
    let now = now.unwrap_or_else(std::time::Instant::now);
    DEADLINE.with(|d| d.set(Some(now + budget)));
    now
}

/// The current evaluation runs without a budget (see `Kept::bounded` in `eval.rs`).
pub(crate) fn no_budget() {
    DEADLINE.with(|d| d.set(None));
}

/// Has the current evaluation spent its budget?
pub(crate) fn over_budget() -> bool {
    DEADLINE.with(|d| d.get().is_some_and(|at| std::time::Instant::now() > at))
}

/// Takes the exclusion a helper met during the current evaluation, if any.
pub(crate) fn take_excluded() -> Option<String> {
    EXCLUDED.with(|e| e.borrow_mut().take())
}

/// How many related resources one finding records as evidence.
const MAX_TOUCHED: usize = 25;

pub(crate) fn touch(idx: ResourceIdx) {
    TOUCHED.with(|t| {
        let mut t = t.borrow_mut();
        if t.len() < MAX_TOUCHED && !t.contains(&idx) {
            t.push(idx);
        }
    });
}

thread_local! {
    /// Facts helpers recorded as evidence during the current evaluation (an escalation
    /// path), by name.
    static FACTS: RefCell<Vec<(String, serde_json::Value)>> = const { RefCell::new(Vec::new()) };
    /// The severity a failure of the current evaluation is reported at, when a
    /// `raise_severity` held.
    static RAISED: std::cell::Cell<Option<crate::Severity>> = const { std::cell::Cell::new(None) };
}

/// Records a fact as evidence of the current evaluation.
pub(crate) fn record_fact(name: &str, value: serde_json::Value) {
    FACTS.with(|f| {
        let mut f = f.borrow_mut();
        f.retain(|(n, _)| n != name);
        f.push((name.to_owned(), value));
    });
}

/// A fact recorded so far during the current evaluation.
pub(crate) fn fact(name: &str) -> Option<serde_json::Value> {
    FACTS.with(|f| {
        f.borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    })
}

/// Takes the facts recorded during the current evaluation.
pub(crate) fn take_facts() -> Vec<(String, serde_json::Value)> {
    FACTS.with(|f| std::mem::take(&mut *f.borrow_mut()))
}

/// The facts recorded so far in the current evaluation (the direct walker puts them
/// back when it gives up, so that CEL records exactly what it would alone).
pub(crate) fn facts_now() -> Vec<(String, serde_json::Value)> {
    FACTS.with(|f| f.borrow().clone())
}

/// Puts back the facts [`facts_now`] returned.
pub(crate) fn restore_facts(facts: Vec<(String, serde_json::Value)>) {
    FACTS.with(|f| *f.borrow_mut() = facts);
}

/// The severity `raise_severity` has asked for so far in the current evaluation.
pub(crate) fn raised() -> Option<crate::Severity> {
    RAISED.with(std::cell::Cell::get)
}

/// Puts back the severity asked for (the direct walker, giving up, leaves the record
/// as CEL will find it).
pub(crate) fn set_raised(level: Option<crate::Severity>) {
    RAISED.with(|r| r.set(level));
}

/// `raise_severity`: when `when` holds, a failure of this evaluation is reported at
/// `level` at least.
pub(crate) fn raise_to(level: crate::Severity) {
    RAISED.with(|r| r.set(Some(r.get().map_or(level, |old| old.max(level)))));
}

/// Takes the severity a `raise_severity` asked for during the current evaluation.
pub(crate) fn take_raised() -> Option<crate::Severity> {
    RAISED.with(|r| r.take())
}

/// Clears the record of related resources (and the other per-evaluation records:
/// facts, a raised severity) before an evaluation.
pub(crate) fn reset_touched() {
    TOUCHED.with(|t| t.borrow_mut().clear());
    FACTS.with(|f| f.borrow_mut().clear());
    RAISED.with(|r| r.set(None));
}

/// How many related resources the current evaluation has recorded so far.
pub(crate) fn touched_len() -> usize {
    TOUCHED.with(|t| t.borrow().len())
}

/// Forgets the related resources recorded after the first `len`.
pub(crate) fn untouch_to(len: usize) {
    TOUCHED.with(|t| t.borrow_mut().truncate(len));
}

/// Takes the record of related resources after an evaluation.
pub(crate) fn take_touched() -> Vec<ResourceIdx> {
    TOUCHED.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

pub(crate) struct Shared {
    /// Tells this context apart from every other one in the process, for what helpers
    /// remember per thread between calls (a pointer could be reused by the next one).
    pub(crate) scan: u64,
    pub(crate) inventory: Arc<Inventory>,
    /// The privilege-escalation analysis of the whole inventory, worked out the first
    /// time a rule asks for it.
    pub(crate) escalation: OnceLock<Result<Arc<crate::escalation::Analysis>, String>>,
    /// What the internet can reach, worked out the first time a rule asks.
    pub(crate) reach: OnceLock<Arc<crate::reach::Reachability>>,
    /// Who can read and write each data store, over the escalation analysis's estate.
    pub(crate) data: OnceLock<Result<Arc<crate::escalation::data::DataAccess>, String>>,
    /// The data stores prepared ahead, beside the escalation analysis the data-access
    /// analysis also needs; taken when that analysis is built.
    pub(crate) data_stores: std::sync::Mutex<Option<crate::escalation::data::Stores>>,
    values: Vec<OnceLock<Value>>,
    now: DateTime<Utc>,
    /// The team's settings, bound to `settings` in every condition.
    settings: Value,
    /// The same settings as JSON, for conditions decided without CEL.
    settings_json: vigil_inventory::Value,
    /// (rule, account) → why the rule was not judged there: a service it reads was left
    /// out of the scan. Filled by the evaluation, read by the scorer, which must not
    /// count a rule that was never judged as failing.
    exclusions: std::sync::Mutex<std::collections::BTreeMap<(String, String), String>>,
    /// How long one rule may take on one resource.
    budget: std::time::Duration,
    /// Budget overruns per rule in this scan: past a few, the rule is not run again.
    overruns: std::sync::Mutex<HashMap<String, usize>>,
}

impl Shared {
    fn value(&self, idx: ResourceIdx) -> Value {
        self.values[idx]
            .get_or_init(|| resource_value(self.inventory.resource(idx)))
            .clone()
    }

    pub(crate) fn idx_of(
        &self,
        value: &Value,
        function: &str,
    ) -> Result<ResourceIdx, ExecutionError> {
        let id = map_str(value, "id").ok_or_else(|| {
            ExecutionError::function_error(
                function,
                "first argument must be a resource (pass `resource`)",
            )
        })?;
        self.inventory.index_of(id).ok_or_else(|| {
            ExecutionError::function_error(
                function,
                format!("resource `{id}` is not in the inventory"),
            )
        })
    }

    /// An error when the list of `resource_type` is incomplete for this account
    /// (and region, when given).
    pub(crate) fn ensure_complete(
        &self,
        function: &str,
        resource_type: &str,
        account: &str,
        region: Option<&str>,
    ) -> Result<(), ExecutionError> {
        if let Some(excluded) = self.inventory.type_excluded(resource_type, account, region) {
            let reason = format!("{resource_type} not scanned: {}", excluded.summary());
            EXCLUDED.with(|e| *e.borrow_mut() = Some(reason.clone()));
            return Err(ExecutionError::function_error(function, reason));
        }
        match self
            .inventory
            .type_gaps(resource_type, account, region)
            .next()
        {
            None => Ok(()),
            Some(gap) => Err(ExecutionError::function_error(
                function,
                format!(
                    "{resource_type} was not fully collected ({})",
                    gap.summary()
                ),
            )),
        }
    }

    fn list(&self, indexes: impl Iterator<Item = ResourceIdx>) -> Value {
        Value::List(Arc::new(
            indexes
                .map(|idx| {
                    touch(idx);
                    self.value(idx)
                })
                .collect(),
        ))
    }
}

/// How long one rule may take on one resource unless told otherwise. Built-in rules
/// take microseconds; a second is a condition gone wrong.
pub const DEFAULT_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

/// After this many budget overruns in one scan, a rule is not run again: each of its
/// remaining results is ERROR at once, so a costly custom rule cannot hold a scan.
pub const MAX_OVERRUNS: usize = 3;

/// Binds helper functions to one inventory, evaluated at one instant.
#[derive(Clone)]
pub struct EvalContext {
    shared: Arc<Shared>,
    /// The CEL standard environment, built once: building it is far dearer than
    /// evaluating a condition.
    env: Arc<cel::Env>,
    /// Evaluate as the `cel` crate alone would, without the shortcuts of
    /// [`super::native`]: the reference the fast path is tested against.
    plain: bool,
}

impl std::fmt::Debug for EvalContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalContext")
            .field("resources", &self.shared.inventory.len())
            .field("now", &self.shared.now)
            .finish()
    }
}

/// The CEL value bound to `resource`.
pub fn resource_value(resource: &Resource) -> Value {
    let mut map: HashMap<Key, Value> = HashMap::with_capacity(7);
    let s = |text: &str| Value::String(Arc::new(text.to_owned()));
    map.insert(Key::String(Arc::new("id".into())), s(&resource.id));
    map.insert(
        Key::String(Arc::new("type".into())),
        s(&resource.resource_type),
    );
    map.insert(
        Key::String(Arc::new("account".into())),
        s(&resource.account),
    );
    map.insert(Key::String(Arc::new("region".into())), s(&resource.region));
    map.insert(
        Key::String(Arc::new("name".into())),
        resource.name.as_deref().map_or(Value::Null, s),
    );
    let tags: HashMap<Key, Value> = resource
        .tags
        .iter()
        .map(|(k, v)| (Key::String(Arc::new(k.clone())), s(v)))
        .collect();
    map.insert(
        Key::String(Arc::new("tags".into())),
        Value::Map(cel::objects::Map {
            map: Arc::new(tags),
        }),
    );
    map.insert(
        Key::String(Arc::new("properties".into())),
        to_cel(&resource.properties),
    );
    Value::Map(cel::objects::Map { map: Arc::new(map) })
}

impl EvalContext {
    /// A context with the default settings.
    pub fn new(inventory: Arc<Inventory>, now: DateTime<Utc>) -> Self {
        Self::with_settings(inventory, now, &crate::Settings::default())
    }

    pub fn with_settings(
        inventory: Arc<Inventory>,
        now: DateTime<Utc>,
        settings: &crate::Settings,
    ) -> Self {
        let values = (0..inventory.len()).map(|_| OnceLock::new()).collect();
        let settings_json = vigil_inventory::Value::from(settings.to_json());
        EvalContext {
            shared: Arc::new(Shared {
                scan: {
                    static SCANS: std::sync::atomic::AtomicU64 =
                        std::sync::atomic::AtomicU64::new(0);
                    SCANS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                },
                inventory,
                escalation: OnceLock::new(),
                reach: OnceLock::new(),
                data: OnceLock::new(),
                data_stores: Default::default(),
                values,
                now,
                settings: to_cel(&settings_json),
                settings_json,
                exclusions: Default::default(),
                budget: DEFAULT_BUDGET,
                overruns: Default::default(),
            }),
            env: Arc::new(cel::Env::stdlib()),
            plain: false,
        }
    }

    /// The same context evaluating every condition as the `cel` crate alone would:
    /// slower, and the reference the fast path must agree with.
    pub fn with_plain_cel(mut self) -> Self {
        self.plain = true;
        self
    }

    /// What the helpers share: the direct walker calls some of them.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The team's settings as JSON.
    pub(crate) fn settings_json(&self) -> &vigil_inventory::Value {
        &self.shared.settings_json
    }

    /// Whether conditions run without the fast path's shortcuts.
    pub(crate) fn plain(&self) -> bool {
        self.plain
    }

    pub fn inventory(&self) -> &Arc<Inventory> {
        &self.shared.inventory
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.shared.now
    }

    /// The same context with another per-evaluation budget (`--rule-budget-ms`).
    /// Call before evaluating: the budget is shared by every clone made after.
    pub fn with_budget(mut self, budget: std::time::Duration) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.budget = budget;
        }
        self
    }

    /// How long one rule may take on one resource.
    pub fn budget(&self) -> std::time::Duration {
        self.shared.budget
    }

    /// Counts an overrun of `rule`'s budget; returns how many it has had.
    pub(crate) fn record_overrun(&self, rule: &str) -> usize {
        let mut overruns = self.shared.overruns.lock().expect("overruns lock");
        let n = overruns.entry(rule.to_owned()).or_default();
        *n += 1;
        *n
    }

    /// How many times `rule` overran its budget so far.
    pub(crate) fn overruns(&self, rule: &str) -> usize {
        self.shared
            .overruns
            .lock()
            .expect("overruns lock")
            .get(rule)
            .copied()
            .unwrap_or(0)
    }

    /// Records that `rule` was not judged in `account` because a service it reads was
    /// left out of the scan.
    pub fn record_exclusion(&self, rule: &str, account: &str, reason: &str) {
        self.shared
            .exclusions
            .lock()
            .expect("exclusions lock")
            .entry((rule.to_owned(), account.to_owned()))
            .or_insert_with(|| reason.to_owned());
    }

    /// Why `rule` was not judged in `account`, when a service it reads was excluded.
    pub fn exclusion(&self, rule: &str, account: &str) -> Option<String> {
        self.shared
            .exclusions
            .lock()
            .expect("exclusions lock")
            .get(&(rule.to_owned(), account.to_owned()))
            .cloned()
    }

    /// Works out the privilege-escalation analysis now, when a rule about to be
    /// evaluated asks for it, rather than inside the first evaluation's budget.
    pub(crate) fn prepare_escalation(&self) {
        let _ = super::escalation::prepared(&self.shared);
    }

    /// Reads and parses the data stores now, for the data-access analysis to take when
    /// the escalation analysis it also needs is ready (see `evaluate_where`).
    pub(crate) fn prepare_data_stores(&self) {
        super::attack::prepare_stores(&self.shared);
    }

    /// Works out the reachability and data access analyses now, when a rule about to be
    /// evaluated asks for them: inside the loop, the first evaluation to ask paid for
    /// them against its budget, and built them on one thread while the other waited.
    pub(crate) fn prepare_attack_paths(&self, reach: bool, data: bool) {
        super::attack::prepare(&self.shared, reach, data);
    }

    /// The CEL value of a resource, converted once and shared: for resources that
    /// graph helpers hand out again and again.
    pub fn value(&self, idx: ResourceIdx) -> Value {
        self.shared.value(idx)
    }

    /// Binds `resource` and `properties` for one resource in a scope, borrowing from
    /// the inventory. The subject's `resource` carries id, type, account, region, name
    /// and tags; its properties are read through `properties` (converting them once
    /// rather than twice).
    pub fn bind<'v>(scope: &mut Context<'_, 'v>, resource: &'v Resource) {
        let s = |text: &'v str| -> Box<dyn cel::common::value::Val + 'v> {
            Box::new(cel::common::types::CelString::from(text))
        };
        let mut head: HashMap<
            cel::common::types::CelMapKey<'v>,
            Box<dyn cel::common::value::Val + 'v>,
        > = HashMap::with_capacity(6);
        head.insert("id".into(), s(&resource.id));
        head.insert("type".into(), s(&resource.resource_type));
        head.insert("account".into(), s(&resource.account));
        head.insert("region".into(), s(&resource.region));
        head.insert(
            "name".into(),
            match &resource.name {
                Some(name) => s(name),
                None => Box::new(cel::common::types::CelNull),
            },
        );
        let tags: HashMap<_, _> = resource
            .tags
            .iter()
            .map(|(k, v)| (cel::common::types::CelMapKey::from(k.as_str()), s(v)))
            .collect();
        head.insert(
            "tags".into(),
            Box::new(cel::common::types::CelMap::from(tags)),
        );
        scope.add_variable_as_val("resource", Box::new(cel::common::types::CelMap::from(head)));
        scope.add_variable_as_val("properties", super::convert::to_val(&resource.properties));
    }

    /// A root CEL context with every helper registered. Build one per thread or per
    /// chunk of work; `'v` is how long the variables bound below it may borrow.
    pub fn root<'v>(&self) -> Context<'static, 'v> {
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        ctx.add_variable_from_value("settings", self.shared.settings.clone());
        let plain = self.plain;
        if !plain {
            ctx.add_function(super::native::MATCHES, super::native::matches())
                .expect("`@matches` is no standard function");
        }
        let mut add =
            |name: &'static str, f: fn(&Shared, &[Value]) -> Result<Value, ExecutionError>| {
                let shared = Arc::clone(&self.shared);
                let subject_first = !plain && super::native::SUBJECT_FIRST.contains(&name);
                let shortcut = (!plain).then(|| super::native::shortcut(name)).flatten();
                // Arguments are read where they lie rather than copied into `Value`s
                // first, unless the plain path is asked for.
                let function: super::native::Raw = Box::new(move |ftx| {
                    if over_budget() {
                        return Err(ExecutionError::function_error(
                            name,
                            "the evaluation budget is spent",
                        ));
                    }
                    if let Some(result) = shortcut.and_then(|s| s(&ftx.args)) {
                        return Ok(cel::common::value::CowVal::owned(
                            cel::common::types::CelBool::from(result?),
                        ));
                    }
                    let args = super::native::arguments(&ftx.args, subject_first)?;
                    f(&shared, &args).into_resolve_result()
                });
                ctx.add_function(name, function)
                    .expect("helper names do not clash with the standard library");
            };
        add("policy_allows", |_, a| {
            let p = policy(a, 0, "policy_allows")?;
            Ok(Value::Bool(p.allows(
                string(a, 1, "policy_allows")?,
                string(a, 2, "policy_allows")?,
            )))
        });
        add("policy_is_admin", |_, a| {
            Ok(Value::Bool(policy(a, 0, "policy_is_admin")?.is_admin()))
        });
        add("policy_is_public", |_, a| {
            Ok(Value::Bool(policy(a, 0, "policy_is_public")?.is_public()))
        });
        add("policy_denies", |_, a| {
            let p = policy(a, 0, "policy_denies")?;
            Ok(Value::Bool(p.denies(string(a, 1, "policy_denies")?)))
        });
        add("policy_has_condition", |_, a| {
            let p = policy(a, 0, "policy_has_condition")?;
            Ok(Value::Bool(p.has_condition_key(string(
                a,
                1,
                "policy_has_condition",
            )?)))
        });
        add("policy_denies_insecure_transport", |_, a| {
            Ok(Value::Bool(
                policy(a, 0, "policy_denies_insecure_transport")?.denies_insecure_transport(),
            ))
        });
        add("policy_principals", |_, a| {
            let list = policy(a, 0, "policy_principals")?
                .allowed_principals()
                .into_iter()
                .map(|p| Value::String(Arc::new(p)))
                .collect();
            Ok(Value::List(Arc::new(list)))
        });
        add("policy_principals_without", |_, a| {
            const F: &str = "policy_principals_without";
            let list = policy(a, 0, F)?
                .principals_without(string(a, 1, F)?, string(a, 2, F)?)
                .into_iter()
                .map(|p| Value::String(Arc::new(p)))
                .collect();
            Ok(Value::List(Arc::new(list)))
        });
        add("cidr_is_internet", |_, a| {
            net::is_internet(string(a, 0, "cidr_is_internet")?)
                .map(Value::Bool)
                .map_err(|e| ExecutionError::function_error("cidr_is_internet", e))
        });
        add("cidr_contains", |_, a| {
            net::contains(
                string(a, 0, "cidr_contains")?,
                string(a, 1, "cidr_contains")?,
            )
            .map(Value::Bool)
            .map_err(|e| ExecutionError::function_error("cidr_contains", e))
        });
        add("opens_port", |_, a| {
            let (protocol, from, to) = rule_ports(arg(a, 0, "opens_port")?, "opens_port")?;
            Ok(Value::Bool(net::opens_port(
                &protocol,
                from,
                to,
                int(a, 1, "opens_port")?,
            )))
        });
        add("opens_any_port", |_, a| {
            let (protocol, from, to) = rule_ports(arg(a, 0, "opens_any_port")?, "opens_any_port")?;
            let Value::List(ports) = arg(a, 1, "opens_any_port")? else {
                return Err(ExecutionError::function_error(
                    "opens_any_port",
                    "argument 2 must be a list of ports",
                ));
            };
            let mut any = false;
            for port in ports.iter() {
                let Value::Int(port) = port else {
                    return Err(ExecutionError::function_error(
                        "opens_any_port",
                        format!("ports must be ints, found {port:?}"),
                    ));
                };
                any |= net::opens_port(&protocol, from, to, *port);
            }
            Ok(Value::Bool(any))
        });
        add("port_in_range", |_, a| {
            let port = int(a, 0, "port_in_range")?;
            Ok(Value::Bool(
                int(a, 1, "port_in_range")? <= port && port <= int(a, 2, "port_in_range")?,
            ))
        });
        add("days_since", |s, a| {
            days_since(s.now, arg(a, 0, "days_since")?).map(Value::Int)
        });
        add("contains_all", |_, a| {
            let squash = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            let text = squash(string(a, 0, "contains_all")?);
            let terms = strings(a, 1, "contains_all")?;
            Ok(Value::Bool(terms.iter().all(|t| text.contains(&squash(t)))))
        });
        add("related", |s, a| graph_step(s, a, "related", true));
        add("related_from", |s, a| {
            graph_step(s, a, "related_from", false)
        });
        add("resources", |s, a| scoped(s, a, "resources", false));
        add("regional", |s, a| scoped(s, a, "regional", true));
        add("admin_escalation", super::escalation::admin_escalation);
        add("assumable_by", super::escalation::assumable_by);
        add("escalations", super::escalation::escalations);
        add("internet_reachable", super::attack::internet_reachable);
        add("internet_exposure", super::attack::internet_exposure);
        add("role_privileged", super::attack::role_privileged);
        add("modifiable_by", super::attack::modifiable_by);
        add("data_access", super::attack::data_access);
        add("data_accessible", super::attack::data_accessible);
        add("data_exposure", super::attack::data_exposure);
        add("raise_severity", |_, a| {
            let level = string(a, 0, "raise_severity")?;
            let level: crate::Severity = serde_json::from_value(serde_json::Value::String(
                level.to_owned(),
            ))
            .map_err(|_| {
                ExecutionError::function_error(
                    "raise_severity",
                    format!("`{level}` is not a severity"),
                )
            })?;
            if matches!(arg(a, 1, "raise_severity")?, Value::Bool(true)) {
                raise_to(level);
            }
            Ok(Value::Bool(true))
        });
        add("alarmed_log_filter", |s, a| {
            let idx = s.idx_of(arg(a, 0, "alarmed_log_filter")?, "alarmed_log_filter")?;
            let terms = strings(a, 1, "alarmed_log_filter")?;
            alarmed_log_filter(s, idx, &terms).map(Value::Bool)
        });
        ctx
    }
}

pub(crate) fn arg<'a>(
    args: &'a [Value],
    i: usize,
    function: &str,
) -> Result<&'a Value, ExecutionError> {
    args.get(i).ok_or_else(|| {
        ExecutionError::function_error(function, format!("missing argument {}", i + 1))
    })
}

pub(crate) fn string<'a>(
    args: &'a [Value],
    i: usize,
    function: &str,
) -> Result<&'a str, ExecutionError> {
    match arg(args, i, function)? {
        Value::String(s) => Ok(s.as_str()),
        Value::Null => Err(ExecutionError::function_error(
            function,
            format!("argument {} is null", i + 1),
        )),
        other => Err(ExecutionError::function_error(
            function,
            format!("argument {} must be a string, found {other:?}", i + 1),
        )),
    }
}

fn int(args: &[Value], i: usize, function: &str) -> Result<i64, ExecutionError> {
    match arg(args, i, function)? {
        Value::Int(n) => Ok(*n),
        Value::UInt(n) => {
            i64::try_from(*n).map_err(|e| ExecutionError::function_error(function, e))
        }
        other => Err(ExecutionError::function_error(
            function,
            format!("argument {} must be an int, found {other:?}", i + 1),
        )),
    }
}

fn strings(args: &[Value], i: usize, function: &str) -> Result<Vec<String>, ExecutionError> {
    match arg(args, i, function)? {
        Value::List(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(String::from(&**s)),
                other => Err(ExecutionError::function_error(
                    function,
                    format!("list items must be strings, found {other:?}"),
                )),
            })
            .collect(),
        other => Err(ExecutionError::function_error(
            function,
            format!("argument {} must be a list, found {other:?}", i + 1),
        )),
    }
}

fn policy(args: &[Value], i: usize, function: &str) -> Result<Policy, ExecutionError> {
    let value = arg(args, i, function)?;
    if matches!(value, Value::Null) {
        return Err(ExecutionError::function_error(
            function,
            "policy document is null",
        ));
    }
    Policy::from_value(&to_json(value).into())
        .map_err(|e| ExecutionError::function_error(function, e))
}

/// The protocol and port range of a security-group or NACL rule.
fn rule_ports(
    rule: &Value,
    function: &str,
) -> Result<(String, Option<i64>, Option<i64>), ExecutionError> {
    let protocol = match map_get(rule, "protocol") {
        Some(Value::String(p)) => p.to_string(),
        Some(Value::Int(p)) => p.to_string(),
        _ => {
            return Err(ExecutionError::function_error(
                function,
                "rule has no `protocol`",
            ));
        }
    };
    let port_of = |key| match map_get(rule, key) {
        Some(Value::Int(p)) => Some(*p),
        _ => None,
    };
    Ok((protocol, port_of("from_port"), port_of("to_port")))
}

/// Whole days from the time written in `text` (RFC 3339, or a date) to `now`; the
/// fast path (`direct`) calls it too, so both read a date the same way.
pub(crate) fn days_since_text(now: DateTime<Utc>, text: &str) -> Option<i64> {
    let at = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        })
        .ok()?;
    Some((now - at).num_days())
}

fn days_since(now: DateTime<Utc>, value: &Value) -> Result<i64, ExecutionError> {
    let at = match value {
        Value::Timestamp(t) => t.with_timezone(&Utc),
        Value::String(text) => {
            return days_since_text(now, text).ok_or_else(|| {
                ExecutionError::function_error(
                    "days_since",
                    format!("`{text}` is not an RFC 3339 timestamp or a date"),
                )
            });
        }
        other => {
            return Err(ExecutionError::function_error(
                "days_since",
                format!("expected a timestamp, found {other:?}"),
            ));
        }
    };
    Ok((now - at).num_days())
}

fn graph_step(
    s: &Shared,
    a: &[Value],
    function: &str,
    outgoing: bool,
) -> Result<Value, ExecutionError> {
    let idx = s.idx_of(arg(a, 0, function)?, function)?;
    let kind = string(a, 1, function)?;
    let wanted = if a.len() > 2 {
        Some(string(a, 2, function)?)
    } else {
        None
    };
    if let Some(t) = wanted {
        s.ensure_complete(function, t, &s.inventory.resource(idx).account, None)?;
    }
    let inv = &s.inventory;
    let neighbours: Vec<ResourceIdx> = if outgoing {
        inv.related(idx, kind).collect()
    } else {
        inv.related_from(idx, kind).collect()
    };
    Ok(s.list(
        neighbours
            .into_iter()
            .filter(|&n| wanted.is_none_or(|t| inv.resource(n).resource_type == t)),
    ))
}

fn scoped(
    s: &Shared,
    a: &[Value],
    function: &str,
    same_region: bool,
) -> Result<Value, ExecutionError> {
    let idx = s.idx_of(arg(a, 0, function)?, function)?;
    let wanted = string(a, 1, function)?;
    let me = s.inventory.resource(idx);
    let region = same_region.then_some(me.region.as_str());
    s.ensure_complete(function, wanted, &me.account, region)?;
    let inv = &s.inventory;
    Ok(s.list(
        inv.of_type_in_account(&me.account, wanted)
            .iter()
            .copied()
            .filter(|&n| region.is_none_or(|r| inv.resource(n).region == r)),
    ))
}

fn alarmed_log_filter(
    s: &Shared,
    idx: ResourceIdx,
    terms: &[String],
) -> Result<bool, ExecutionError> {
    const F: &str = "alarmed_log_filter";
    let inv = &s.inventory;
    let account = inv.resource(idx).account.as_str();
    for t in [
        "aws.cloudtrail.trail",
        "aws.logs.log_group",
        "aws.logs.metric_filter",
        "aws.cloudwatch.alarm",
        "aws.sns.topic",
        "aws.sns.subscription",
    ] {
        s.ensure_complete(F, t, account, None)?;
    }
    let squash = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let terms: Vec<String> = terms.iter().map(|t| squash(t)).collect();
    let is_true = |r: &Resource, key: &str| {
        r.property(key).and_then(vigil_inventory::Value::as_bool) == Some(true)
    };
    for &trail in inv.of_type_in_account(account, "aws.cloudtrail.trail") {
        let t = inv.resource(trail);
        if !is_true(t, "is_multi_region_trail") || !is_true(t, "is_logging") {
            continue;
        }
        for group in inv.related(trail, "delivers_to") {
            if inv.resource(group).resource_type != "aws.logs.log_group" {
                continue;
            }
            for filter in inv.related_from(group, "monitors") {
                let f = inv.resource(filter);
                let pattern = f
                    .property("filter_pattern")
                    .and_then(|p| p.as_str())
                    .unwrap_or("");
                let pattern = squash(pattern);
                if f.resource_type != "aws.logs.metric_filter"
                    || !terms.iter().all(|t| pattern.contains(t))
                {
                    continue;
                }
                for alarm in inv.related_from(filter, "monitors") {
                    for topic in inv.related(alarm, "notifies") {
                        if inv.related_from(topic, "subscribed_to").next().is_some() {
                            for i in [trail, group, filter, alarm, topic] {
                                touch(i);
                            }
                            return Ok(true);
                        }
                    }
                }
            }
        }
    }
    Ok(false)
}
