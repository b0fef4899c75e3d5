//! The panic boundary: no Rust panic may unwind into C (that aborts the process, or worse).
//! [`call`] runs the body of every fallible exported function, turns a caught panic into
//! `SF_PANIC`, and hands any failure to the caller as an owned `sf_error` through the
//! optional `err_out`; [`guard`] does the same for accessors and `_free` functions, which
//! return a neutral value instead.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{sf_error, sf_result, Failure};
use crate::ffi::into_handle;

/// Runs `f`, returning `on_panic` if it panics.
pub(crate) fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// Runs the body of a fallible exported function. On failure (a returned [`Failure`] or a
/// caught panic) the error is written to `*err_out` when `err_out` is not NULL, and its
/// result code is returned; on success `*err_out` is left untouched.
pub(crate) fn call(
    err_out: *mut *mut sf_error,
    f: impl FnOnce() -> Result<sf_result, Failure>,
) -> sf_result {
    let outcome = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(Failure::panic(&panic_message(payload.as_ref()))));
    match outcome {
        Ok(result) => result,
        Err(failure) => {
            let result = failure.result;
            if !err_out.is_null() {
                let boxed = guard(std::ptr::null_mut(), || into_handle(sf_error::new(failure)));
                // SAFETY: the caller passes NULL or a writable `sf_error *` slot.
                unsafe { *err_out = boxed };
            }
            result
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_sf_panic_with_an_error() {
        let mut err: *mut sf_error = std::ptr::null_mut();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = call(&mut err, || panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(r, sf_result::SF_PANIC);
        assert!(!err.is_null());
        unsafe {
            assert_eq!(
                crate::error_accessors::sf_error_result(err),
                sf_result::SF_PANIC
            );
            let code = std::ffi::CStr::from_ptr(crate::error_accessors::sf_error_code(err));
            assert_eq!(code.to_str().unwrap(), "panic");
            let msg = std::ffi::CStr::from_ptr(crate::error_accessors::sf_error_message(err));
            assert!(msg.to_str().unwrap().contains("boom"));
            crate::error_accessors::sf_error_free(err);
        }
    }

    #[test]
    fn guard_returns_the_fallback() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let v = guard(-1, || -> i32 { panic!("x") });
        std::panic::set_hook(prev);
        assert_eq!(v, -1);
    }

    #[test]
    fn success_leaves_err_out_alone() {
        let sentinel = 0x10 as *mut sf_error;
        let mut err = sentinel;
        assert_eq!(call(&mut err, || Ok(sf_result::SF_OK)), sf_result::SF_OK);
        assert_eq!(err, sentinel);
    }
}
