//! The consumer of [`topology::NOTIFICATIONS`]: a customer's own orders, payments, returns, loyalty and wishlist
//! become in-app notifications ([`crate::domain::notify`]), mailed when the kind is mailed,
//! the customer wants that category by mail and their address is known; `customer.registered`
//! records the address ([`crate::store::recipients`]), and an address never announced is
//! asked of customer-service once ([`crate::directory`]; while it cannot answer, the event
//! waits rather than lose the mail).
//!
//! `report.weekly` becomes a notification, mailed, for every member of the staff
//! (customer-service lists them, [`crate::directory`]).
//!
//! `customer.erased` forgets the customer: the address (a tombstone, so a late
//! `customer.registered` cannot bring it back), the mail preferences, and every notification
//! with its unsent mail.
//!
//! The inbox is the unique `eventId` of the notifications: the notification, its
//! `notification.created` and its queued mail are one insert, so a redelivered event makes no
//! second notification and queues no second mail.

use std::sync::Arc;

use mongodb::Database;
use serde::Deserialize;
use shared::{
    ApiError,
    api::reports::WeeklyReport,
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology},
    outbox::Nudge,
};
use tokio::sync::Notify;

use crate::{
    directory::Directory,
    domain::{letter, notify},
    store::{
        notifications, preferences,
        recipients::{self, Recipient},
    },
};

/// What the consumer needs.
#[derive(Clone)]
pub struct Handler {
    /// The service's database.
    pub db: Database,
    /// Wakes the outbox relay after a notification is stored.
    pub outbox: Nudge,
    /// Wakes the mail worker; `None` when mail is off (nothing is queued then).
    pub mail: Option<Arc<Notify>>,
    /// customer-service, for addresses never announced; `None`: in-app only for those.
    pub directory: Option<Directory>,
}

/// Starts consuming.
pub fn consume(bus: &Bus, handler: Handler) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::NOTIFICATIONS), move |event| {
        let handler = handler.clone();
        async move { handler.handle(event).await }
    })
}

/// `customer.erased`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Erased {
    customer_id: String,
}

/// `customer.registered`, as far as mail goes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Registered {
    customer_id: String,
    email: String,
    name: Option<String>,
}

impl Handler {
    /// Applies one event, once.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
    pub async fn handle(&self, event: Envelope) -> Result<(), HandlerError> {
        if event.kind == keys::CUSTOMER_REGISTERED {
            let who: Registered = event
                .data_as()
                .map_err(|e| HandlerError::Reject(format!("malformed {}: {e}", event.kind)))?;
            let recipient = Recipient {
                email: who.email,
                name: who.name,
            };
            return recipients::remember(&self.db, &who.customer_id, &recipient)
                .await
                .map_err(HandlerError::from);
        }
        if event.kind == keys::CUSTOMER_ERASED {
            let who: Erased = event
                .data_as()
                .map_err(|e| HandlerError::Reject(format!("malformed {}: {e}", event.kind)))?;
            return self
                .forget(&who.customer_id)
                .await
                .map_err(HandlerError::from);
        }
        if event.kind == keys::REPORT_WEEKLY {
            return self.weekly(&event).await;
        }
        let Some(new) = notify::notification_for(&event).map_err(HandlerError::Reject)? else {
            return Ok(());
        };
        let letter = self
            .letter_for(&new, &event.correlation_id)
            .await
            .map_err(HandlerError::from)?;
        self.store(&new, &event.id.to_string(), letter, &event.correlation_id)
            .await?;
        Ok(())
    }

    /// Stores `new` (with its `letter`) as the notification of `event_id`, once; counts it,
    /// wakes the relay and the mail worker. Whether it is new.
    async fn store(
        &self,
        new: &crate::domain::notification::NewNotification,
        event_id: &str,
        letter: Option<letter::Letter>,
        correlation: &str,
    ) -> Result<bool, ApiError> {
        let stored = notifications::insert(
            &self.db,
            &self.outbox,
            new,
            event_id,
            letter.as_ref(),
            correlation,
        )
        .await?;
        let Some(notification) = stored else {
            tracing::debug!(event_id, "notification already made for this event");
            return Ok(false);
        };
        let mailed = letter.is_some();
        metrics::counter!("notifications_created_total", "kind" => new.kind.as_str(), "mailed" => if mailed { "yes" } else { "no" })
            .increment(1);
        tracing::info!(notification.id = %notification.id, kind = new.kind.as_str(), mailed, "notification made");
        if let (Some(wake), true) = (&self.mail, mailed) {
            wake.notify_one();
        }
        Ok(true)
    }

    /// `report.weekly`: a notification, mailed, for every member of the staff, each once (its
    /// `eventId` is the event's and the admin's), so a redelivery or a retry after
    /// customer-service came back mails no one twice. Staff mail ignores the preferences.
    async fn weekly(&self, event: &Envelope) -> Result<(), HandlerError> {
        let report: WeeklyReport = event
            .data_as()
            .map_err(|e| HandlerError::Reject(format!("malformed {}: {e}", event.kind)))?;
        let Some(directory) = &self.directory else {
            tracing::warn!(week = %report.week, "no customer-service to ask for the staff: the weekly report reaches no one");
            return Ok(());
        };
        let staff = directory.staff(&event.correlation_id).await?;
        for member in &staff {
            let new = notify::reports::weekly(&member.id, &report);
            let letter = self
                .mail
                .as_ref()
                .map(|_| letter::compose(&new, &member.email, Some(&member.name)));
            let event_id = format!("{}/{}", event.id, member.id);
            self.store(&new, &event_id, letter, &event.correlation_id)
                .await?;
        }
        tracing::info!(week = %report.week, staff = staff.len(), "weekly report told to the staff");
        Ok(())
    }

    /// Forgets an erased customer; safe to repeat.
    async fn forget(&self, customer_id: &str) -> Result<(), ApiError> {
        recipients::forget(&self.db, customer_id).await?;
        preferences::forget(&self.db, customer_id).await?;
        let removed = notifications::forget(&self.db, customer_id).await?;
        tracing::info!(
            customer.id = customer_id,
            notifications = removed,
            "customer forgotten"
        );
        Ok(())
    }

    /// The mail of `new`, when mail is on, its kind is mailed, the customer wants it and their
    /// address is known (or customer-service gives it; 503 while it cannot).
    async fn letter_for(
        &self,
        new: &crate::domain::notification::NewNotification,
        request_id: &str,
    ) -> Result<Option<letter::Letter>, ApiError> {
        if self.mail.is_none() || !new.kind.mailed() {
            return Ok(None);
        }
        if !preferences::get(&self.db, &new.customer_id)
            .await?
            .mails(new.kind)
        {
            return Ok(None);
        }
        let mut known = recipients::find(&self.db, &new.customer_id).await?;
        if let (None, Some(directory)) = (&known, &self.directory) {
            known = directory
                .recipient(&self.db, &new.customer_id, request_id)
                .await?;
        }
        let Some(to) = known else {
            metrics::counter!("notification_mail_skipped_total", "reason" => "no_address")
                .increment(1);
            tracing::warn!(customer.id = %new.customer_id, "no address known for this customer; in-app only");
            return Ok(None);
        };
        Ok(Some(letter::compose(new, &to.email, to.name.as_deref())))
    }
}
