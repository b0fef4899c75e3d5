//! Tolerant models: the typed results of the Specala and PyAI clients read only what they
//! must. The wire formats beyond ids are surefoot's guesses (the API documents give none), so
//! a model requires its `id` alone (a string, or a number kept as its decimal text); every
//! other field is an accessor that reads the server's JSON and answers `None` when the field
//! is missing, `null` or of another type than expected. Timestamps are accepted as RFC 3339
//! strings or Unix seconds (integer or float; see [`parse_timestamp`]) and offered both
//! parsed and as sent. Unknown fields are kept: every model carries the server's whole JSON
//! object ([`raw`](crate::pyai::Job::raw), and [`get`](crate::pyai::Job::get) for one
//! member), serialises back to exactly that object, and compares equal by it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// Earliest Unix second accepted as a timestamp (0001-01-01T00:00:00Z).
const MIN_UNIX_SECONDS: f64 = -62_135_596_800.0;
/// Latest Unix second accepted as a timestamp (9999-12-31T23:59:59Z).
const MAX_UNIX_SECONDS: f64 = 253_402_300_799.0;

/// Reads a timestamp as servers send them: an RFC 3339 string (`2026-01-02T03:04:05Z`,
/// `2026-01-02T03:04:05.250+02:00`; a space instead of `T` and a missing offset, read as
/// UTC, are tolerated), or Unix seconds as an integer, a float or a string of digits.
/// Anything else (other types, impossible dates, values before year 1 or after 9999, NaN)
/// is `None`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use serde_json::json;
/// use surefoot::model::parse_timestamp;
///
/// let t = UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
/// assert_eq!(parse_timestamp(&json!("2026-01-01T00:00:00Z")), Some(t));
/// assert_eq!(parse_timestamp(&json!("2026-01-01T02:00:00+02:00")), Some(t));
/// assert_eq!(parse_timestamp(&json!(1_767_225_600)), Some(t));
/// assert_eq!(parse_timestamp(&json!(1_767_225_600.5)), Some(t + Duration::from_millis(500)));
/// assert_eq!(parse_timestamp(&json!("2026-02-30T00:00:00Z")), None);
/// assert_eq!(parse_timestamp(&json!(null)), None);
/// ```
pub fn parse_timestamp(value: &Value) -> Option<SystemTime> {
    match value {
        Value::Number(n) => unix_seconds(n.as_f64()?),
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
                && let Ok(secs) = s.parse::<f64>()
            {
                return unix_seconds(secs);
            }
            parse_rfc3339(s)
        }
        _ => None,
    }
}

fn unix_seconds(secs: f64) -> Option<SystemTime> {
    if !secs.is_finite() || !(MIN_UNIX_SECONDS..=MAX_UNIX_SECONDS).contains(&secs) {
        return None;
    }
    if secs >= 0.0 {
        UNIX_EPOCH.checked_add(Duration::from_secs_f64(secs))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs_f64(-secs))
    }
}

/// `YYYY-MM-DD(T|t| )HH:MM:SS(.fraction)?(Z|z|±HH:MM|±HHMM)?`, offset-less read as UTC.
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos: u64 = 0;
    if let Some((b'.', tail)) = rest.split_first() {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for (i, d) in tail[..digits].iter().enumerate().take(9) {
            nanos += u64::from(d - b'0') * 10u64.pow(8 - i as u32);
        }
        rest = &tail[digits..];
    }
    let offset_secs: i64 = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let tail: Vec<u8> = tail.iter().copied().filter(|c| *c != b':').collect();
            if tail.len() != 4 || !tail.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let h = i64::from(tail[0] - b'0') * 10 + i64::from(tail[1] - b'0');
            let m = i64::from(tail[2] - b'0') * 10 + i64::from(tail[3] - b'0');
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs as u64))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    base.checked_add(Duration::from_nanos(nanos))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The id of a server object: a non-empty string, or a number kept as its decimal text.
pub(crate) fn id_of(obj: &Map<String, Value>, what: &str) -> Result<String, String> {
    match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(_)) => Err(format!("{what} has an empty `id`")),
        Some(Value::Null) | None => Err(format!("{what} has no `id`")),
        Some(_) => Err(format!(
            "{what} has an `id` that is neither a string nor a number"
        )),
    }
}

/// The object a model is made from, or why it cannot be one.
pub(crate) fn object_of(value: Value, what: &str) -> Result<(String, Value), String> {
    let id = match &value {
        Value::Object(obj) => id_of(obj, what)?,
        _ => return Err(format!("{what} is not a JSON object")),
    };
    Ok((id, value))
}

/// A string member (`None` when missing or not a string).
pub(crate) fn str_field<'a>(raw: &'a Value, name: &str) -> Option<&'a str> {
    raw.get(name).and_then(Value::as_str)
}

/// A number member (`None` when missing or not a number).
pub(crate) fn f64_field(raw: &Value, name: &str) -> Option<f64> {
    raw.get(name).and_then(Value::as_f64)
}

/// Any member that is present and not `null`.
pub(crate) fn value_field<'a>(raw: &'a Value, name: &str) -> Option<&'a Value> {
    raw.get(name).filter(|v| !v.is_null())
}

/// Defines a tolerant model: a struct of the id and the server's JSON, with `id()`, `raw()`,
/// `into_raw()`, `get()`, `from_value()`, `Serialize` (the raw JSON), `Deserialize` (any
/// object with an id) and equality by the raw JSON. `Debug` is left to the caller when
/// `custom debug` is given.
macro_rules! model {
    (
        $(#[$attr:meta])*
        $name:ident, $what:literal, $path:literal, $example:literal $(, $custom:ident debug)?
    ) => {
        $(#[$attr])*
        #[derive(Clone, PartialEq)]
        pub struct $name {
            id: String,
            raw: serde_json::Value,
        }

        impl $name {
            #[doc = concat!("Makes a ", $what, " from the server's JSON: any object with an `id` ",
                "(a string, or a number kept as its decimal text). Anything else is an error ",
                "naming what is wrong.\n\n```\nlet value = serde_json::json!(", $example, ");\n",
                "let model = ", $path, "::from_value(value.clone()).unwrap();\n",
                "assert_eq!(model.raw(), &value);\n",
                "assert!(", $path, "::from_value(serde_json::json!({\"title\": \"x\"})).is_err());\n```")]
            pub fn from_value(value: serde_json::Value) -> std::result::Result<Self, String> {
                let (id, raw) = $crate::leaves::model::object_of(value, $what)?;
                Ok($name { id, raw })
            }

            #[doc = concat!("The id (never empty).\n\n```\nlet model = ", $path,
                "::from_value(serde_json::json!(", $example, ")).unwrap();\n",
                "assert!(!model.id().is_empty());\n```")]
            pub fn id(&self) -> &str {
                &self.id
            }

            #[doc = concat!("The server's whole JSON object, unknown fields included.\n\n```\n",
                "let model = ", $path, "::from_value(serde_json::json!(", $example, ")).unwrap();\n",
                "assert!(model.raw().is_object());\n```")]
            pub fn raw(&self) -> &serde_json::Value {
                &self.raw
            }

            #[doc = concat!("Consumes the model, returning the server's JSON.\n\n```\n",
                "let value = serde_json::json!(", $example, ");\n",
                "let model = ", $path, "::from_value(value.clone()).unwrap();\n",
                "assert_eq!(model.into_raw(), value);\n```")]
            pub fn into_raw(self) -> serde_json::Value {
                self.raw
            }

            #[doc = concat!("One member of the server's JSON as sent, known or not (`None` when ",
                "absent).\n\n```\nlet model = ", $path,
                "::from_value(serde_json::json!(", $example, ")).unwrap();\n",
                "assert!(model.get(\"id\").is_some());\n",
                "assert!(model.get(\"no_such_member\").is_none());\n```")]
            pub fn get(&self, member: &str) -> Option<&serde_json::Value> {
                self.raw.get(member)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                self.raw.serialize(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                $name::from_value(value).map_err(serde::de::Error::custom)
            }
        }

        $crate::leaves::model::model!(@debug $name $(, $custom)?);
    };
    (@debug $name:ident) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("id", &self.id)
                    .field("raw", &self.raw)
                    .finish()
            }
        }
    };
    (@debug $name:ident, custom) => {};
}
pub(crate) use model;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn rfc3339_forms() {
        let t = 1_767_225_600; // 2026-01-01T00:00:00Z
        assert_eq!(
            parse_timestamp(&json!("2026-01-01T00:00:00Z")),
            Some(at(t, 0))
        );
        assert_eq!(
            parse_timestamp(&json!("2026-01-01t00:00:00z")),
            Some(at(t, 0))
        );
        assert_eq!(
            parse_timestamp(&json!("2026-01-01 00:00:00")),
            Some(at(t, 0))
        );
        assert_eq!(
            parse_timestamp(&json!("2025-12-31T19:00:00-05:00")),
            Some(at(t, 0))
        );
        assert_eq!(
            parse_timestamp(&json!("2026-01-01T05:30:00+0530")),
            Some(at(t, 0))
        );
        assert_eq!(
            parse_timestamp(&json!("2026-01-01T00:00:00.123456789123Z")),
            Some(at(t, 123_456_789))
        );
        assert_eq!(
            parse_timestamp(&json!("2024-02-29T12:00:00Z")),
            Some(at(1_709_208_000, 0))
        );
        assert_eq!(
            parse_timestamp(&json!("1970-01-01T00:00:00Z")),
            Some(at(0, 0))
        );
        assert_eq!(
            parse_timestamp(&json!("1969-12-31T23:59:59Z")),
            UNIX_EPOCH.checked_sub(Duration::from_secs(1))
        );
    }

    #[test]
    fn unix_seconds_forms() {
        assert_eq!(
            parse_timestamp(&json!(1_700_000_000)),
            Some(at(1_700_000_000, 0))
        );
        assert_eq!(
            parse_timestamp(&json!(1_700_000_000.25)),
            Some(at(1_700_000_000, 250_000_000))
        );
        assert_eq!(
            parse_timestamp(&json!("1700000000")),
            Some(at(1_700_000_000, 0))
        );
        assert_eq!(parse_timestamp(&json!(0)), Some(UNIX_EPOCH));
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for v in [
            json!(null),
            json!(true),
            json!([]),
            json!({}),
            json!(""),
            json!("yesterday"),
            json!("2026-13-01T00:00:00Z"),
            json!("2025-02-29T00:00:00Z"),
            json!("2026-01-01T24:00:00Z"),
            json!("2026-01-01T00:00:00."),
            json!("2026-01-01T00:00:00+25:00"),
            json!("2026-01-01T00:00:00Zjunk"),
            json!("2026-01-01"),
            json!(1e300),
            json!("NaN"),
        ] {
            assert_eq!(parse_timestamp(&v), None, "{v}");
        }
    }

    #[test]
    fn ids() {
        let obj = |v: Value| v.as_object().cloned().unwrap();
        assert_eq!(id_of(&obj(json!({"id": "a"})), "x"), Ok("a".into()));
        assert_eq!(id_of(&obj(json!({"id": 42})), "x"), Ok("42".into()));
        assert_eq!(
            id_of(&obj(json!({"id": null})), "a job"),
            Err("a job has no `id`".into())
        );
        assert_eq!(
            id_of(&obj(json!({"id": ""})), "a job"),
            Err("a job has an empty `id`".into())
        );
        assert!(id_of(&obj(json!({"id": [1]})), "a job").is_err());
        assert_eq!(
            object_of(json!([1]), "a job"),
            Err("a job is not a JSON object".into())
        );
    }
}
