//! Rust values as C sees them, the lowest floor of the binding (it uses nothing else of
//! it): NUL-terminated copies of strings, static NUL-terminated copies of the core's
//! stable names (kinds, stop reasons: the core's `as_str`, never a second table), and
//! durations as whole milliseconds.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A NUL-terminated copy of `s` (interior NULs, which C cannot see past, become U+FFFD).
pub(crate) fn to_cstring(s: &str) -> CString {
    CString::new(s)
        .unwrap_or_else(|_| CString::new(s.replace('\0', "\u{FFFD}")).expect("NULs were replaced"))
}

/// A static NUL-terminated copy of one of the core's static names (`ErrorKind::as_str`,
/// `FailReason::as_str`), for accessors that hand C a `const char *` it never frees. Each
/// distinct name is copied once and kept for the life of the program (the core's names are
/// a small fixed set).
pub(crate) fn static_name(name: &'static str) -> &'static CStr {
    static NAMES: Mutex<BTreeMap<&'static str, &'static CStr>> = Mutex::new(BTreeMap::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    names
        .entry(name)
        .or_insert_with(|| Box::leak(to_cstring(name).into_boxed_c_str()))
}

/// A duration in whole milliseconds, saturating at `i64::MAX`.
pub(crate) fn clamp_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(to_cstring("a\0b").to_str().unwrap(), "a\u{FFFD}b");
        let a = static_name("rate_limited");
        assert_eq!(a, c"rate_limited");
        assert_eq!(
            a.as_ptr(),
            static_name("rate_limited").as_ptr(),
            "copied once"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(clamp_ms(Duration::from_secs(u64::MAX)), i64::MAX);
        assert_eq!(clamp_ms(Duration::from_millis(1500)), 1500);
    }
}
