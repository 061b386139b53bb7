//! The supervisor of the broker connection: (re)connects with backoff, declares the shared
//! topology (exchange, dead-letter exchange and queue), and waits for the connection to fail.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use lapin::{
    Connection, ConnectionProperties, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::FieldTable,
};
use tokio_util::sync::CancellationToken;

use super::{Bus, BusError, ConnectionState};

impl Bus {
    /// Connects, declares the shared topology, waits for the connection to fail, and again,
    /// until cancelled.
    pub(super) async fn supervise(self) {
        let cancel = self.inner.cancel.clone();
        let mut backoff = crate::retry::RECONNECT.backoff();
        let mut generation = 0u64;
        while !cancel.is_cancelled() {
            match self.connect().await {
                Ok(connection) => {
                    backoff.reset();
                    generation += 1;
                    let connection = Arc::new(connection);
                    tracing::info!(generation, "connected to the broker");
                    metrics::gauge!("broker_connected", "service" => self.inner.source.clone())
                        .set(1.0);
                    self.inner.state.send_replace(ConnectionState::Connected {
                        connection: connection.clone(),
                        generation,
                    });
                    let lost = wait_until_lost(&connection, &cancel).await;
                    self.inner.state.send_replace(ConnectionState::Disconnected);
                    metrics::gauge!("broker_connected", "service" => self.inner.source.clone())
                        .set(0.0);
                    if lost {
                        tracing::warn!(generation, "lost the broker connection; reconnecting");
                    } else {
                        let _ = connection.close(200, "shutting down".into()).await;
                    }
                }
                Err(e) => {
                    let wait = backoff.next_delay();
                    tracing::debug!(error = %e, ?wait, "broker not reachable");
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = cancel.cancelled() => {}
                    }
                }
            }
        }
    }

    async fn connect(&self) -> Result<Connection, BusError> {
        let properties =
            ConnectionProperties::default().with_connection_name(self.inner.source.clone().into());
        let uri = amqp_uri(&self.inner.config.url)?;
        let connection = tokio::time::timeout(
            Duration::from_secs(5),
            Connection::connect_uri(uri, properties),
        )
        .await
        .map_err(|_| BusError::Timeout)??;
        if let Err(e) = self.declare_base_topology(&connection).await {
            let _ = connection.close(200, "topology failed".into()).await;
            return Err(e);
        }
        Ok(connection)
    }

    async fn declare_base_topology(&self, connection: &Connection) -> Result<(), BusError> {
        let channel = connection.create_channel().await?;
        let durable = ExchangeDeclareOptions {
            durable: true,
            auto_delete: self.inner.config.ephemeral,
            ..Default::default()
        };
        channel
            .exchange_declare(
                self.inner.config.exchange.as_str().into(),
                ExchangeKind::Topic,
                durable,
                FieldTable::default(),
            )
            .await?;
        channel
            .exchange_declare(
                self.dead_letter_exchange().into(),
                ExchangeKind::Fanout,
                durable,
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_declare(
                self.dead_letter_queue().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                self.queue_args(&[]),
            )
            .await?;
        channel
            .queue_bind(
                self.dead_letter_queue().into(),
                self.dead_letter_exchange().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        for def in crate::events::topology::QUEUES {
            self.declare_queue(&channel, &self.queue_name(def.suffix), def.keys)
                .await?;
        }
        let _ = channel.close(200, "topology declared".into()).await;
        Ok(())
    }
}

/// Resolves when the connection is lost (`true`) or the token is cancelled (`false`).
async fn wait_until_lost(connection: &Connection, cancel: &CancellationToken) -> bool {
    let mut events = Box::pin(connection.events_listener());
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = cancel.cancelled() => return false,
            event = events.next() => match event {
                Some(lapin::Event::Error(e)) => {
                    tracing::warn!(error = %e, "broker connection error");
                    return true;
                }
                None => return true,
                Some(_) => {}
            },
            _ = tick.tick() => if !connection.status().connected() {
                return true;
            },
        }
    }
}

/// The largest frame asked of the broker unless the URL says otherwise (`?frame_max=`). lapin
/// keeps a send and a receive buffer of 32 frames each, zero-filled: at RabbitMQ's default of
/// 128 KiB that was 8 MiB of every service's 21-23 MiB idle (bench footprint). Events are a
/// few KiB; a larger one simply takes several frames.
const FRAME_MAX: u32 = 16 * 1024;

/// `url` parsed, with [`FRAME_MAX`] unless it names its own.
fn amqp_uri(url: &str) -> Result<lapin::uri::AMQPUri, BusError> {
    let mut uri: lapin::uri::AMQPUri = url.parse().map_err(BusError::BadUrl)?;
    if uri.query.frame_max.is_none() {
        uri.query.frame_max = Some(FRAME_MAX);
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_broker_is_asked_for_small_frames_unless_the_url_says_otherwise() {
        let default = amqp_uri("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap();
        let own = amqp_uri("amqp://guest:guest@127.0.0.1:5672/%2f?frame_max=65536").unwrap();

        assert_eq!(default.query.frame_max, Some(FRAME_MAX));
        assert_eq!(own.query.frame_max, Some(65_536));
        assert!(matches!(amqp_uri("http://nope"), Err(BusError::BadUrl(_))));
    }
}
