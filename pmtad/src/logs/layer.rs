//! A `tracing` layer that copies warnings and errors into the main log.
//!
//! Diagnostics are emitted with `tracing` everywhere; operators read the main log. This
//! layer makes every `warn!`/`error!` (accounting write failures, refused reloads...) appear
//! there as `warning: ...` / `error: ...` lines, without each call site knowing about files.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::sink::LogSink;

/// Forwards events at `min` severity or worse (default WARN) to a [`LogSink`].
#[derive(Debug, Clone)]
pub struct MainLogLayer {
    sink: LogSink,
    min: Level,
}

impl MainLogLayer {
    pub fn new(sink: LogSink) -> Self {
        MainLogLayer {
            sink,
            min: Level::WARN,
        }
    }

    /// Also forward less severe events (e.g. `Level::INFO`).
    pub fn with_min_level(mut self, min: Level) -> Self {
        self.min = min;
        self
    }
}

impl<S: Subscriber> Layer<S> for MainLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        // tracing orders levels by verbosity: ERROR < WARN < INFO.
        if level > self.min {
            return;
        }
        let mut text = String::new();
        text.push_str(match level {
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            _ => "",
        });
        event.record(&mut MessageVisitor(&mut text));
        self.sink.event(text);
    }
}

/// Renders `message` first, then other fields as `name=value`.
struct MessageVisitor<'a>(&'a mut String);

impl Visit for MessageVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}
