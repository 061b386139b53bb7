//! The card a new order is paid with (issue 15): a new `card`, tokenised by the provider now
//! (a card it refuses is 400 naming `card.<field>`, before anything is stored; the provider
//! down is 503), or a saved card of the customer's (`paymentMethodId`, read with its token from
//! customer-service). Only the token, brand, last four digits and expiry reach the order; the
//! number and cvc live in this request's memory alone.
//!
//! `POST /checkout` always has a payment step: without `card` or `paymentMethodId` it takes the
//! customer's default saved card, and without one it is 422. `POST /orders` has one only when
//! the body names a card: without, the order is an invoiced API order (no payment step).

use serde_json::{Value, json};
use shared::{
    ApiError,
    api::payments::NewCard,
    client::Call,
    payment::{Card, ProviderError},
};

use crate::{domain::Payment, state::AppState};

/// What the body asked to pay with.
#[derive(Debug, Clone, Copy)]
pub enum Choice<'a> {
    /// A new card.
    Card(&'a NewCard),
    /// A saved card, by id.
    Saved(&'a str),
    /// Neither.
    Unnamed,
}

impl<'a> Choice<'a> {
    /// The choice of a body with these fields (the body's rules refuse both at once).
    pub fn of(card: Option<&'a NewCard>, payment_method_id: Option<&'a str>) -> Self {
        match (card, payment_method_id) {
            (Some(card), _) => Self::Card(card),
            (None, Some(id)) => Self::Saved(id),
            (None, None) => Self::Unnamed,
        }
    }
}

/// The payment of a checkout: the card chosen, or the customer's default saved card.
pub async fn for_checkout(
    state: &AppState,
    customer: &str,
    call: &Call<'_>,
    choice: Choice<'_>,
) -> Result<Payment, ApiError> {
    match choice {
        Choice::Card(card) => tokenize(state, card).await,
        Choice::Saved(id) => saved(state, customer, call, Some(id)).await,
        Choice::Unnamed => saved(state, customer, call, None).await,
    }
}

/// The payment of `POST /orders`: `None` (an invoiced API order) when the body names no card.
pub async fn for_order(
    state: &AppState,
    customer: &str,
    call: &Call<'_>,
    choice: Choice<'_>,
) -> Result<Option<Payment>, ApiError> {
    match choice {
        Choice::Unnamed => Ok(None),
        choice => for_checkout(state, customer, call, choice).await.map(Some),
    }
}

/// A new card, tokenised by the provider.
async fn tokenize(state: &AppState, card: &NewCard) -> Result<Payment, ApiError> {
    let provider = &state.payments;
    let tokenized = provider
        .tokenize(&Card::from(card))
        .await
        .map_err(|e| match e {
            ProviderError::InvalidCard { field, message } => {
                ApiError::field(&format!("card.{field}"), &message)
            }
            ProviderError::Unavailable(_) => {
                ApiError::UpstreamUnavailable("the payment provider".to_owned())
            }
            ProviderError::Refused(why) => ApiError::Unprocessable(why),
        })?;
    Ok(Payment::pending(
        provider.name(),
        &tokenized.brand,
        &tokenized.last4,
        i32::from(tokenized.exp_month),
        i32::from(tokenized.exp_year),
        &tokenized.token,
    ))
}

/// `details.code` of a checkout that names no card and has no default saved card.
pub const REQUIRED: &str = "PAYMENT_METHOD_REQUIRED";
/// `details.code` of a `paymentMethodId` that is not one of the caller's saved cards.
pub const NOT_FOUND: &str = "PAYMENT_METHOD_NOT_FOUND";
/// `details.code` of a saved card tokenised by another payment provider.
pub const OTHER_PROVIDER: &str = "PAYMENT_METHOD_OTHER_PROVIDER";

/// A 422 with a machine-readable `details.code` (like a coupon's `reason`), so a storefront
/// can tell "choose a card" from other refusals without reading the message.
/// `fields`: what the caller can send to fix it.
fn refused(code: &str, fields: &[&str], message: String) -> ApiError {
    ApiError::Refused {
        message,
        details: json!({ "code": code, "fields": fields }),
    }
}

/// A saved card of `customer` (`id`, or the default one), with its token.
async fn saved(
    state: &AppState,
    customer: &str,
    call: &Call<'_>,
    id: Option<&str>,
) -> Result<Payment, ApiError> {
    let method = state.upstream.payment_method(customer, id, call).await?;
    let Some(method) = method else {
        return Err(match id {
            Some(id) => refused(
                NOT_FOUND,
                &["paymentMethodId"],
                format!("paymentMethodId: no saved card {id} of yours"),
            ),
            None => refused(
                REQUIRED,
                &["card", "paymentMethodId"],
                "a payment method is required: send card or paymentMethodId, or save a default card"
                    .to_owned(),
            ),
        });
    };
    if method.provider != state.payments.name() {
        // A token is only good with the provider that made it.
        return Err(refused(
            OTHER_PROVIDER,
            &["paymentMethodId"],
            format!(
                "paymentMethodId: the saved card belongs to payment provider {:?}; add it again",
                method.provider
            ),
        ));
    }
    Ok(Payment::pending(
        &method.provider,
        &method.brand,
        &method.last4,
        i32::from(method.exp_month),
        i32::from(method.exp_year),
        &method.token,
    ))
}

/// The part of a body's card that goes into its idempotency fingerprint: last four digits and
/// expiry, never the number or cvc (a hash of a card number can be reversed by trying every
/// number, and the fingerprint is kept in Redis).
pub fn fingerprint_card(body: &mut Value) {
    let Some(card) = body.get_mut("card") else {
        return;
    };
    let number: String = card["number"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let last4 = number.get(number.len().saturating_sub(4)..).unwrap_or("");
    *card = json!({
        "last4": last4,
        "expMonth": card["expMonth"],
        "expYear": card["expYear"],
        "holder": card["holder"],
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprinted_card_keeps_its_last_four_and_expiry_but_never_the_number_or_cvc() {
        let mut body = json!({"items": [], "card": {"number": "4111 1111 1111 1111",
            "expMonth": 12, "expYear": 2030, "cvc": "7391"}});
        let mut other = body.clone();
        other["card"]["number"] = json!("4000 0566 5566 1111");

        fingerprint_card(&mut body);
        fingerprint_card(&mut other);

        let text = body.to_string();
        assert!(
            !text.contains("4111 1111") && !text.contains("7391"),
            "{text}"
        );
        assert_eq!(body["card"]["last4"], "1111");
        assert_eq!(body["items"], json!([]));
        // The same last four and expiry read as the same request: an accepted trade-off.
        assert_eq!(body, other);
    }
}
