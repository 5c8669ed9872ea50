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
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    let _ = write!(
        out,
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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
