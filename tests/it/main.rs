//! The integration tests: one binary, real git, real bare repositories, the
//! real hook and the real server on loopback.

mod api;
mod architecture;
mod blast;
mod catalogue;
mod ci;
mod cli;
mod declaration;
mod evasions;
mod limits;
mod local;
mod ops;
mod push;
mod rate;
mod reload;
mod report;
mod servers;
mod signed;
mod trailers;
mod util;
mod walk;
