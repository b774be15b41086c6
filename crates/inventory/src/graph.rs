//! The inventory graph: resources indexed by id, by type and by account, with edges
//! that rules navigate in both directions.

use std::collections::HashMap;

use thiserror::Error;

use crate::{Coverage, CoverageStatus, Gap, Relation, Resource, Snapshot};

/// Position of a resource in [`Inventory::resources`]; cheaper to pass around than ids.
pub type ResourceIdx = usize;

/// Why a set of resources, relations and gaps is not a valid inventory.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum InventoryError {
    #[error("resources[{second}]: duplicate resource id `{id}` (first at resources[{first}])")]
    DuplicateId {
        id: String,
        first: usize,
        second: usize,
    },
    #[error("resources[{index}].id: empty resource id")]
    EmptyId { index: usize },
}

/// Resources as nodes, relations as edges, gaps as what could not be seen.
#[derive(Debug, Default)]
pub struct Inventory {
    resources: Vec<Resource>,
    relations: Vec<Relation>,
    gaps: Vec<Gap>,
    coverage: Vec<Coverage>,
    by_id: HashMap<String, ResourceIdx>,
    by_type: HashMap<String, Vec<ResourceIdx>>,
    by_account_type: HashMap<(String, String), Vec<ResourceIdx>>,
    /// For each resource, (relation kind, target) of its outgoing edges.
    outgoing: Vec<Vec<(usize, ResourceIdx)>>,
    /// For each resource, (relation kind, source) of its incoming edges.
    incoming: Vec<Vec<(usize, ResourceIdx)>>,
    /// Relation kinds interned, so edges store an index rather than a string.
    kinds: Vec<String>,
    dangling: usize,
}

impl Inventory {
    /// Builds the graph. Edges whose ends are not in the inventory are kept in
    /// [`Inventory::relations`] but are not navigable; [`Inventory::dangling_relations`]
    /// counts them.
    pub fn new(
        resources: Vec<Resource>,
        relations: Vec<Relation>,
        gaps: Vec<Gap>,
    ) -> Result<Self, InventoryError> {
        let mut by_id = HashMap::with_capacity(resources.len());
        let mut by_type: HashMap<String, Vec<ResourceIdx>> = HashMap::new();
        let mut by_account_type: HashMap<(String, String), Vec<ResourceIdx>> = HashMap::new();
        for (index, resource) in resources.iter().enumerate() {
            if resource.id.is_empty() {
                return Err(InventoryError::EmptyId { index });
            }
            if let Some(first) = by_id.insert(resource.id.clone(), index) {
                return Err(InventoryError::DuplicateId {
                    id: resource.id.clone(),
                    first,
                    second: index,
                });
            }
            by_type
                .entry(resource.resource_type.clone())
                .or_default()
                .push(index);
            by_account_type
                .entry((resource.account.clone(), resource.resource_type.clone()))
                .or_default()
                .push(index);
        }
        let mut outgoing = vec![Vec::new(); resources.len()];
        let mut incoming = vec![Vec::new(); resources.len()];
        let mut kinds: Vec<String> = Vec::new();
        let mut dangling = 0;
        for relation in &relations {
            let (Some(&from), Some(&to)) = (by_id.get(&relation.from), by_id.get(&relation.to))
            else {
                dangling += 1;
                continue;
            };
            let kind = match kinds.iter().position(|k| *k == relation.kind) {
                Some(kind) => kind,
                None => {
                    kinds.push(relation.kind.clone());
                    kinds.len() - 1
                }
            };
            outgoing[from].push((kind, to));
            incoming[to].push((kind, from));
        }
        Ok(Inventory {
            resources,
            relations,
            gaps,
            coverage: Vec::new(),
            by_id,
            by_type,
            by_account_type,
            outgoing,
            incoming,
            kinds,
            dangling,
        })
    }

    /// Builds the graph from a snapshot's contents.
    pub fn from_snapshot(snapshot: Snapshot) -> Result<Self, InventoryError> {
        Ok(
            Inventory::new(snapshot.resources, snapshot.relations, snapshot.gaps)?
                .with_coverage(snapshot.coverage),
        )
    }

    /// Adds what the scan covered (see [`Coverage`]).
    pub fn with_coverage(mut self, coverage: Vec<Coverage>) -> Self {
        self.coverage = coverage;
        self
    }

    /// What the scan covered, per service, account and region.
    pub fn coverage(&self) -> &[Coverage] {
        &self.coverage
    }

    /// The entry saying that `service` was left out of the scan in `account` (and
    /// `region`, when given), if it was.
    pub fn service_excluded(
        &self,
        service: &str,
        account: &str,
        region: Option<&str>,
    ) -> Option<&Coverage> {
        self.coverage
            .iter()
            .find(|c| c.status == CoverageStatus::Excluded && c.covers(service, account, region))
    }

    /// The exclusion that leaves `resource_type` unseen in `account` (and `region`).
    pub fn type_excluded(
        &self,
        resource_type: &str,
        account: &str,
        region: Option<&str>,
    ) -> Option<&Coverage> {
        if self.coverage.is_empty() {
            return None;
        }
        let service = crate::service_of_type(resource_type)?;
        self.service_excluded(service, account, region)
    }

    /// The exclusion that leaves a property of an account or region node unseen: the
    /// collector that writes `key` on `resource_type` was left out.
    pub fn property_excluded(
        &self,
        resource_type: &str,
        key: &str,
        account: &str,
        region: Option<&str>,
    ) -> Option<&Coverage> {
        if self.coverage.is_empty() {
            return None;
        }
        let service = crate::service_of_property(resource_type, key)?;
        self.service_excluded(service, account, region)
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    pub fn resource(&self, idx: ResourceIdx) -> &Resource {
        &self.resources[idx]
    }

    pub fn index_of(&self, id: &str) -> Option<ResourceIdx> {
        self.by_id.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Resource> {
        self.index_of(id).map(|idx| &self.resources[idx])
    }

    /// Every resource of a type, in every account.
    pub fn of_type(&self, resource_type: &str) -> &[ResourceIdx] {
        self.by_type
            .get(resource_type)
            .map_or(&[][..], Vec::as_slice)
    }

    /// Every resource of a type in one account.
    pub fn of_type_in_account(&self, account: &str, resource_type: &str) -> &[ResourceIdx] {
        self.by_account_type
            .get(&(account.to_owned(), resource_type.to_owned()))
            .map_or(&[][..], Vec::as_slice)
    }

    /// Targets of `idx`'s outgoing edges of `kind`.
    pub fn related(&self, idx: ResourceIdx, kind: &str) -> impl Iterator<Item = ResourceIdx> + '_ {
        let kind = self.kinds.iter().position(|k| k == kind);
        self.outgoing[idx]
            .iter()
            .filter(move |(k, _)| Some(*k) == kind)
            .map(|&(_, to)| to)
    }

    /// Sources of `idx`'s incoming edges of `kind`.
    pub fn related_from(
        &self,
        idx: ResourceIdx,
        kind: &str,
    ) -> impl Iterator<Item = ResourceIdx> + '_ {
        let kind = self.kinds.iter().position(|k| k == kind);
        self.incoming[idx]
            .iter()
            .filter(move |(k, _)| Some(*k) == kind)
            .map(|&(_, from)| from)
    }

    /// Gaps that leave the list of `resource_type` incomplete in `account`, in one
    /// region or (with `None`) in any region.
    pub fn type_gaps<'a>(
        &'a self,
        resource_type: &'a str,
        account: &'a str,
        region: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Gap> + 'a {
        self.gaps
            .iter()
            .filter(move |gap| gap.covers_type(resource_type, account, region))
    }

    /// Gaps recorded against one resource's detail calls.
    pub fn resource_gaps<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Gap> + 'a {
        self.gaps
            .iter()
            .filter(move |gap| gap.resource.as_deref() == Some(id))
    }

    /// Distinct accounts present in resources or gaps, sorted.
    pub fn accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self
            .resources
            .iter()
            .map(|r| r.account.clone())
            .chain(self.gaps.iter().map(|g| g.account.clone()))
            .collect();
        accounts.sort();
        accounts.dedup();
        accounts
    }

    /// Relations whose source or target is not in the inventory.
    pub fn dangling_relations(&self) -> usize {
        self.dangling
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Inventory {
        let trail = Resource::new("trail", "aws.cloudtrail.trail", "111111111111", "us-east-1");
        let bucket = Resource::new("bucket", "aws.s3.bucket", "111111111111", "global")
            .with_property("versioning", json!({"status": "Enabled"}));
        let other = Resource::new("bucket2", "aws.s3.bucket", "222222222222", "global");
        Inventory::new(
            vec![trail, bucket, other],
            vec![
                Relation::new("trail", "delivers_to", "bucket"),
                Relation::new("trail", "delivers_to", "arn:elsewhere"),
            ],
            vec![],
        )
        .unwrap()
    }

    #[test]
    fn indexes_by_id_type_and_account() {
        let inv = sample();
        assert_eq!(inv.of_type("aws.s3.bucket").len(), 2);
        assert_eq!(
            inv.of_type_in_account("222222222222", "aws.s3.bucket"),
            &[2]
        );
        assert!(inv.of_type("aws.ec2.vpc").is_empty());
        assert_eq!(
            inv.get("bucket")
                .unwrap()
                .property("versioning.status")
                .and_then(crate::Value::as_str),
            Some("Enabled")
        );
        assert_eq!(inv.accounts(), vec!["111111111111", "222222222222"]);
    }

    #[test]
    fn navigates_both_directions_and_counts_dangling_edges() {
        let inv = sample();
        let trail = inv.index_of("trail").unwrap();
        let bucket = inv.index_of("bucket").unwrap();
        assert_eq!(
            inv.related(trail, "delivers_to").collect::<Vec<_>>(),
            vec![bucket]
        );
        assert_eq!(
            inv.related_from(bucket, "delivers_to").collect::<Vec<_>>(),
            vec![trail]
        );
        assert_eq!(inv.related(trail, "encrypted_by").count(), 0);
        assert_eq!(inv.dangling_relations(), 1);
    }

    #[test]
    fn rejects_duplicate_ids() {
        let a = Resource::new("x", "aws.s3.bucket", "1", "global");
        let err = Inventory::new(vec![a.clone(), a], vec![], vec![]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "resources[1]: duplicate resource id `x` (first at resources[0])"
        );
    }

    #[test]
    fn gaps_cover_types_by_account_and_region() {
        let gap = Gap {
            service: "cloudtrail".into(),
            operation: "DescribeTrails".into(),
            account: "1".into(),
            region: "eu-west-1".into(),
            resource_types: vec!["aws.cloudtrail.trail".into()],
            resource: None,
            error_code: "AccessDenied".into(),
            message: String::new(),
        };
        let inv = Inventory::new(vec![], vec![], vec![gap]).unwrap();
        assert_eq!(inv.type_gaps("aws.cloudtrail.trail", "1", None).count(), 1);
        assert_eq!(
            inv.type_gaps("aws.cloudtrail.trail", "1", Some("eu-west-1"))
                .count(),
            1
        );
        assert_eq!(
            inv.type_gaps("aws.cloudtrail.trail", "1", Some("us-east-1"))
                .count(),
            0
        );
        assert_eq!(inv.type_gaps("aws.cloudtrail.trail", "2", None).count(), 0);
        assert_eq!(inv.type_gaps("aws.s3.bucket", "1", None).count(), 0);
    }
}
