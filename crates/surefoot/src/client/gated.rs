//! The lean stack's connector: hyper-util's `HttpConnector`, each connect first taking its
//! turn at the host's rule for new connections while it recovers from an outage
//! (`retry::hold`'s `open_connection`: a few opening at a time, so the pools of many
//! threads do not overflow a small accept queue at once). The connection keeps its turn
//! until the first bytes of an answer come back on it ([`Gated`]), then gives it back.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use tower_service::Service;

use crate::retry::hold::{self, OpenSlot};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `HttpConnector` behind the host's rule for new connections.
#[derive(Clone)]
pub(crate) struct GatedConnector {
    inner: HttpConnector,
}

impl GatedConnector {
    pub(crate) fn new(inner: HttpConnector) -> Self {
        GatedConnector { inner }
    }
}

/// The origin (`scheme://host[:port]`) of a URI, as a client's base URL names its host.
fn origin(uri: &Uri) -> Option<String> {
    let url = url::Url::parse(&uri.to_string()).ok()?;
    Some(url.origin().ascii_serialization())
}

impl Service<Uri> for GatedConnector {
    type Response = Gated<<HttpConnector as Service<Uri>>::Response>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let mut inner = self.inner.clone();
        Box::pin(async move {
            let slot = match origin(&uri) {
                Some(o) => Some(hold::for_host(&o).open_connection().await),
                None => None,
            };
            let io = inner.call(uri).await?;
            Ok(Gated { io, slot })
        })
    }
}

/// A new connection holding its turn until its first answer.
pub(crate) struct Gated<T> {
    io: T,
    slot: Option<OpenSlot>,
}

impl<T: Read + Unpin> Read for Gated<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if polled.is_ready() {
            // Bytes of an answer (or the server's close): it was accepted.
            if let Some(mut slot) = self.slot.take() {
                slot.answered();
            }
        }
        polled
    }
}

impl<T: Write + Unpin> Write for Gated<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

impl<T: Connection> Connection for Gated<T> {
    fn connected(&self) -> Connected {
        self.io.connected()
    }
}
