//! The store's integration tests: one binary (one link), one module per part. The
//! conformance tests run on both stores, a real SQLite file and a real PostgreSQL
//! server (see `common`); a few check what only one of them has.

#[macro_use]
mod common;

mod copy;
mod crash;
mod drift;
mod fleet;
mod lifecycle;
mod migrations;
mod outbox;
mod postgres_server;
mod queries;
mod reopen;
mod retention;
