//! Every integration test, in one binary. Each module is one area (the files beside this one);
//! one binary links the library, Polars and the simulator once instead of fourteen times, which
//! keeps a cold CI build's disk and link time small (each test binary was ~800 MB in the dev
//! profile). Run one area with `cargo test --test integration e2e::`.

mod common;

mod commit;
mod config_check;
mod contract;
mod e2e;
mod email;
mod engines;
mod entra;
mod object_stores;
mod parsers;
mod python_readers;
mod queries;
mod reports;
mod rules;
mod schedule;
mod secrets;
mod shards;
