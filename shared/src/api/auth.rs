//! `/auth/*` bodies: register, sign in, refresh, sign out.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    customers::{Address, Customer},
    rules,
};

/// `POST /auth/register`: a new customer account.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Registration {
    /// Display name, 1 to 100 characters (trimmed).
    #[garde(custom(rules::text(1, 100)))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Email address; normalised (NFKC, lowercase) and unique among accounts.
    #[garde(custom(rules::email))]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 8 to 128 characters, taken exactly as typed.
    #[garde(custom(rules::exact(8, 128)))]
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password: String,
    /// Phone number: digits, spaces, `+ - ( ) .`; 5 to 30 characters.
    #[garde(inner(custom(rules::phone)))]
    #[schema(min_length = 5, max_length = 30)]
    pub phone: Option<String>,
    /// Postal address.
    #[garde(dive)]
    pub address: Option<Address>,
}

/// `POST /auth/login`. The email is not checked for form: a wrong one is a failed sign-in.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The account's email.
    #[garde(custom(rules::exact(1, 254)))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// The password.
    #[garde(custom(rules::exact(1, 128)))]
    #[schema(min_length = 1, max_length = 128, format = Password)]
    pub password: String,
}

/// `POST /auth/refresh`: a refresh token, usable once.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Refresh {
    /// The refresh token of the last sign-in or refresh.
    #[garde(custom(rules::exact(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

/// `POST /auth/logout` (body optional): revokes the access token, and the refresh token's
/// family when one is given.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Logout {
    /// The refresh token to revoke with the access token.
    #[garde(inner(custom(rules::exact(1, 200))))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: Option<String>,
}

/// What registration (201), sign-in and refresh answer: a new session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Session {
    /// Bearer token for every other call.
    pub access_token: String,
    /// Exchange it at `/auth/refresh` for a new pair; usable once.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Who signed in.
    pub customer: Customer,
}
