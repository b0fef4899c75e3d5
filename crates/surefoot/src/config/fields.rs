//! The JSON member names the typed clients read, and their per-client renames. Like the
//! paths ([`crate::config::endpoints`]), every name beyond `id` is surefoot's guess at the wire
//! format, so a client can say that the server calls `created_at` `created`, or the list
//! envelope's `data` `items` ([`ClientBuilder::field`](crate::ClientBuilder::field), Python
//! `fields={...}`, C `sf_client_options_set_field`). A rename applies to the top-level
//! object of every answer the client reads as JSON and to the objects of its `data` array
//! (list items, bulk-export documents), never deeper (metadata stays as sent): when the
//! object has the server's name and not surefoot's, the member is also made available under
//! surefoot's name, so models and pages read it; the server's own member stays too, and
//! [`Response::bytes`](crate::Response::bytes) is untouched.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Every member name the typed clients read (the names [`ClientBuilder::field`] accepts).
///
/// [`ClientBuilder::field`]: crate::ClientBuilder::field
///
/// ```
/// assert!(surefoot::fields::FIELDS.contains(&"created_at"));
/// assert!(surefoot::fields::FIELDS.contains(&"next_cursor"));
/// ```
pub const FIELDS: &[&str] = &[
    "id",
    "data",
    "next_cursor",
    "title",
    "language",
    "duration_seconds",
    "created_at",
    "text",
    "status",
    "audio_url",
    "metadata",
    "name",
    "key",
    "format",
    "content",
    "agent_id",
];

/// A client's member renames: surefoot's name → the server's.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FieldNames {
    renames: Vec<(&'static str, String)>,
}

impl FieldNames {
    /// Checks the renames a builder was given.
    pub(crate) fn new(given: &[(String, String)]) -> Result<FieldNames> {
        let mut renames: Vec<(&'static str, String)> = Vec::new();
        for (ours, theirs) in given {
            let Some(known) = FIELDS.iter().find(|f| **f == ours.as_str()) else {
                let shown: String = ours.chars().take(64).collect();
                return Err(Error::invalid_request(format!(
                    "unknown field {shown:?} (known: {})",
                    FIELDS.join(", ")
                )));
            };
            if theirs.trim().is_empty() || theirs.chars().any(char::is_control) {
                return Err(Error::invalid_request(format!(
                    "the server's name for field {known} must be non-empty text without control characters"
                )));
            }
            renames.retain(|(k, _)| k != known);
            if theirs != known {
                renames.push((known, theirs.clone()));
            }
        }
        Ok(FieldNames { renames })
    }

    /// Whether nothing is renamed.
    pub(crate) fn is_empty(&self) -> bool {
        self.renames.is_empty()
    }

    fn apply_object(&self, obj: &mut Map<String, Value>) {
        for (ours, theirs) in &self.renames {
            if !obj.contains_key(*ours)
                && let Some(v) = obj.get(theirs.as_str()).cloned()
            {
                obj.insert((*ours).to_owned(), v);
            }
        }
    }

    /// Makes renamed members readable under surefoot's names in `value` (the top-level
    /// object, then each object of its `data` array).
    pub(crate) fn apply(&self, value: &mut Value) {
        let Value::Object(obj) = value else { return };
        self.apply_object(obj);
        if let Some(Value::Array(items)) = obj.get_mut("data") {
            for item in items {
                if let Value::Object(o) = item {
                    self.apply_object(o);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(pairs: &[(&str, &str)]) -> Result<FieldNames> {
        FieldNames::new(
            &pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn renames_reach_the_envelope_and_its_items_but_not_deeper() {
        let f = names(&[
            ("data", "items"),
            ("created_at", "created"),
            ("next_cursor", "next"),
        ])
        .unwrap();
        let mut v = json!({
            "items": [{"id": "a", "created": 5, "metadata": {"created": 1}}, "junk"],
            "next": "c2",
        });
        f.apply(&mut v);
        assert_eq!(v["next_cursor"], "c2");
        assert_eq!(v["data"][0]["created_at"], 5);
        assert_eq!(v["data"][0]["created"], 5, "the server's member stays");
        assert!(v["data"][0]["metadata"].get("created_at").is_none());
        // An object that has surefoot's name keeps its own value.
        let mut v = json!({"created_at": 1, "created": 2});
        f.apply(&mut v);
        assert_eq!(v["created_at"], 1);
    }

    #[test]
    fn bad_renames_are_refused_naming_the_problem() {
        let e = names(&[("createdAt", "x")]).unwrap_err();
        assert!(
            e.message()
                .starts_with("unknown field \"createdAt\" (known: id, data"),
            "{}",
            e.message()
        );
        let e = names(&[("status", " ")]).unwrap_err();
        assert_eq!(
            e.message(),
            "the server's name for field status must be non-empty text without control characters"
        );
        assert!(names(&[("status", "status")]).unwrap().is_empty());
        let f = names(&[("status", "a"), ("status", "b")]).unwrap();
        assert_eq!(f.renames, vec![("status", "b".to_string())]);
    }
}
