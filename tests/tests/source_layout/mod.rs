//! The source layout the project promises (../shared/DESIGN.md: one module per concern,
//! names that say what they hold), checked on the source tree itself: module names unique
//! in each crate ([`names`]), no import cycle among pmtad's modules ([`imports`]) and one
//! lock-poisoning policy ([`poisoning`]).

mod imports;
mod names;
mod poisoning;
mod scan;
