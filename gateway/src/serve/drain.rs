//! A request whose body the router never read to its end (the door refused it, or no route
//! wanted it): the rest of a small body is read and thrown away, or the answer says
//! `Connection: close`.
//!
//! Why: many clients write a request's head and its body in two writes. Refused before the
//! body came, hyper gave up reading it and closed the connection after the answer without
//! saying so, and the client's next request on that connection failed ("server disconnected",
//! broken pipe): 2-3 of 300 sequential logins through httpx (issue 14, item 1). nginx reads
//! and discards such a body; so does this, up to `MAX_BODY_BYTES` and [`DRAIN_TIMEOUT`].

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    http::{HeaderValue, header},
    response::Response,
};
use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// The longest a refused request's body may take to come in before the connection is closed
/// instead (with notice).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves `request` with `router`; if its body comes back unread, reads the rest of it (at
/// most `max_body` bytes, within [`DRAIN_TIMEOUT`]) so that the connection can go on, or
/// marks the answer `Connection: close`. A bodiless request (the common case) costs nothing
/// more.
pub async fn serve(router: Router, request: http::Request<Incoming>, max_body: usize) -> Response {
    if request.body().is_end_stream() {
        return answer(router, request.map(Body::new)).await;
    }
    // Asked to wait for `100 Continue`: the body is not solicited just to throw it away.
    let expects = request.headers().contains_key(header::EXPECT);
    let too_large = request
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n > max_body as u64);
    let (back, mut returned) = oneshot::channel();
    let request = request.map(|body| {
        Body::new(Returned {
            inner: Some(body),
            back: Some(back),
        })
    });
    let mut response = answer(router, request).await;
    // `Empty`: still in use (a proxied body on its way); `Closed`: read to its end.
    let Ok(rest) = returned.try_recv() else {
        return response;
    };
    if expects || too_large || !discarded(rest, max_body).await {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn answer(router: Router, request: http::Request<Body>) -> Response {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Reads `rest` to its end; whether that came within `max_body` bytes and in time.
async fn discarded(mut rest: Incoming, max_body: usize) -> bool {
    let read = async {
        let mut total = 0usize;
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut rest).poll_frame(cx)).await;
            match frame {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(frame)) => {
                    total += frame.data_ref().map_or(0, Bytes::len);
                    if total > max_body {
                        return false;
                    }
                }
            }
        }
    };
    tokio::time::timeout(DRAIN_TIMEOUT, read)
        .await
        .unwrap_or(false)
}

/// A request body that, dropped before its end, sends what is left of it back.
struct Returned {
    inner: Option<Incoming>,
    /// `None` once the body ended: nothing to send back.
    back: Option<oneshot::Sender<Incoming>>,
}

impl http_body::Body for Returned {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(&mut *inner).poll_frame(cx);
        let ended = match &polled {
            Poll::Ready(None | Some(Err(_))) => true,
            Poll::Ready(Some(Ok(_))) => inner.is_end_stream(),
            Poll::Pending => false,
        };
        if ended {
            this.back = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        if let (Some(back), Some(rest)) = (self.back.take(), self.inner.take()) {
            let _ = back.send(rest);
        }
    }
}
