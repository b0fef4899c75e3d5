//! [`Api`]: the name of the API a client talks to, a plain tag. What each name means (its
//! profile: base URL, key variable, surfaces, limits) is plugged in from above, by the API
//! layer (`crate::catalog`), so the generic client and its configuration know no API.

/// Which API a client talks to: selects the documented rate limits, the default base URL and
/// the surface (rate-limit bucket) of each path.
///
/// ```
/// let b = surefoot::Client::builder().api(surefoot::Api::Specala);
/// # let _ = b;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Api {
    /// Any REST API with these conventions; limits are learnt from the server's 429s.
    #[default]
    Generic,
    /// Specala: 500 requests/min on data endpoints, 180/min on key management, per key.
    Specala,
    /// PyAI: a per-second limit with burst set by the plan (learnt from 429s unless given).
    Pyai,
}
