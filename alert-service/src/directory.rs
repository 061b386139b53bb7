//! Asking customer-service where to mail a customer whose `customer.registered` this service
//! never saw (they signed up before its queue existed, or the event was lost to an old
//! version): `GET /internal/customers/{id}/contact`, with a service token minted for that
//! call alone from the suite's service key (`SERVICE_TOKEN_KEY`, [`shared::auth::service`]:
//! it lives a minute and opens that route only), through [`shared::client`]. The answer is
//! remembered in `recipients`, so each customer is asked for once.
//!
//! The consumer asks only when a mail is due and the address is unknown. A customer-service
//! that is down (or refuses the token) makes the event wait ([`HandlerError::Unavailable`]
//! via a 503): the notification and its mail are delayed, never dropped. An unknown customer
//! (404) gets the notification in-app only.
//!
//! The staff's mail (the weekly report) asks `GET /internal/staff` the same way, each time
//! (the staff changes; the list is short).
//!
//! [`HandlerError::Unavailable`]: shared::events::HandlerError::Unavailable

use shared::{
    ApiError,
    api::customers::Contact,
    auth::service::{CUSTOMER_CONTACT, STAFF_RECIPIENTS, ServiceSigner},
    client::{Call, Service, UpstreamError},
    http::Trust,
};

use crate::{
    config::CustomerLookup,
    store::recipients::{self, Recipient},
};

/// customer-service, as this service asks it; cheap to clone.
#[derive(Clone)]
pub struct Directory {
    service: Service,
    identity: ServiceSigner,
}

impl Directory {
    /// The look-up `config` describes, over a pooled client trusting `trust`.
    pub fn new(config: &CustomerLookup, trust: &Trust) -> Result<Self, reqwest::Error> {
        let client = shared::client::pooled(trust, config.timeout)?;
        Ok(Self {
            service: Service::new("customer-service", &config.url, client),
            identity: config.identity.clone(),
        })
    }

    /// `customer_id`'s address from customer-service, remembered for next time; `None` when
    /// customer-service knows no such customer; 503 when it cannot answer now.
    #[tracing::instrument(skip(self, db))]
    pub async fn recipient(
        &self,
        db: &mongodb::Database,
        customer_id: &str,
        request_id: &str,
    ) -> Result<Option<Recipient>, ApiError> {
        let token = self.identity.mint(CUSTOMER_CONTACT)?;
        let call = Call::with_token(Some(token.as_str()), request_id);
        let answer = self
            .service
            .get_json(
                &format!("/internal/customers/{customer_id}/contact"),
                &[],
                &call,
            )
            .await;
        metrics::counter!("customer_lookups_total", "outcome" => outcome(&answer)).increment(1);
        let body = match answer {
            Ok(body) => body,
            Err(UpstreamError::NotFound) => return Ok(None),
            Err(e) => {
                tracing::warn!(error = %e, "customer-service cannot give the address now; the mail waits");
                return Err(ApiError::UpstreamUnavailable(format!(
                    "customer-service: {e}"
                )));
            }
        };
        // Only the two fields needed are read (of `shared::api::customers::Contact`), so an
        // answer that gains a field never stops mail.
        let data = &body["data"];
        let Some(email) = data["email"].as_str().filter(|e| !e.is_empty()) else {
            return Err(ApiError::UpstreamUnavailable(
                "customer-service answered a customer without an email".to_owned(),
            ));
        };
        let recipient = Recipient {
            email: email.to_owned(),
            name: data["name"].as_str().map(str::to_owned),
        };
        recipients::remember(db, customer_id, &recipient).await?;
        Ok(Some(recipient))
    }
}

impl Directory {
    /// The staff to mail (`GET /internal/staff`: every active admin and the super admin);
    /// 503 when customer-service cannot answer now, so the event waits.
    #[tracing::instrument(skip(self))]
    pub async fn staff(&self, request_id: &str) -> Result<Vec<Contact>, ApiError> {
        let token = self.identity.mint(STAFF_RECIPIENTS)?;
        let call = Call::with_token(Some(token.as_str()), request_id);
        let body = self
            .service
            .get_json("/internal/staff", &[], &call)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "customer-service cannot list the staff now; the report waits");
                ApiError::UpstreamUnavailable(format!("customer-service: {e}"))
            })?;
        serde_json::from_value(body["data"].clone()).map_err(|e| {
            ApiError::UpstreamUnavailable(format!(
                "customer-service answered an unreadable staff list: {e}"
            ))
        })
    }
}

fn outcome<T>(answer: &Result<T, UpstreamError>) -> &'static str {
    match answer {
        Ok(_) => "found",
        Err(UpstreamError::NotFound) => "unknown",
        Err(_) => "unavailable",
    }
}
