//! The mail worker: sends the notification mail queued in the `notifications` collection
//! ([`crate::store::mail`]) over SMTP (`SMTP_URL`, lettre over tokio and rustls on ring), a
//! plain-text and an HTML part under a stable Message-ID.
//!
//! Guarantees:
//! - **Never lost**: the mail is queued in the same insert as its notification; while the SMTP
//!   server is down or answers a transient error, the attempt is retried with growing,
//!   jittered backoff (`MAIL_BACKOFF_MS`, at most 5 minutes) for as long as it takes. Only a
//!   permanent refusal (5xx, such as an unknown mailbox, or an address that cannot be parsed)
//!   marks it `failed`.
//! - **Replica safe**: each due mail is claimed with a conditional update for a lease
//!   ([`LEASE`]); another replica skips it meanwhile.
//! - **At least once on one edge**: if the process dies after the SMTP server accepted the
//!   message and before `mailState: sent` is written, the lease runs out and the mail is sent
//!   again, with the same `Message-ID` (`<notification-<id>@alert-service.shop>`), so mail
//!   clients and the sink can recognise the copy. A redelivered *event* never queues a second
//!   mail (see [`crate::notify`]).

use std::{sync::Arc, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use mongodb::Database;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{
    config::MailConfig,
    store::mail::{self, Due, Outcome},
};

/// How often due mail is looked for when nothing nudges the worker.
const POLL: Duration = Duration::from_secs(1);
/// How long a claimed mail is reserved for the replica that claimed it.
pub const LEASE: Duration = Duration::from_secs(60);
/// How long one SMTP conversation may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the worker under [`shared::supervise`] (a panic restarts it, `cancel` ends it);
/// `wake` wakes it when mail is queued. A `SMTP_URL` or `MAIL_FROM` that cannot be used
/// starts nothing, and says so: the mail stays queued for a fixed configuration.
pub fn spawn(db: Database, config: MailConfig, wake: Arc<Notify>, cancel: CancellationToken) {
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url) {
        Ok(builder) => builder.timeout(Some(TIMEOUT)).build(),
        Err(e) => {
            tracing::error!(error = %e, "cannot use SMTP_URL; mail stays queued");
            return;
        }
    };
    let from: Mailbox = match config.from.parse() {
        Ok(from) => from,
        Err(e) => {
            tracing::error!(error = %e, "cannot use MAIL_FROM; mail stays queued");
            return;
        }
    };
    let worker = Arc::new(Worker {
        db,
        config,
        transport,
        from,
    });
    let stop = cancel.clone();
    drop(shared::supervise::spawn("mail", cancel, move || {
        let (worker, wake, cancel) = (worker.clone(), wake.clone(), stop.clone());
        async move { worker.run(&wake, &cancel).await }
    }));
}

/// What the worker's passes share.
struct Worker {
    db: Database,
    config: MailConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Worker {
    /// Passes until `cancel` fires, each after a nudge or [`POLL`].
    async fn run(&self, wake: &Notify, cancel: &CancellationToken) {
        loop {
            if let Err(e) = pass(&self.db, &self.config, &self.transport, &self.from).await {
                tracing::warn!(error = %e, "mail pass failed; trying again");
            }
            if let Err(e) = report_backlog(&self.db).await {
                tracing::warn!(error = %e, "cannot read the mail backlog");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// Sets `notification_mail_backlog` (mail not yet accepted nor refused for good) and
/// `notification_mail_oldest_pending_seconds` (how long the oldest of it has waited; 0 when
/// none): a mail server that is down shows as both rising.
async fn report_backlog(db: &Database) -> Result<(), shared::ApiError> {
    let backlog = mail::backlog(db).await?;
    metrics::gauge!("notification_mail_backlog").set(backlog.pending as f64);
    let age = backlog.oldest.map_or(0.0, |at| {
        (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
    });
    metrics::gauge!("notification_mail_oldest_pending_seconds").set(age);
    Ok(())
}

/// Why a mail was not sent.
enum Refused {
    /// Try again later (server down, timeout, 4xx).
    Transient(String),
    /// Never going to work (5xx, a bad address).
    Permanent(String),
}

/// Sends what is due now.
async fn pass(
    db: &Database,
    config: &MailConfig,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
) -> Result<(), shared::ApiError> {
    let now = shared::outbox::now_millis();
    let lease = i64::try_from(LEASE.as_millis()).unwrap_or(60_000);
    for due in mail::claim_due(db, now, lease, 20).await? {
        let attempts = due.attempts + 1;
        match send(transport, from, &due).await {
            Ok(()) => {
                metrics::counter!("notification_mail_total", "outcome" => "sent").increment(1);
                tracing::info!(notification.id = %due.id, attempts, "mail sent");
                mail::record(db, &due, attempts, Outcome::Sent).await?;
            }
            Err(Refused::Transient(reason)) => {
                metrics::counter!("notification_mail_total", "outcome" => "retry").increment(1);
                let delay = config.delay_after(attempts);
                tracing::warn!(notification.id = %due.id, attempts, %reason, ?delay, "mail not sent; will retry");
                let next = shared::outbox::now_millis()
                    + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4);
                let outcome = Outcome::Retry {
                    next_ms: next,
                    reason: &reason,
                };
                mail::record(db, &due, attempts, outcome).await?;
            }
            Err(Refused::Permanent(reason)) => {
                metrics::counter!("notification_mail_total", "outcome" => "failed").increment(1);
                tracing::error!(notification.id = %due.id, attempts, %reason, "mail refused for good");
                let outcome = Outcome::Failed { reason: &reason };
                mail::record(db, &due, attempts, outcome).await?;
            }
        }
    }
    Ok(())
}

/// The message of `due`: text and HTML alternatives, its stable Message-ID.
pub fn message(from: &Mailbox, due: &Due) -> Result<Message, String> {
    let letter = &due.letter;
    let address = letter
        .to
        .parse()
        .map_err(|e| format!("recipient {:?}: {e}", letter.to))?;
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(letter.name.clone(), address))
        .subject(letter.subject.clone())
        .message_id(Some(due.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            letter.text.clone(),
            letter.html.clone(),
        ))
        .map_err(|e| e.to_string())
}

async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    due: &Due,
) -> Result<(), Refused> {
    let message = message(from, due).map_err(Refused::Permanent)?;
    match transport.send(message).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Refused::Permanent(e.to_string())),
        Err(e) => Err(Refused::Transient(e.to_string())),
    }
}
