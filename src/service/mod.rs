//! The service: HTTP in, JSON out, with the policy in force kept live.
//!
//! - [`server`] is the only user of axum: routes, request checks, status codes.
//! - [`pre_receive`] decides one push by joining the git edge to the policy.
//! - [`local`] decides a push in the hook's own process, with the same steps.
//! - [`live`] holds the policy in force and reloads it when its files change.
//! - [`wire`] holds the JSON structs spoken between hook and server.
//! - [`audit`] appends one JSON line per decision; [`metrics`] counts for `/metrics`.

pub mod audit;
pub mod live;
pub mod local;
pub mod metrics;
pub mod pre_receive;
pub mod server;
pub mod wire;
