//! The sinks against real sockets on loopback: HTTP and HEC servers (plain and
//! TLS), syslog receivers over UDP, TCP and TLS, files on disk, and the
//! configuration as the daemon's TOML holds it. One test binary, so that the
//! link happens once.

mod config;
mod file;
mod hec;
mod http;
mod support;
mod syslog;
