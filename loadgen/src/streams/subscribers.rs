//! The subscribers of `loadgen streams`: an SSE client and a WebSocket client of one order,
//! each noting when every status change arrives.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::bail;

use eventsource_stream::Eventsource as _;
use futures::{SinkExt as _, StreamExt as _};
use reqwest::Client;
use serde_json::json;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::{
    Message,
    client::IntoClientRequest as _,
    http::{HeaderValue, header::AUTHORIZATION},
    protocol::WebSocketConfig,
};

use super::{Arrival, Kind, Target, new_status, source};
use crate::clock::now_ms;

pub(super) async fn sse(target: Arc<Target>, client: Client) {
    let opened = async {
        let _permit = target.gate.acquire().await?;
        let response = client
            .get(&target.sse_url)
            .bearer_auth(&target.token)
            .header("accept", "text/event-stream")
            .send()
            .await?;
        if response.status() != 200 {
            bail!("SSE answered {}", response.status());
        }
        let mut events = response.bytes_stream().eventsource();
        match tokio::time::timeout(Duration::from_secs(30), events.next()).await {
            Ok(Some(Ok(event))) if event.event == "snapshot" => Ok(events),
            other => bail!("expected a snapshot first, got {other:?}"),
        }
    }
    .await;
    let mut events = match opened {
        Ok(events) => {
            let _ = target.ready.send(Ok(()));
            events
        }
        Err(e) => {
            let _ = target.ready.send(Err(format!("SSE: {e:#}")));
            return;
        }
    };
    while let Some(Ok(event)) = events.next().await {
        if event.event == "order.status_changed" {
            let wall_ms = now_ms();
            let status = new_status(&event.data).unwrap_or_default().to_owned();
            let _ = target.arrivals.send(Arrival {
                kind: Kind::Sse,
                status,
                wall_ms,
            });
        }
    }
}

/// One WebSocket subscriber: connects from its source address, subscribes to the order,
/// waits for the snapshot, reports ready, then notes every change.
pub(super) async fn ws(target: Arc<Target>, i: usize) {
    let opened = async {
        let _permit = target.gate.acquire().await?;
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source(i % target.sources), 0))?;
        let stream = socket.connect(target.addr).await?;
        let mut request = target.ws_url.as_str().into_client_request()?;
        request.headers_mut().insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", target.token))?,
        );
        // A small read buffer: the default is 128 KiB allocated up front, per connection.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let (mut socket, _) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
        let subscribe = json!({ "type": "subscribe", "orderId": target.order }).to_string();
        socket.send(Message::text(subscribe)).await?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(30), socket.next()).await;
            match next {
                Ok(Some(Ok(Message::Text(text)))) if text.contains("\"type\":\"snapshot\"") => {
                    return anyhow::Ok(socket);
                }
                Ok(Some(Ok(Message::Text(text)))) if text.contains("\"type\":\"error\"") => {
                    bail!("subscribing answered {text}")
                }
                Ok(Some(Ok(_))) => {}
                other => bail!("expected a snapshot, got {other:?}"),
            }
        }
    }
    .await;
    let mut socket = match opened {
        Ok(socket) => {
            let _ = target.ready.send(Ok(()));
            socket
        }
        Err(e) => {
            let _ = target.ready.send(Err(format!("WebSocket: {e:#}")));
            return;
        }
    };
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Text(text) = message
            && text.contains("\"type\":\"order.status_changed\"")
        {
            let wall_ms = now_ms();
            let status = new_status(text.as_str()).unwrap_or_default().to_owned();
            let _ = target.arrivals.send(Arrival {
                kind: Kind::Ws,
                status,
                wall_ms,
            });
        }
    }
}
