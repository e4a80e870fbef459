//! ado-posture: crawls Azure DevOps organizations, writes a Parquet dataset of their inventory
//! and security posture, evaluates recommendations and renders reports.
//!
//! The modules follow the data flow: [`config`] → [`crawl`] (through [`ado`]) → [`tables`] →
//! [`dataset`] → [`rules`] → [`report`]; [`job`] wires them for one run. The simulated estate
//! the demo and the tests crawl is its own crate (`crates/sim`), and the command line is
//! `crates/cli`.

pub mod ado;
pub mod allocator;
pub mod changes;
pub mod config;
pub mod crawl;
pub mod dataset;
pub mod email;
pub mod exit_code;
pub mod job;
pub mod lock;
pub mod report;
pub mod rules;
pub mod shard;
pub mod tables;
