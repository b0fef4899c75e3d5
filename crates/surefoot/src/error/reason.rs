//! [`InvalidRequestReason`]: why a request was refused before anything was sent, as a
//! value with a stable name (the sub-code of `invalid_request`), so the CLI and the
//! bindings decide on it, never on the message text, which stays free to improve.

use std::fmt;

/// Why an `invalid_request` error was raised ([`Error::invalid_reason`](crate::Error::invalid_reason));
/// [`as_str`](Self::as_str) is the stable sub-code, the same in every language.
///
/// ```
/// use surefoot::error::InvalidRequestReason;
/// let e = surefoot::security::validate_api_key("sk-live-0123456789 ").unwrap_err();
/// assert_eq!(e.invalid_reason(), Some(InvalidRequestReason::ApiKeyTrailingWhitespace));
/// assert_eq!(InvalidRequestReason::ApiKeyTrailingWhitespace.as_str(), "api_key_trailing_whitespace");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvalidRequestReason {
    /// No key was given and the API needs one.
    ApiKeyMissing,
    /// The key is empty or only whitespace.
    ApiKeyEmpty,
    /// The key starts with whitespace.
    ApiKeyLeadingWhitespace,
    /// The key ends with whitespace.
    ApiKeyTrailingWhitespace,
    /// The key contains a CR or LF.
    ApiKeyLineBreak,
    /// The key contains another control character.
    ApiKeyControlCharacter,
    /// The key contains a non-ASCII character.
    ApiKeyNonAscii,
    /// The key contains whitespace inside (a space or a tab between its characters).
    ApiKeyWhitespace,
    /// A key in the URL (a credential query parameter, or the key itself).
    KeyInUrl,
    /// The base URL is missing or unusable (not a URL, not http(s), credentials, query).
    BaseUrl,
    /// Plain `http://` to a host that is not loopback, without `allow_insecure_http`.
    InsecureHttp,
    /// A rate limit written wrongly (`"500/min"`, `"20/s burst 5"`).
    RateLimit,
    /// A client option's rule refused its value ([`Error::invalid_subject`](crate::Error::invalid_subject) names it).
    OptionValue,
    /// An option name no rule knows.
    UnknownOption,
    /// Anything else refused before sending (a call argument, a path, a header).
    Other,
}

impl InvalidRequestReason {
    /// The stable sub-code (`api_key_trailing_whitespace`, `option_value`, …).
    pub fn as_str(self) -> &'static str {
        use InvalidRequestReason::*;
        match self {
            ApiKeyMissing => "api_key_missing",
            ApiKeyEmpty => "api_key_empty",
            ApiKeyLeadingWhitespace => "api_key_leading_whitespace",
            ApiKeyTrailingWhitespace => "api_key_trailing_whitespace",
            ApiKeyLineBreak => "api_key_line_break",
            ApiKeyControlCharacter => "api_key_control_character",
            ApiKeyNonAscii => "api_key_non_ascii",
            ApiKeyWhitespace => "api_key_whitespace",
            KeyInUrl => "key_in_url",
            BaseUrl => "base_url",
            InsecureHttp => "insecure_http",
            RateLimit => "rate_limit",
            OptionValue => "option_value",
            UnknownOption => "unknown_option",
            Other => "other",
        }
    }

    /// Whether the reason is a problem with the API key itself.
    pub fn is_api_key(self) -> bool {
        self.as_str().starts_with("api_key_")
    }
}

impl fmt::Display for InvalidRequestReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
