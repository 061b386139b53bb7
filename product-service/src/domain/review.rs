//! Reviews and ratings, with no I/O: a checked review, a product's rating kept as integer sums
//! (so its average is exact however many edits and hides it went through), and the JSON forms.
//!
//! A product keeps `ratingSum` and `ratingCount` over its *counted* reviews: a review counts
//! with its rating unless it is hidden ([`counted`]). Every change of a review (created,
//! edited, hidden, shown) recounts them from the reviews (`store/reviews.rs`), so they stay
//! equal to a sum over the visible reviews; [`Rating::moved`] is that sum's step for one
//! review, as the unit tests state it.

use shared::{ApiError, api::reviews::ReviewInput};

use super::product::timestamp;

/// What a review says, checked: a rating of 1 to 5, an optional title, a body, all trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDraft {
    /// 1 to 5.
    pub rating: i64,
    /// Trimmed; `None` when absent.
    pub title: Option<String>,
    /// Trimmed, not empty.
    pub body: String,
}

impl ReviewDraft {
    /// A body already checked by its garde rules (`shared::api::reviews::ReviewInput`) as a
    /// draft; the rules are checked again so this type cannot hold a bad rating.
    pub fn from_input(input: ReviewInput) -> Result<Self, ApiError> {
        if !(1..=5).contains(&input.rating) {
            return Err(ApiError::field("rating", "must be from 1 to 5"));
        }
        let body = input.body.trim().to_owned();
        if body.is_empty() {
            return Err(ApiError::field("body", "must not be empty"));
        }
        Ok(Self {
            rating: input.rating,
            title: input
                .title
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            body,
        })
    }
}

/// What a review adds to its product's rating: its stars while visible, nothing when hidden.
pub fn counted(rating: i64, hidden: bool) -> Option<i64> {
    (!hidden).then_some(rating)
}

/// A product's rating as kept: the sum and count of its counted reviews.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rating {
    /// Sum of the counted ratings.
    pub sum: i64,
    /// How many reviews count.
    pub count: i64,
}

impl Rating {
    /// The rating after one review went from counting `before` to counting `after`.
    pub fn moved(self, before: Option<i64>, after: Option<i64>) -> Self {
        let weight = |c: Option<i64>| (c.unwrap_or(0), i64::from(c.is_some()));
        let (old_sum, old_count) = weight(before);
        let (new_sum, new_count) = weight(after);
        Self {
            sum: self.sum - old_sum + new_sum,
            count: self.count - old_count + new_count,
        }
    }

    /// The average in hundredths, rounded half up; `None` without counted reviews.
    pub fn hundredths(self) -> Option<i64> {
        (self.count > 0).then(|| (self.sum * 200 + self.count) / (self.count * 2))
    }

    /// The average as stored for sorting (0 without reviews). Division of two integers is
    /// correctly rounded, so equal fractions (4/2 and 6/3) give equal keys.
    pub fn sort_key(self) -> f64 {
        if self.count > 0 {
            self.sum as f64 / self.count as f64
        } else {
            0.0
        }
    }

    /// `{average, count}`: the average to two decimals (`null` without reviews).
    pub fn view(self) -> shared::api::products::Rating {
        shared::api::products::Rating {
            average: self.hundredths().map(|h| h as f64 / 100.0),
            count: self.count,
        }
    }
}

/// A review as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Its id (24 hex digits).
    pub id: String,
    /// The product reviewed.
    pub product_id: String,
    /// Its author.
    pub customer_id: String,
    /// What it says.
    pub draft: ReviewDraft,
    /// Hidden by an admin.
    pub hidden: bool,
    /// When it was written and last edited.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Review {
    /// As the API shows it.
    pub fn view(&self) -> shared::api::reviews::Review {
        shared::api::reviews::Review {
            id: self.id.clone(),
            product_id: self.product_id.clone(),
            customer_id: self.customer_id.clone(),
            rating: self.draft.rating,
            title: self.draft.title.clone(),
            body: self.draft.body.clone(),
            hidden: self.hidden,
            created_at: timestamp(self.created_at),
            updated_at: timestamp(self.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_is_rounded_half_up_to_two_decimals_from_the_sums() {
        let r = |sum, count| {
            serde_json::to_value(Rating { sum, count }.view()).unwrap()["average"].clone()
        };
        assert_eq!(r(13, 3).to_string(), "4.33");
        assert_eq!(r(14, 3).to_string(), "4.67");
        assert_eq!(r(9, 2).to_string(), "4.5");
        assert_eq!(r(0, 0), serde_json::Value::Null);
        assert_eq!(
            Rating { sum: 1, count: 8 }.hundredths(),
            Some(13),
            "0.125 up"
        );
    }

    #[test]
    fn an_edit_moves_the_sum_by_the_difference_and_a_hide_takes_the_review_out() {
        let start = Rating { sum: 9, count: 2 };
        let edited = start.moved(counted(4, false), counted(2, false));
        assert_eq!(edited, Rating { sum: 7, count: 2 });
        let hidden = edited.moved(counted(2, false), counted(2, true));
        assert_eq!(hidden, Rating { sum: 5, count: 1 });
        assert_eq!(hidden.moved(None, counted(2, false)), edited);
        assert_eq!(start.moved(None, None), start);
    }

    #[test]
    fn equal_averages_have_equal_sort_keys() {
        assert_eq!(
            Rating { sum: 4, count: 2 }.sort_key(),
            Rating { sum: 6, count: 3 }.sort_key()
        );
        assert_eq!(Rating::default().sort_key(), 0.0);
    }
}
