//! Scheduling policy: connection gates and rate limits per queue.
//!
//! Pure state machines with the clock passed in, so they are tested without sleeping and the
//! dispatcher that drives them stays a thin loop.

pub mod gate;
pub mod mode;
pub mod rate_limit;
pub mod retry;

pub use gate::{Hold, Limits, QueueGate};
pub use mode::{BackoffExit, Mode, ModeState};
pub use rate_limit::{Rate, RateLimiter};
pub use retry::{AfterTransient, RetryPolicy};
