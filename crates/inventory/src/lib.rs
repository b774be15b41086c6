//! Vigil's data model, with no I/O beyond reading and writing a snapshot.
//!
//! Collectors produce [`Resource`]s, [`Relation`]s between them and [`Gap`]s (what they
//! could not see); the [`Inventory`] indexes them as a graph that rules navigate. A
//! [`Snapshot`] is the same data as a JSON document, so every stage can run on its own:
//! `vigil collect` writes one, `vigil scan --snapshot` reads one.
//!
//! Property convention, which the rule engine relies on: a property that a collector
//! looked at and found empty is present with the value `null`; a property it did not
//! look at (or could not) is absent. Rules that read an absent property report ERROR,
//! never PASS.

pub mod canonical;
mod catalog;
mod coverage;
mod gap;
mod graph;
mod resource;
mod snapshot;
pub mod value;

pub use catalog::{
    RELATION_KINDS, RESOURCE_TYPES, RelationKindInfo, ResourceTypeInfo, SCOPE_PROPERTIES, Scope,
    is_relation_kind, resource_type, service_of_property, service_of_type,
};
pub use coverage::{Coverage, CoverageStatus};
pub use gap::Gap;
pub use graph::{Inventory, InventoryError, ResourceIdx};
pub use resource::{GLOBAL_REGION, Relation, Resource};
pub use snapshot::{MergeError, SNAPSHOT_FORMAT, Snapshot, SnapshotError, snapshot_schema};
pub use value::Value;
