//! PowerMTA-syntax configuration for pmtad: parse text into a spanned raw tree,
//! then resolve it into a typed policy that answers "what are the effective settings
//! of queue (domain, virtual MTA)?", each value carrying the `file:line` it came from.
#![forbid(unsafe_code)]
