//! Benchmarks as library code: each module measures one part of the MTA and returns its
//! figures, so the `bench` runner and the per-part entry points share one implementation.

pub mod relay;
