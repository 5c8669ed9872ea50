//! The HTTP management interface: PowerMTA's web monitor API (`/status`, `/domains`,
//! `/queues`, `/vmtas`, `/domainDetail`, `/queueDetail`, `/jobs`, `/jobDetail`, `/logs`,
//! `POST /command`, each with
//! `format=json` or `format=xml`), Prometheus `/metrics`, and a web page at `/`.
//!
//! Every answer comes from the same [`Backend`] the control socket serves, through the same
//! listing helpers: the HTTP interface renders, it never computes a verb of its own. It
//! runs on the daemon's tokio runtime with hyper's HTTP/1 server; access is decided per
//! request from the running config (`http-access`, `http-api-key`), so a reload that only
//! changes access applies at once, and one that changes `http-mgmt-port` rebinds (see
//! [`server`]).

mod access;
mod command_line;
mod conns;
mod page;
mod params;
mod prom;
mod request_error;
mod routes;
mod server;
mod shape;
mod xml;

use crate::control::Backend;

pub use prom::{MetricsSnapshot, QueueMetrics, TrafficTotals};
pub use request_error::HttpError;
pub use server::{HttpListener, serve, tls_config};

/// What the HTTP interface needs from the daemon beyond the control verbs.
pub trait HttpHost: Backend {
    /// The running `http-*` settings (read once per request).
    fn http_settings(&self) -> config::HttpMgmt;

    /// The numbers behind `/metrics`, read from the daemon's state at scrape time.
    fn metrics(&self) -> MetricsSnapshot;

    /// Recipients received, delivered, bounced and deferred since start (cheap: counters
    /// only), for the web page's live chart.
    fn traffic_totals(&self) -> TrafficTotals;

    /// A line for the main log (listener bound, rebind refused).
    fn log_event(&self, text: String);
}
