//! The [`Error`]s of a request refused before anything was sent (`invalid_request`): their
//! constructors, the option or argument they name, and their [`InvalidRequestReason`].

use super::codes;
use super::kind::ErrorKind;
use super::reason::InvalidRequestReason;
use super::value::Error;

impl Error {
    /// A request refused on the client side before anything was sent (a `limit` of 0, a
    /// key with trailing whitespace, plain HTTP to a remote host…). Code `invalid_request`,
    /// kind [`ErrorKind::InvalidRequest`], not retryable, never reached the server,
    /// zero attempts.
    ///
    /// ```
    /// let e = surefoot::Error::invalid_request("API key has trailing whitespace");
    /// assert_eq!(e.code(), "invalid_request");
    /// assert!(!e.reached_server() && !e.is_retryable());
    /// assert_eq!(e.to_string(), "invalid_request: API key has trailing whitespace");
    /// ```
    #[cold]
    pub fn invalid_request(message: impl Into<String>) -> Error {
        Error::invalid_because(InvalidRequestReason::Other, message)
    }

    /// [`invalid_request`](Error::invalid_request) with the reason as a value, for callers
    /// that decide on it ([`invalid_reason`](Error::invalid_reason)).
    ///
    /// ```
    /// use surefoot::error::InvalidRequestReason;
    /// let e = surefoot::Error::invalid_because(InvalidRequestReason::BaseUrl, "base URL is required");
    /// assert_eq!(e.code(), "invalid_request");
    /// assert_eq!(e.invalid_reason(), Some(InvalidRequestReason::BaseUrl));
    /// ```
    #[cold]
    pub fn invalid_because(reason: InvalidRequestReason, message: impl Into<String>) -> Error {
        let mut e = Error::base(
            codes::INVALID_REQUEST,
            ErrorKind::InvalidRequest,
            message.into(),
        );
        e.0.attempts = 0;
        e.0.reached_server = false;
        e.0.invalid_reason = Some(reason);
        e
    }

    /// Names the option an `invalid_request` is about (other errors are unchanged); a
    /// reason still [`Other`](InvalidRequestReason::Other) becomes
    /// [`OptionValue`](InvalidRequestReason::OptionValue).
    ///
    /// ```
    /// use surefoot::error::InvalidRequestReason;
    /// let e = surefoot::Client::builder().max_retries(3).with_option("timeout", -1.0).build().unwrap_err();
    /// assert_eq!(e.invalid_reason(), Some(InvalidRequestReason::OptionValue));
    /// assert_eq!(e.invalid_subject(), Some("timeout"));
    /// ```
    pub fn for_option(mut self, name: &str) -> Self {
        if self.0.kind == ErrorKind::InvalidRequest {
            if matches!(
                self.0.invalid_reason,
                None | Some(InvalidRequestReason::Other)
            ) {
                self.0.invalid_reason = Some(InvalidRequestReason::OptionValue);
            }
            self.0
                .invalid_subject
                .get_or_insert_with(|| name.to_owned());
        }
        self
    }

    /// Why a request was refused before sending, as a value (`invalid_request` errors;
    /// `None` for every other error).
    ///
    /// ```
    /// use surefoot::error::InvalidRequestReason;
    /// let e = surefoot::Client::builder().build().unwrap_err();
    /// assert_eq!(e.invalid_reason(), Some(InvalidRequestReason::BaseUrl));
    /// assert_eq!(surefoot::Error::timeout("t").invalid_reason(), None);
    /// ```
    pub fn invalid_reason(&self) -> Option<InvalidRequestReason> {
        self.0.invalid_reason
    }

    /// The option or argument an `invalid_request` error is about (`"timeout"`), if known.
    ///
    /// ```
    /// let e = surefoot::Client::builder().with_option("deadline", 0).build().unwrap_err();
    /// assert_eq!(e.invalid_subject(), Some("deadline"));
    /// ```
    pub fn invalid_subject(&self) -> Option<&str> {
        self.0.invalid_subject.as_deref()
    }
}
