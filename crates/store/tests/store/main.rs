//! The store's integration tests: one binary (one link), one module per part, every
//! test on a real SQLite file in a temporary directory.

mod common;

mod crash;
mod drift;
mod lifecycle;
mod migrations;
mod outbox;
mod queries;
mod reopen;
mod retention;
