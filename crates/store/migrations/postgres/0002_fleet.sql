-- Fleets (issue 13, item 2): several daemon replicas share this database.
--   * scans.holder: the replica running the scan, so that a replica only marks
--     interrupted the scans whose holder keeps no live lease;
--   * leases: named work (`scan:<target>`, `deliver:<sink>`) held until expires_at and
--     renewed by its holder; an expired lease may be taken by anyone;
--   * cycle_claims: which replica took which target of one firing of a schedule, so
--     each account is scanned once per cycle, even by a replica that starts late.
-- The same tables as SQLite's version 2 (src/migrations.rs).

ALTER TABLE scans ADD COLUMN holder TEXT;

CREATE TABLE leases (
    name        TEXT PRIMARY KEY CHECK (name <> ''),
    holder      TEXT NOT NULL CHECK (holder <> ''),
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE cycle_claims (
    schedule    TEXT NOT NULL,
    fire_at     TIMESTAMPTZ NOT NULL,
    target      TEXT NOT NULL,
    holder      TEXT NOT NULL,
    claimed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (schedule, fire_at, target)
);
CREATE INDEX cycle_claims_by_time ON cycle_claims (claimed_at);
