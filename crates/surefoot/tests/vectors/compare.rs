//! The comparison rule of the conformance vectors (tests/vectors/README.md, "Comparison"),
//! in Rust test code: every member of `expected` must be in the observed result and equal
//! to it; `<field>_contains` tests a substring, `<field>_tolerance` widens the numeric
//! equality of `<field>`; nested objects follow the same rule, arrays must be equal.
//! The C (`tests/c/test_vectors.c`) and Python (`tests/python/test_vectors.py`) runners
//! carry the same rule in their own code.
//!
//! ```ignore
//! assert!(compare(&json!({"wait_ms": 1000}), &json!({"wait_ms": 1000.0004})).is_ok());
//! ```

use serde_json::Value;

/// Numbers closer than this are equal (one microsecond in `_ms` members).
pub const NUMBER_TOLERANCE: f64 = 0.001;

/// `Err` lists every difference, `; `-separated.
pub fn compare(expected: &Value, observed: &Value) -> Result<(), String> {
    if let Some(Value::String(msg)) = observed.get("error") {
        return Err(format!("the vector could not be run: {msg}"));
    }
    let mut diffs = Vec::new();
    compare_at("", expected, observed, &mut diffs);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

fn compare_at(path: &str, expected: &Value, observed: &Value, diffs: &mut Vec<String>) {
    let Value::Object(em) = expected else {
        if !equal(expected, observed, NUMBER_TOLERANCE) {
            diffs.push(format!(
                "{}: expected {}, observed {}",
                shown(path),
                show(expected),
                show(observed)
            ));
        }
        return;
    };
    let Value::Object(om) = observed else {
        diffs.push(format!(
            "{}: expected an object, observed {}",
            shown(path),
            show(observed)
        ));
        return;
    };
    for (key, ev) in em {
        if key.ends_with("_tolerance") {
            continue;
        }
        if let Some(field) = key.strip_suffix("_contains") {
            let p = join(path, field);
            match (ev, om.get(field)) {
                (Value::String(n), Some(Value::String(h))) if h.contains(n.as_str()) => {}
                (n, got) => diffs.push(format!(
                    "{p}: expected to contain {}, observed {}",
                    show(n),
                    got.map_or_else(|| "nothing".to_owned(), show)
                )),
            }
            continue;
        }
        let p = join(path, key);
        let tolerance = em
            .get(&format!("{key}_tolerance"))
            .and_then(Value::as_f64)
            .unwrap_or(NUMBER_TOLERANCE);
        match om.get(key) {
            None => diffs.push(format!(
                "{p}: expected {}, but the observed result has no such member",
                show(ev)
            )),
            Some(ov) if ev.is_object() => compare_at(&p, ev, ov, diffs),
            Some(ov) => {
                if !equal(ev, ov, tolerance) {
                    diffs.push(format!("{p}: expected {}, observed {}", show(ev), show(ov)));
                }
            }
        }
    }
}

fn equal(a: &Value, b: &Value, tolerance: f64) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= tolerance,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b, NUMBER_TOLERANCE))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w, NUMBER_TOLERANCE)))
        }
        _ => a == b,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "(result)"
    } else {
        path
    }
}

/// A value as JSON, cut to 300 characters.
pub fn show(v: &Value) -> String {
    let s = v.to_string();
    let n = s.chars().count();
    if n > 300 {
        format!(
            "{}… ({n} characters)",
            s.chars().take(300).collect::<String>()
        )
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_rule() {
        let o = json!({"a": 1, "b": "hello world", "c": [1, {"x": 2}], "d": {"e": null, "f": 3}});
        assert!(compare(&json!({}), &o).is_ok());
        assert!(compare(&json!({"a": 1.0005}), &o).is_ok());
        assert!(compare(&json!({"a": 1.01}), &o).is_err());
        assert!(compare(&json!({"a": 1.5, "a_tolerance": 0.5}), &o).is_ok());
        assert!(compare(&json!({"a": 2.5, "a_tolerance": 1}), &o).is_err());
        assert!(compare(&json!({"b_contains": "lo wo"}), &o).is_ok());
        assert!(compare(&json!({"b_contains": "bye"}), &o).is_err());
        assert!(compare(&json!({"c": [1, {"x": 2}]}), &o).is_ok());
        assert!(
            compare(&json!({"c": [1, {}]}), &o).is_err(),
            "no subset rule in arrays"
        );
        assert!(
            compare(&json!({"d": {"f": 3}}), &o).is_ok(),
            "subset rule in objects"
        );
        assert_eq!(
            compare(&json!({"d": {"e": 0}, "z": 1}), &o).unwrap_err(),
            "d.e: expected 0, observed null; z: expected 1, but the observed result has no such member"
        );
        assert!(compare(&json!({"a": 1}), &json!({"error": "bad"})).is_err());
    }
}
