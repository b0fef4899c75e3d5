//! The shared conformance vectors (`tests/vectors/*.json`) through the C ABI:
//! `sf_conformance_check` hands a vector, or a whole vector file, to the core's
//! `surefoot::conformance::check` and returns its verdict JSON as an owned string, and
//! `sf_string_free` frees such strings. Nothing is interpreted here: the core runs the
//! vectors through its real public API and compares, exactly as for Rust and Python.

use std::ffi::{c_char, CString};

use crate::error::{sf_error, sf_result};
use crate::ffi::{arg_str, to_cstring, Out};
use crate::panic::{call, guard};

/// Runs one conformance vector, or a whole vector file (an object with a `vectors`
/// array), through the core and compares what it observes with each vector's `expected`
/// (the format is documented in `tests/vectors/README.md`). Meant for test runners: every
/// language runs the same vectors through the same comparison.
///
/// - `vector_json`: the vector or file as NUL-terminated UTF-8 JSON text, read during the
///   call only.
/// - On `SF_OK` (the vectors were run, whether or not they matched): `*all_ok_out` is true
///   when every vector matched and false when any differed (a vector that cannot be run
///   at all, e.g. malformed JSON or an unknown family, counts as differing), and
///   `*verdict_out` receives the verdict JSON, a NUL-terminated string owned by the caller
///   (free it with `sf_string_free`). For one vector the verdict is `{"ok", "name",
///   "observed", "diff"}`; for a file it is `{"ok", "total", "passed", "failed",
///   "results", "report"}`, where `report` has one line `name: diff` per differing vector.
/// - `SF_NULL_PARAMETER` when `vector_json`, `all_ok_out` or `verdict_out` is NULL,
///   `SF_INVALID_ARGUMENT` when `vector_json` is not UTF-8, `SF_PANIC` on a bug; then
///   neither out-parameter is written and, when `err_out` is not NULL, `*err_out`
///   receives an error owned by the caller (free it with `sf_error_free`).
///
/// # Safety
/// `vector_json` is NULL or a NUL-terminated string; `all_ok_out`, `verdict_out` and
/// `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_conformance_check(
    vector_json: *const c_char,
    all_ok_out: *mut bool,
    verdict_out: *mut *mut c_char,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let all_ok_out = Out::new(all_ok_out, "all_ok_out")?;
        let verdict_out = Out::new(verdict_out, "verdict_out")?;
        let json = unsafe { arg_str(vector_json, "vector_json") }?;
        let (ok, verdict) = surefoot::conformance::check(json);
        let verdict = to_cstring(&verdict).into_raw();
        unsafe {
            all_ok_out.write(ok);
            verdict_out.write(verdict);
        }
        Ok(sf_result::SF_OK)
    })
}

/// Frees a string this library handed over as owned (`char *`, e.g. the verdict of
/// `sf_conformance_check`). NULL is accepted and ignored. Never pass it a borrowed
/// `const char *` (those belong to their object), nor a string from `malloc`.
///
/// # Safety
/// `s` is NULL or an owned string from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sf_string_free(s: *mut c_char) {
    guard((), || {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in this library.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    use super::*;

    const MATCHING: &CStr = cr#"{"family": "retry_after", "name": "two seconds",
        "input": {"headers": [["Retry-After", "2"]]}, "expected": {"wait_ms": 2000}}"#;

    fn verdict(json: &CStr) -> (sf_result, bool, serde_json::Value) {
        let mut ok = false;
        let mut verdict: *mut c_char = null_mut();
        let mut err: *mut sf_error = null_mut();
        let r = unsafe { sf_conformance_check(json.as_ptr(), &mut ok, &mut verdict, &mut err) };
        assert!(err.is_null());
        let text = unsafe { CStr::from_ptr(verdict) }
            .to_str()
            .unwrap()
            .to_owned();
        unsafe { sf_string_free(verdict) };
        (r, ok, serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn a_matching_vector() {
        let (r, ok, v) = verdict(MATCHING);
        assert_eq!(r, sf_result::SF_OK);
        assert!(ok);
        assert_eq!(v["name"], "two seconds");
        assert_eq!(v["observed"]["wait_ms"], 2000);
    }

    #[test]
    fn a_file_with_a_differing_vector_is_ok_with_all_ok_false() {
        let file = cr#"{"description": "d", "vectors": [
            {"family": "retry_after", "name": "a", "input": {"headers": [["Retry-After", "1"]]}, "expected": {"wait_ms": 1000}},
            {"family": "retry_after", "name": "b", "input": {"headers": [["Retry-After", "1"]]}, "expected": {"wait_ms": 5}}
        ]}"#;
        let (r, ok, v) = verdict(file);
        assert_eq!(r, sf_result::SF_OK);
        assert!(!ok);
        assert_eq!(
            (v["total"].as_u64(), v["failed"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(v["report"], "b: wait_ms: expected 5, observed 1000\n");
    }

    #[test]
    fn malformed_json_is_a_differing_vector_not_an_error() {
        let (r, ok, v) = verdict(c"{not json");
        assert_eq!(r, sf_result::SF_OK);
        assert!(!ok);
        assert!(v["diff"].as_str().unwrap().contains("not valid JSON"));
    }

    #[test]
    fn null_and_bad_utf8_leave_the_out_parameters_alone() {
        let sentinel = 0x10 as *mut c_char;
        let mut ok = true;
        let mut verdict = sentinel;
        let mut err: *mut sf_error = null_mut();
        let r = unsafe { sf_conformance_check(null(), &mut ok, &mut verdict, &mut err) };
        assert_eq!(r, sf_result::SF_NULL_PARAMETER);
        assert!(!err.is_null());
        unsafe { crate::error::sf_error_free(err) };

        let r = unsafe {
            sf_conformance_check(MATCHING.as_ptr(), null_mut(), &mut verdict, null_mut())
        };
        assert_eq!(r, sf_result::SF_NULL_PARAMETER);
        let r = unsafe { sf_conformance_check(MATCHING.as_ptr(), &mut ok, null_mut(), null_mut()) };
        assert_eq!(r, sf_result::SF_NULL_PARAMETER);

        let bad = [b'"', 0xff, b'"', 0];
        err = null_mut();
        let r =
            unsafe { sf_conformance_check(bad.as_ptr().cast(), &mut ok, &mut verdict, &mut err) };
        assert_eq!(r, sf_result::SF_INVALID_ARGUMENT);
        let msg = unsafe { CStr::from_ptr(crate::error::sf_error_message(err)) };
        assert_eq!(
            msg.to_str().unwrap(),
            "argument `vector_json` is not valid UTF-8"
        );
        unsafe { crate::error::sf_error_free(err) };

        assert!(ok);
        assert_eq!(verdict, sentinel);
    }

    #[test]
    fn string_free_accepts_null() {
        unsafe { sf_string_free(null_mut()) };
    }
}
