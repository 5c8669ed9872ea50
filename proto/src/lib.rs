//! The control protocol between `pmtactl` and `pmtad`.
#![forbid(unsafe_code)]
