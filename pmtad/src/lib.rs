//! pmtad: the daemon as a library, so tests and benchmarks drive the same code the binary runs.
