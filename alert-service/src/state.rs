//! The state every handler of alert-service shares.

use shared::server::Infra;

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Database, bus and health probes.
    pub infra: Infra,
}
