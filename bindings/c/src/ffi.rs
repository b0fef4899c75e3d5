//! The ground floor every exported function stands on: casting opaque handles to Rust
//! references (NULL → `SF_NULL_PARAMETER`), boxing and freeing owned handles, reading C
//! strings and byte buffers (NULL → `SF_NULL_PARAMETER`, invalid UTF-8 →
//! `SF_INVALID_ARGUMENT`), and out-parameters checked up front and written only on
//! success. It stands on `error` (the result codes its checks fail with) and passes on the
//! value conversions of `convert` (NUL-terminated copies, milliseconds), so an exported
//! function finds everything it needs to read arguments and write results here.

use std::ffi::{c_char, CStr};

pub(crate) use crate::convert::{clamp_ms, to_cstring};
use crate::error::Failure;

/// Borrows the object behind a handle; NULL is a [`Failure::null`] naming `name`.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` for the returned lifetime.
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// Mutably borrows the object behind a handle; NULL is a [`Failure::null`].
///
/// # Safety
/// `ptr` is NULL or points to a live `T` not aliased for the returned lifetime.
pub(crate) unsafe fn arg_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string live for the returned lifetime.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|_| Failure::invalid(format!("argument `{name}` is not valid UTF-8")))
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn opt_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// A byte buffer argument: NULL is accepted only with a length of 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes live for the returned lifetime.
pub(crate) unsafe fn arg_bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An out-parameter, checked for NULL before any work is done and written only on success.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Checks `ptr`; NULL is a [`Failure::null`].
    pub(crate) fn new(ptr: *mut T, name: &str) -> Result<Out<T>, Failure> {
        if ptr.is_null() {
            Err(Failure::null(name))
        } else {
            Ok(Out(ptr))
        }
    }

    /// Writes the value.
    ///
    /// # Safety
    /// The pointer given to [`Out::new`] is writable.
    pub(crate) unsafe fn write(self, value: T) {
        unsafe { self.0.write(value) }
    }
}

/// Moves `value` to the heap and hands ownership to C.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops a handle made by [`into_handle`]; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or came from [`into_handle`] with the same `T` and was not freed yet.
pub(crate) unsafe fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        drop(unsafe { Box::from_raw(ptr) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(unsafe { arg_str(c"abc".as_ptr(), "x") }.ok(), Some("abc"));
        let bad = [0xffu8, 0];
        let e = unsafe { arg_str(bad.as_ptr().cast(), "path") }
            .err()
            .unwrap();
        assert_eq!(e.result, crate::error::sf_result::SF_INVALID_ARGUMENT);
        assert_eq!(e.error.message(), "argument `path` is not valid UTF-8");
        let e = unsafe { arg_str(std::ptr::null(), "path") }.err().unwrap();
        assert_eq!(e.result, crate::error::sf_result::SF_NULL_PARAMETER);
        assert_eq!(unsafe { opt_str(std::ptr::null(), "x") }.ok(), Some(None));
    }

    #[test]
    fn bytes() {
        assert_eq!(
            unsafe { arg_bytes(std::ptr::null(), 0, "b") }.ok(),
            Some(&[][..])
        );
        assert!(unsafe { arg_bytes(std::ptr::null(), 3, "b") }.is_err());
    }
}
