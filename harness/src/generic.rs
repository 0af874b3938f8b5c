//! The fields libsinsp itself provides for every plugin event (the plugin must not declare them),
//! computed from the event the way libsinsp does, for the harness and the `edera-falco` command:
//! `evt.num`, `evt.rawtime`, `evt.time`, `evt.datetime` (UTC), `evt.source`, `evt.pluginname`.

use crate::event::CapturedEvent;

/// The value of a generic field on `ev`: `None` when `field` is not one of them, `Some(None)`
/// when it has no value.
pub fn value(field: &str, ev: &CapturedEvent) -> Option<Option<String>> {
    let ts = ev.ts();
    Some(Some(match field {
        "evt.num" => ev.evt_num.to_string(),
        "evt.rawtime" => ts.to_string(),
        "evt.time" => clock(ts),
        "evt.datetime" => format!("{} {}", date(ts), clock(ts)),
        "evt.source" => "edera_zone".to_owned(),
        "evt.pluginname" => "edera".to_owned(),
        _ => return None,
    }))
}

/// `HH:MM:SS.nnnnnnnnn` of a timestamp in ns since the epoch, UTC.
pub fn clock(ts: u64) -> String {
    let secs = ts / 1_000_000_000;
    let day = secs % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        day / 3600,
        day / 60 % 60,
        day % 60,
        ts % 1_000_000_000
    )
}

/// `YYYY-MM-DD` of a timestamp in ns since the epoch, UTC (proleptic Gregorian calendar).
pub fn date(ts: u64) -> String {
    let days = (ts / 1_000_000_000 / 86_400) as i64;
    // Days since 0000-03-01, in 400-year eras of 146097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_clocks() {
        // `date -u -d @1690557262` = 2023-07-28 15:14:22.
        let ts = 1_690_557_262_731_217_947;
        assert_eq!(date(ts), "2023-07-28");
        assert_eq!(clock(ts), "15:14:22.731217947");
        assert_eq!(date(0), "1970-01-01");
        // A leap day: 2016-02-29 12:00:00 UTC = 1456747200.
        assert_eq!(date(1_456_747_200 * 1_000_000_000), "2016-02-29");
        assert_eq!(date(951_782_400 * 1_000_000_000), "2000-02-29");
    }
}
