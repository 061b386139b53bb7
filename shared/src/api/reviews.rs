//! Review bodies and queries: `POST /products/{id}/reviews` and `PUT /products/{id}/reviews/mine`
//! take the same review; `GET /products/{id}/reviews` pages them; an admin hides or shows one
//! with `PATCH /products/{id}/reviews/{reviewId}`.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// Lowest rating.
pub const MIN_RATING: i64 = 1;
/// Highest rating.
pub const MAX_RATING: i64 = 5;

/// A customer's review of a product they received. `PUT` replaces every field, so an omitted
/// title goes away.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewInput {
    /// A whole number of stars, 1 to 5.
    #[garde(custom(rules::whole(MIN_RATING, MAX_RATING)))]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// 1 to 200 characters (trimmed); none when omitted.
    #[garde(inner(custom(rules::text(1, 200))))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// 1 to 5000 characters (trimmed).
    #[garde(custom(rules::text(1, 5000)))]
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
}

/// An admin's moderation of one review.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewVisibility {
    /// `true` hides the review from the list and the product's rating; `false` shows it again.
    #[garde(skip)]
    pub hidden: bool,
}

/// Every order reviews can be listed in.
pub const REVIEW_SORTS: &[&str] = &["recent", "rating"];

/// `GET /products/{id}/reviews`: one page of the visible reviews.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReviewFilter {
    /// `recent` (newest first, the default) or `rating` (most stars first, then newest).
    #[garde(inner(custom(rules::one_of(REVIEW_SORTS))))]
    pub sort: Option<String>,
}

/// The query of that list: its filters and its [`Paging`](super::query::Paging).
pub type ReviewQuery = super::query::Paged<ReviewFilter>;

/// A review as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Review {
    /// Id, 24 hex digits.
    pub id: String,
    /// The product reviewed.
    pub product_id: String,
    /// Its author.
    pub customer_id: String,
    /// Stars, 1 to 5.
    pub rating: i64,
    /// The title, or `null`.
    pub title: Option<String>,
    /// What it says.
    pub body: String,
    /// Hidden by an admin.
    pub hidden: bool,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;

    fn details(body: &str) -> serde_json::Value {
        match super::super::parse::<ReviewInput>(body.as_bytes()) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    #[test]
    fn a_rating_outside_one_to_five_and_an_empty_body_are_both_named() {
        let problems = details(r#"{"rating": 6, "body": "  "}"#);
        assert!(problems["rating"].is_string(), "{problems}");
        assert!(problems["body"].is_string(), "{problems}");
        assert!(details(r#"{"rating": 0, "body": "fine"}"#)["rating"].is_string());
    }

    #[test]
    fn a_fractional_rating_is_a_type_error_on_rating() {
        assert!(details(r#"{"rating": 4.5, "body": "fine"}"#)["rating"].is_string());
    }

    #[test]
    fn a_review_sort_must_be_recent_or_rating() {
        let err = crate::api::query::parse::<ReviewQuery>(Some("sort=best&limit=0")).unwrap_err();
        let ApiError::Validation { details, .. } = err else {
            panic!("not a validation error")
        };
        assert!(details["sort"].is_string() && details["limit"].is_string());
        assert!(crate::api::query::parse::<ReviewQuery>(Some("sort=rating&page=2")).is_ok());
    }
}
