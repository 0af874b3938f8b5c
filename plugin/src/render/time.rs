//! Absolute times (`PT_ABSTIME`, nanoseconds since the epoch) as libsinsp prints them.
//!
//! libsinsp formats `%Y-%m-%d %H:%M:%S.XXXXXXXXX %z` in the local time zone and then writes the
//! nine nanosecond digits over the `X`s with a terminator right after them, which cuts the zone
//! off: the text is `2016-08-04 16:17:55.999999999`. The plugin prints UTC (Falco runs with
//! `TZ=UTC` in the oracle; a plugin has no say over the host's zone).

use std::io::Write;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian calendar.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Writes `ns` as `YYYY-MM-DD HH:MM:SS.NNNNNNNNN` (UTC).
pub fn write_abstime(out: &mut Vec<u8>, ns: u64) {
    let secs = (ns / 1_000_000_000) as i64;
    let nsec = ns % 1_000_000_000;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    let _ = write!(
        out,
        "{y}-{m:02}-{d:02} {:02}:{:02}:{:02}.{nsec:09}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ns: u64) -> String {
        let mut o = Vec::new();
        write_abstime(&mut o, ns);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn times() {
        assert_eq!(t(0), "1970-01-01 00:00:00.000000000");
        assert_eq!(
            t(1_470_327_475_999_999_999),
            "2016-08-04 16:17:55.999999999"
        );
        assert_eq!(t(951_782_400_000_000_001), "2000-02-29 00:00:00.000000001");
        assert_eq!(t(u64::MAX), "2554-07-21 23:34:33.709551615");
    }
}
