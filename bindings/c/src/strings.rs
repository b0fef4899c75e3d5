//! Owned strings handed to C: `sf_string_free` frees the `char *` results this library
//! allocates (e.g. `sf_client_pacing_state_json`'s JSON). Borrowed `const char *` results
//! belong to their object and are never freed with it.

use std::ffi::{c_char, CString};

use crate::panic::guard;

/// Frees a string this library handed over as owned (`char *`, e.g. the JSON of
/// `sf_client_pacing_state_json`). NULL is accepted and ignored. Never pass it a borrowed
/// `const char *` (those belong to their object), nor a string from `malloc`.
///
/// ```c
/// char *json = NULL;
/// if (sf_client_pacing_state_json(client, &json, NULL) == SF_OK) {
///     puts(json);
///     sf_string_free(json);
/// }
/// ```
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
    use super::*;

    #[test]
    fn null_and_owned_strings_are_freed() {
        unsafe { sf_string_free(std::ptr::null_mut()) };
        let s = CString::new("owned").unwrap().into_raw();
        unsafe { sf_string_free(s) };
    }
}
