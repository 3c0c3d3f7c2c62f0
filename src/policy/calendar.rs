//! Calendar arithmetic in UTC on the proleptic Gregorian calendar: RFC 3339
//! times to Unix seconds and back, the pusher's `2026-11-25 09:30 UTC`, and
//! ISO 8601 weeks (for the report).

use std::fmt;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a calendar date (Howard Hinnant's
/// `days_from_civil`; any year, before the epoch too).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The calendar date of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`): (year, month 1–12, day 1–31).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1–31 and 1–12).
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// Unix seconds of an RFC 3339 time such as `2026-11-25T12:40:02.117Z` or
/// `2026-11-25T13:40:02+01:00` (fractions of a second are dropped); `None`
/// when the text is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        digits.iter().try_fold(0i64, |value, &b| b.is_ascii_digit().then(|| value * 10 + i64::from(b - b'0')))
    };
    let punctuation = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if bytes.len() < 20 || punctuation.iter().any(|&(at, c)| bytes[at] != c) || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(day).ok().filter(|d| (1..=days_in_month(year, month)).contains(d))?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &bytes[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let field = |a: u8, b: u8| (a.is_ascii_digit() && b.is_ascii_digit()).then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'));
            let (hours, minutes) = (field(*h1, *h2)?, field(*m1, *m2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'+' { seconds } else { -seconds }
        }
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60 + second - offset)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Unix seconds as RFC 3339 in UTC, to the second: `2026-11-25T12:40:02Z`.
pub fn format_utc(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(DAY), seconds.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// A time as a pusher reads it: `2026-11-25 09:30 UTC`.
pub fn utc_time(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(DAY), seconds.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// An ISO 8601 week: weeks start on Monday, and week 1 of a year is the
/// one that holds its first Thursday (so 2026-12-31 can be in 2027-W01,
/// and 2027-01-01 in 2026-W53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    /// The ISO week-numbering year.
    pub year: i64,
    /// The week, 1–53.
    pub week: u32,
}

impl IsoWeek {
    /// The week that holds the instant `seconds` (Unix time, UTC).
    pub fn of(seconds: i64) -> IsoWeek {
        let days = seconds.div_euclid(DAY);
        // 1970-01-01 was a Thursday: 0 is Monday.
        let weekday = (days + 3).rem_euclid(7);
        let thursday = days - weekday + 3;
        let (year, _, _) = civil_from_days(thursday);
        let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
        IsoWeek { year, week: u32::try_from(week).unwrap_or(1) }
    }

    /// The date of the week's Monday, `YYYY-MM-DD`.
    pub fn monday(self) -> String {
        let january_4 = days_from_civil(self.year, 1, 4);
        let first_monday = january_4 - (january_4 + 3).rem_euclid(7);
        let (year, month, day) = civil_from_days(first_monday + 7 * (i64::from(self.week) - 1));
        format!("{year:04}-{month:02}-{day:02}")
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> i64 {
        parse_rfc3339(&format!("{date}T12:00:00Z")).expect("a valid date")
    }

    #[test]
    fn reads_rfc3339_times() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2026-11-25T12:40:02.117Z", Some(1_795_610_402)),
            ("2026-11-25T13:40:02+01:00", Some(1_795_610_402)),
            ("2026-11-25T11:10:02-01:30", Some(1_795_610_402)),
            ("2000-02-29T00:00:00z", Some(951_782_400)),
            ("1969-12-31T23:59:59Z", Some(-1)),
            ("2026-11-25 12:40:02Z", Some(1_795_610_402)),
            ("2001-02-29T00:00:00Z", None),
            ("2026-13-01T00:00:00Z", None),
            ("2026-11-25T24:00:00Z", None),
            ("2026-11-25T12:40:02", None),
            ("2026-11-25T12:40:02.Z", None),
            ("2026-11-25T12:40:02+0100", None),
            ("2026-11-25", None),
            ("", None),
            ("２026-11-25T12:40:02Z", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_rfc3339(text), *expected, "{text}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(utc_time(1_795_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(utc_time(-60), "1969-12-31 23:59 UTC");
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_utc(1_795_610_402), "2026-11-25T12:40:02Z");
        for seconds in [-86_400 * 800, -1, 0, 951_782_399, 951_782_400, 4_102_444_800, 1_795_610_402] {
            assert_eq!(parse_rfc3339(&format_utc(seconds)), Some(seconds));
        }
    }

    #[test]
    fn iso_weeks_at_their_boundaries() {
        let cases = [
            // (date, ISO week, its Monday)
            ("2026-11-25", "2026-W48", "2026-11-23"),
            ("2026-11-22", "2026-W47", "2026-11-16"), // Sunday ends a week
            ("2026-11-23", "2026-W48", "2026-11-23"), // Monday starts one
            ("2026-01-01", "2026-W01", "2025-12-29"), // a Thursday: week 1
            ("2025-12-29", "2026-W01", "2025-12-29"), // December, next year's week 1
            ("2027-01-01", "2026-W53", "2026-12-28"), // a Friday: last year's week 53
            ("2027-01-03", "2026-W53", "2026-12-28"),
            ("2027-01-04", "2027-W01", "2027-01-04"),
            ("2021-01-03", "2020-W53", "2020-12-28"),
            ("2024-12-30", "2025-W01", "2024-12-30"),
            ("1970-01-01", "1970-W01", "1969-12-29"),
        ];
        for (date, week, monday) in cases {
            let iso = IsoWeek::of(at(date));
            assert_eq!(iso.to_string(), week, "{date}");
            assert_eq!(iso.monday(), monday, "{date}");
        }
        // The instant a week turns: Sunday 23:59:59 and Monday 00:00:00 UTC.
        let sunday = parse_rfc3339("2026-11-22T23:59:59Z").expect("time");
        assert_eq!(IsoWeek::of(sunday).to_string(), "2026-W47");
        assert_eq!(IsoWeek::of(sunday + 1).to_string(), "2026-W48");
    }
}
