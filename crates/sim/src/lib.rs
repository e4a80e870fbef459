//! The simulated Azure DevOps estate: a deterministic generator ([`estate`]) and an HTTP server
//! ([`server`]) that serves it with the real service's URLs, JSON shapes, paging and errors.
//!
//! It shares no parsing or model code with the client (`ado`): it builds its JSON from its own
//! model, so a wrong field name on one side cannot hide behind the same mistake on the other.

pub mod advsec;
pub mod agents;
pub mod behaviour;
pub mod controls;
pub mod entra;
pub mod estate;
pub mod expected;
pub mod identity;
pub mod library;
pub mod pipelines;
pub mod server;
pub mod versions;

pub use behaviour::{ConsumptionLimit, Faults};
pub use estate::{Estate, EstateSizes, GroundTruth};
pub use server::{SimCounters, SimServer, SimSettings};
