//! Leases and cycle claims in PostgreSQL: the SQL of `crate::leases`, whose rules it
//! shares. The upsert takes the row lock of the lease, so of two replicas racing for a
//! free or expired lease the second waits for the first to commit, then sees it held.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Pg, ms};
use crate::error::StoreError;
use crate::leases::{Cycle, Lease, check};

pub(crate) fn acquire(
    pg: &mut Pg<'_, '_>,
    name: &str,
    holder: &str,
    ttl: TimeDelta,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const OP: &str = "acquire_lease";
    check(OP, name, holder, Some(ttl))?;
    let changed = pg.execute(
        OP,
        "leases",
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
             expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
        &[&name, &holder, &ms(now + ttl), &ms(now)],
    )?;
    Ok(changed == 1)
}

pub(crate) fn renew(
    pg: &mut Pg<'_, '_>,
    name: &str,
    holder: &str,
    ttl: TimeDelta,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const OP: &str = "renew_lease";
    check(OP, name, holder, Some(ttl))?;
    let changed = pg.execute(
        OP,
        "leases",
        "UPDATE leases SET expires_at = $3
         WHERE name = $1 AND holder = $2 AND expires_at > $4",
        &[&name, &holder, &ms(now + ttl), &ms(now)],
    )?;
    Ok(changed == 1)
}

pub(crate) fn release(pg: &mut Pg<'_, '_>, name: &str, holder: &str) -> Result<bool, StoreError> {
    const OP: &str = "release_lease";
    check(OP, name, holder, None)?;
    let changed = pg.execute(
        OP,
        "leases",
        "DELETE FROM leases WHERE name = $1 AND holder = $2",
        &[&name, &holder],
    )?;
    Ok(changed == 1)
}

pub(crate) fn list(pg: &mut Pg<'_, '_>) -> Result<Vec<Lease>, StoreError> {
    const OP: &str = "list_leases";
    let rows = pg.query(
        OP,
        "leases",
        "SELECT name, holder, expires_at FROM leases ORDER BY name",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Lease {
                name: r.try_get(0)?,
                holder: r.try_get(1)?,
                expires_at: r.try_get(2)?,
            })
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(pg.sql(OP, "leases"))
}

pub(crate) fn claim(
    pg: &mut Pg<'_, '_>,
    cycle: &Cycle,
    target: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const OP: &str = "claim_cycle";
    check(OP, target, holder, None)?;
    let changed = pg.execute(
        OP,
        "cycle_claims",
        "INSERT INTO cycle_claims (schedule, fire_at, target, holder, claimed_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        &[
            &cycle.schedule,
            &ms(cycle.fire_at),
            &target,
            &holder,
            &ms(now),
        ],
    )?;
    Ok(changed == 1)
}

pub(crate) fn claims(
    pg: &mut Pg<'_, '_>,
    cycle: &Cycle,
) -> Result<Vec<(String, String)>, StoreError> {
    const OP: &str = "cycle_claims";
    let rows = pg.query(
        OP,
        "cycle_claims",
        "SELECT target, holder FROM cycle_claims
         WHERE schedule = $1 AND fire_at = $2 ORDER BY target",
        &[&cycle.schedule, &ms(cycle.fire_at)],
    )?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, postgres::Error>>()
        .map_err(pg.sql(OP, "cycle_claims"))
}

pub(crate) fn scan_holder(pg: &mut Pg<'_, '_>, id: i64) -> Result<Option<String>, StoreError> {
    let row = pg.query_opt(
        "scan_holder",
        "scans",
        "SELECT holder FROM scans WHERE id = $1",
        &[&id],
    )?;
    row.map(|r| r.try_get::<_, Option<String>>(0))
        .transpose()
        .map(Option::flatten)
        .map_err(pg.sql("scan_holder", "scans"))
}
