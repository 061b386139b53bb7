//! Response bodies passed on as they come: `Timed` fails when the next chunk takes longer than
//! the read timeout (the timer is only armed while a chunk is awaited, so a body that is
//! already there costs no timer), `Counted` holds a guard for as long as the body lives.

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `inner`, failing with `TimedOut` when a chunk takes longer than `limit` to come.
pub struct Timed<B> {
    inner: B,
    limit: Duration,
    /// Armed when a poll found nothing ready; reset by the next chunk.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> Timed<B> {
    pub fn new(inner: B, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            timer: None,
        }
    }
}

impl<B> Body for Timed<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.timer = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = this.limit;
                let timer = this.timer.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(Instant::now() + limit))
                });
                ready!(timer.as_mut().poll(cx));
                this.timer = None;
                let stalled = std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream stalled");
                Poll::Ready(Some(Err(stalled.into())))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// `inner`, holding `guard` until the body is dropped.
pub struct Counted<B, G> {
    inner: B,
    _guard: G,
}

impl<B, G> Counted<B, G> {
    pub fn new(inner: B, guard: G) -> Self {
        Self {
            inner,
            _guard: guard,
        }
    }
}

impl<B, G> Body for Counted<B, G>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
    G: Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map(|frame| frame.map(|f| f.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    async fn next(body: &mut Timed<axum::body::Body>) -> Option<Result<Frame<Bytes>, BoxError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
    }

    #[tokio::test]
    async fn a_chunk_that_does_not_come_in_time_fails_the_body() {
        let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from("first"))]);
        let inner = axum::body::Body::from_stream(first.chain(futures::stream::pending()));
        let mut timed = Timed::new(inner, Duration::from_millis(50));

        let first = next(&mut timed).await.unwrap().unwrap();
        let second = next(&mut timed).await.unwrap();

        assert_eq!(first.into_data().unwrap(), "first");
        assert!(second.is_err(), "stalled");
    }
}
