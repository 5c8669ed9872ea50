//! Our `Received:` trace header (RFC 5321 §4.4), prepended to every stored message when the
//! source has `add-received-header` (the default).

use std::fmt::Write;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the header says about the connection.
pub(crate) struct Trace<'a> {
    pub helo: &'a str,
    pub ip: IpAddr,
    pub host: &'a str,
    pub esmtp: bool,
    pub tls: bool,
    /// `hide-message-source`: say nothing about the client.
    pub hide_source: bool,
}

/// Writes the header, folded, with its CRLF, into `out` (cleared first).
pub(crate) fn write_header(out: &mut String, t: &Trace<'_>, now: SystemTime) {
    out.clear();
    out.push_str("Received: ");
    if !t.hide_source {
        let _ = write!(out, "from {} ([{}])\r\n\t", t.helo, t.ip);
    }
    let proto = match (t.esmtp, t.tls) {
        (true, true) => "ESMTPS",
        (true, false) => "ESMTP",
        (false, true) => "SMTPS",
        (false, false) => "SMTP",
    };
    let _ = write!(out, "by {} (pmtad) with {proto};\r\n\t", t.host);
    rfc5322_date(out, now);
    out.push_str("\r\n");
}

/// Appends an RFC 5322 date in UTC, e.g. `Wed, 25 Nov 2026 13:15:57 +0000`.
pub(crate) fn rfc5322_date(out: &mut String, now: SystemTime) {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    crate::logs::clock::write_rfc5322(out, secs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_dates() {
        let mut s = String::new();
        rfc5322_date(&mut s, UNIX_EPOCH + Duration::from_secs(1_795_612_557));
        assert_eq!(s, "Wed, 25 Nov 2026 13:15:57 +0000");
        s.clear();
        rfc5322_date(&mut s, UNIX_EPOCH + Duration::from_secs(951_782_400));
        assert_eq!(s, "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn hides_the_source_when_asked() {
        let mut t = Trace {
            helo: "client.example",
            ip: "127.0.0.1".parse().unwrap(),
            host: "mta.example",
            esmtp: true,
            tls: true,
            hide_source: false,
        };
        let mut s = String::new();
        write_header(&mut s, &t, UNIX_EPOCH);
        assert!(s.starts_with(
            "Received: from client.example ([127.0.0.1])\r\n\tby mta.example (pmtad) with ESMTPS;\r\n\t"
        ));
        assert!(s.ends_with("+0000\r\n"));
        t.hide_source = true;
        write_header(&mut s, &t, UNIX_EPOCH);
        assert!(!s.contains("127.0.0.1") && !s.contains("client.example"));
    }
}
