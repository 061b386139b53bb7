//! Identity: the caller's claims, token verification with customer-service's public key, and
//! the `Caller` / `MaybeCaller` extractors.
//!
//! Only customer-service signs tokens (Ed25519, `EdDSA`); everyone else verifies them with the
//! public key, given as PEM (`JWT_PUBLIC_KEY`) or fetched from customer-service's JWKS
//! (`JWKS_URL`) and refreshed when a token names a key id it does not know. A token revoked at
//! logout is refused wherever Redis is at hand (`revocations`: a local set fed by Redis
//! pub/sub, with Redis asked directly while that set is incomplete). Headers such as
//! `x-user-id` are never trusted: the token is the only proof. Services calling each other's
//! internal routes use short-lived service tokens of their own key ([`service`]).

pub mod actor;
mod extract;
mod revocations;
pub mod service;
mod signer;
mod verified;
mod verifier;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use extract::{Admin, Caller, MaybeCaller, bearer_token, bearer_token_in, takes_query_token};
pub use revocations::{CHANNEL as REVOCATION_CHANNEL, revoked_key};
pub use signer::Signer;
pub use verifier::{KeySource, Verifier};

/// Who may do what (DESIGN.md, "Identity and access").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A shopper: their own records only.
    Customer,
    /// Staff: catalog writes, order status by hand, analytics.
    Admin,
    /// The shop's owner (the `ADMIN_EMAIL` account): everything an admin may do, and the
    /// staff itself: who is an admin, which accounts are disabled, the audit log of what
    /// admins did. An admin cannot grant a role.
    SuperAdmin,
}

impl Role {
    /// `customer`, `admin` or `super_admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Admin => "admin",
            Self::SuperAdmin => "super_admin",
        }
    }

    /// Whether the role is staff: an admin or the super admin.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Admin | Self::SuperAdmin)
    }
}

/// The issuer every token names.
pub const ISSUER: &str = "customer-service";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The customer's id.
    pub sub: String,
    /// The customer's role.
    pub role: Role,
    /// Unique token id; logout revokes by it.
    pub jti: String,
    /// The session (refresh family) the token was issued in: logout and a detected refresh
    /// reuse revoke it, and with it every access token of the session. Empty in tokens signed
    /// before sessions were named, which then can only be revoked one by one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sid: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Always [`ISSUER`].
    pub iss: String,
}
