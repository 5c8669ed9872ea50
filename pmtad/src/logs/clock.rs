//! Wall-clock formatting for logs and accounting.
//!
//! Records and log lines carry UTC times with an explicit `+0000` offset: the offset makes
//! the value unambiguous for every reader (PowerMTA's ISO times carry one too), and UTC needs
//! no time-zone database, so formatting a timestamp is a little integer arithmetic on the hot
//! path instead of a call into a date library. Midnight rotation is therefore UTC midnight.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in one day; day numbers (`secs / DAY`) drive midnight rotation.
pub const DAY: u64 = 86_400;

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Civil {
    /// Converts seconds since the epoch ([`proto::time::civil_from_days`], the one calendar
    /// conversion).
    pub fn from_secs(secs: u64) -> Civil {
        let days = (secs / DAY) as i64;
        let rem = secs % DAY;
        let (year, month, day) = proto::time::civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem / 60 % 60) as u32,
            second: (rem % 60) as u32,
        }
    }
}

/// Appends `YYYY-MM-DD`.
pub fn write_date(out: &mut String, secs: u64) {
    let c = Civil::from_secs(secs);
    let _ = write!(out, "{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

/// Appends `YYYY-MM-DD HH:MM:SS`, the main log's line prefix.
pub fn write_stamp(out: &mut String, secs: u64) {
    let c = Civil::from_secs(secs);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
}

/// Appends `YYYY-MM-DD HH:MM:SS+0000`, PowerMTA's `iso-times` form.
pub fn write_iso(out: &mut String, secs: u64) {
    write_stamp(out, secs);
    out.push_str("+0000");
}

/// Appends an RFC 5322 date, `Wed, 25 Nov 2026 13:15:57 +0000` (Received and Date headers,
/// DSNs).
pub fn write_rfc5322(out: &mut String, secs: u64) {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = Civil::from_secs(secs);
    let _ = write!(
        out,
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[((secs / DAY) % 7) as usize],
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    );
}

/// `YYYY-MM-DD` as a new string (file names).
pub fn date(secs: u64) -> String {
    let mut s = String::with_capacity(10);
    write_date(&mut s, secs);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let mut s = String::new();
        write_iso(&mut s, 0);
        assert_eq!(s, "1970-01-01 00:00:00+0000");
        s.clear();
        // 2019-02-08 21:54:05 UTC, the vendor's sample record time.
        write_iso(&mut s, 1_549_662_845);
        assert_eq!(s, "2019-02-08 21:54:05+0000");
        s.clear();
        write_stamp(&mut s, 951_782_400); // leap day 2000
        assert_eq!(s, "2000-02-29 00:00:00");
        assert_eq!(date(4_102_444_799), "2099-12-31");
    }
}
