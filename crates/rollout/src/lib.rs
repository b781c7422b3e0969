//! The upgrade orchestrator behind `mcp-diag upgrade` and `mcp-diag rehearse`.
//!
//! A pure decision core ([`core::Run`]: the journal folded into a state, and the next
//! commands for a given clock) and edges that carry the commands out: [`driver`] runs the
//! loop over any [`driver::Edges`] (a live cluster, or the simulated one of a rehearsal),
//! [`journal`] writes every event as an fsync'd JSON line, [`gates`] decides pass, hold or
//! fire from readings. See `docs/upgrade.md` for the config, the gate semantics and the state
//! model.

pub mod config;
pub mod config_file;
pub mod core;
pub mod driver;
pub mod gates;
pub mod journal;
pub mod kube;
pub mod model;
pub mod prepare;
pub mod prom_gates;
pub mod rebuild;
pub mod rehearse;
pub mod report;
pub mod sim;
mod text;
