//! `sf_pager`: a lazy walk over a cursor-paginated list (`{"data": [...], "next_cursor"}`),
//! one item per `sf_pager_next`. The walk itself is the core's blocking `Paginate` (limit
//! checked 1-100, stop on a null cursor, a repeated cursor is an error, optional prefetch);
//! this file only lends each item to C as NUL-terminated JSON text.

use std::ffi::{c_char, CString};

use serde_json::Value;

use crate::client::sf_client;
use crate::error::{sf_error, sf_result};
use crate::ffi::{arg_mut, arg_ref, arg_str, free_box, into_handle, to_cstring, Out};
use crate::panic::{call, guard};

/// A walk over a list. Created by `sf_client_paginate`, owned by the caller, freed with
/// `sf_pager_free`. Not thread-safe: use one pager from one thread at a time (it may move
/// between threads). It keeps its client's connections alive, so the client may be freed
/// first.
pub struct sf_pager {
    items: surefoot::blocking::Paginate<Value>,
    current: Option<CString>,
    done: bool,
}

/// Starts a lazy walk over the list at `path` (relative to the base URL; may carry extra
/// query parameters) with pages of `limit` items (1-100; -1 for the server's default).
/// Nothing is sent until the first `sf_pager_next`.
///
/// On `SF_OK`, `*pager_out` receives a pager owned by the caller (free it with
/// `sf_pager_free`); a `limit` outside 1-100 (other than -1) makes the first
/// `sf_pager_next` fail with `SF_INVALID_ARGUMENT` (the core's message, as in Rust and
/// Python), before anything is sent. On failure `*pager_out` is untouched and `*err_out`
/// (when not NULL) receives an error owned by the caller.
///
/// # Safety
/// `client` is NULL or a live client; `path` is NULL or NUL-terminated; `pager_out` and
/// `err_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sf_client_paginate(
    client: *const sf_client,
    path: *const c_char,
    limit: i32,
    pager_out: *mut *mut sf_pager,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let client = unsafe { arg_ref(client, "client") }?;
        let path = unsafe { arg_str(path, "path") }?;
        let out = Out::new(pager_out, "pager_out")?;
        let mut items =
            surefoot::blocking::Client::from(client.inner.clone()).paginate::<Value>(path);
        if limit != -1 {
            // Checked by the core against the profile's range on the first item.
            items = items.limit_i64(i64::from(limit));
        }
        let pager = sf_pager {
            items,
            current: None,
            done: false,
        };
        unsafe { out.write(into_handle(pager)) };
        Ok(sf_result::SF_OK)
    })
}

/// Fetches the next item, requesting the next page when the current one is used up.
///
/// - `SF_OK`: `*item_json_out` is the item as NUL-terminated JSON text and `*item_len_out`
///   its length (without the NUL), borrowed from the pager and valid until the next
///   `sf_pager_next` or `sf_pager_free`.
/// - `SF_DONE`: the list has no more items (again on every later call); nothing written.
/// - An error (`SF_API_ERROR`, `SF_CONNECTION_ERROR`, `SF_TIMEOUT`..., after the retries):
///   `*err_out` (when not NULL) receives an error owned by the caller; the out-parameters
///   are untouched. A failed walk then ends with `SF_DONE`.
///
/// # Safety
/// `pager` is NULL or a live pager not used by another thread; the out-pointers are NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sf_pager_next(
    pager: *mut sf_pager,
    item_json_out: *mut *const c_char,
    item_len_out: *mut usize,
    err_out: *mut *mut sf_error,
) -> sf_result {
    call(err_out, || {
        let pager = unsafe { arg_mut(pager, "pager") }?;
        let json_out = Out::new(item_json_out, "item_json_out")?;
        let len_out = Out::new(item_len_out, "item_len_out")?;
        if pager.done {
            return Ok(sf_result::SF_DONE);
        }
        match pager.items.next() {
            None => {
                pager.done = true;
                pager.current = None;
                Ok(sf_result::SF_DONE)
            }
            Some(Err(e)) => Err(e.into()),
            Some(Ok(item)) => {
                let text = to_cstring(&item.to_string());
                let len = text.as_bytes().len();
                let current = pager.current.insert(text);
                unsafe {
                    json_out.write(current.as_ptr());
                    len_out.write(len);
                }
                Ok(sf_result::SF_OK)
            }
        }
    })
}

/// Frees a pager (stopping any prefetch in flight). NULL is accepted and ignored. The last
/// item it lent becomes invalid.
///
/// # Safety
/// `pager` is NULL or a pager from `sf_client_paginate` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sf_pager_free(pager: *mut sf_pager) {
    guard((), || unsafe { free_box(pager) })
}
