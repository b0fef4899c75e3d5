//! API keys: [`KeyConfig`] describes one key (its secret value, the id stats report, plan,
//! workspace or organisation, scopes, caps and billing state), with constructors for both
//! APIs and the deterministic default keys; `KeyStore` is the live set the server checks
//! bearer tokens against, including keys created and revoked over Specala's key API.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// PyAI scope needed to read jobs.
pub const SCOPE_JOBS_READ: &str = "jobs:read";
/// PyAI scope needed to create jobs.
pub const SCOPE_JOBS_WRITE: &str = "jobs:write";
/// PyAI scope needed to open and close realtime sessions.
pub const SCOPE_REALTIME: &str = "realtime";

/// Creation time given to configured keys.
const DEFAULT_CREATED_AT: &str = "2025-01-01T00:00:00Z";

/// The kind of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// A server-side secret key (every Specala key).
    Secret,
    /// A PyAI publishable key: browser use, origin allow-list, daily cap.
    Publishable,
    /// A PyAI sandbox key: daily cap.
    Sandbox,
}

impl KeyKind {
    /// `"secret"`, `"publishable"` or `"sandbox"`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Publishable => "publishable",
            KeyKind::Sandbox => "sandbox",
        }
    }
}

/// One API key the emulator accepts. `Debug` masks the value; stats report only `id`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyConfig {
    /// Stable id reported by stats and Specala's key API, e.g. `key_alpha_pro`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// The secret sent as `Authorization: Bearer <value>`.
    pub value: String,
    /// Secret, publishable or sandbox.
    pub kind: KeyKind,
    /// Plan name (`pro`, `free`, `expert` for Specala; informational for PyAI).
    pub plan: String,
    /// Specala: whether the plan includes API access (`false` → 403 `api_access_denied`).
    pub api_access: bool,
    /// Specala workspace (`ws_alpha`) or PyAI organisation (`org_main`).
    pub workspace: String,
    /// PyAI scopes (`jobs:read`, `jobs:write`, `realtime`).
    pub scopes: Vec<String>,
    /// PyAI publishable keys: allowed `Origin` values.
    pub allowed_origins: Vec<String>,
    /// PyAI: requests allowed per UTC day (`None` = no cap).
    pub daily_cap: Option<u32>,
    /// PyAI: jobs this key may create (`None` = no budget) → then 402 `key_budget_exceeded`.
    pub job_budget: Option<u32>,
    /// PyAI: the organisation has no credit → 402 `credit_exhausted` on creation.
    pub credit_exhausted: bool,
    /// PyAI: the plan quota is used up → 402 `insufficient_quota` on creation.
    pub quota_exhausted: bool,
    /// PyAI: per-key override of the realtime concurrency cap.
    pub realtime_concurrency: Option<u32>,
    /// RFC 3339 creation time.
    pub created_at: String,
}

impl fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyConfig")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("value", &mask(&self.value))
            .field("kind", &self.kind)
            .field("plan", &self.plan)
            .field("api_access", &self.api_access)
            .field("workspace", &self.workspace)
            .field("scopes", &self.scopes)
            .field("allowed_origins", &self.allowed_origins)
            .field("daily_cap", &self.daily_cap)
            .field("job_budget", &self.job_budget)
            .field("credit_exhausted", &self.credit_exhausted)
            .field("quota_exhausted", &self.quota_exhausted)
            .field("realtime_concurrency", &self.realtime_concurrency)
            .finish()
    }
}

/// `spk_…0001`-style mask of a key value.
pub(crate) fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 8 {
        return "…".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

impl KeyConfig {
    fn new(id: &str, value: &str, workspace: &str) -> KeyConfig {
        KeyConfig {
            id: id.to_string(),
            name: id.to_string(),
            value: value.to_string(),
            kind: KeyKind::Secret,
            plan: "pro".to_string(),
            api_access: true,
            workspace: workspace.to_string(),
            scopes: Vec::new(),
            allowed_origins: Vec::new(),
            daily_cap: None,
            job_budget: None,
            credit_exhausted: false,
            quota_exhausted: false,
            realtime_concurrency: None,
            created_at: DEFAULT_CREATED_AT.to_string(),
        }
    }

    /// A Specala key on the `pro` plan (API access) in `workspace`.
    pub fn specala(id: &str, value: &str, workspace: &str) -> KeyConfig {
        KeyConfig::new(id, value, workspace)
    }

    /// A PyAI secret key in organisation `org` with every scope.
    pub fn pyai_secret(id: &str, value: &str, org: &str) -> KeyConfig {
        KeyConfig {
            plan: "scale".to_string(),
            scopes: all_scopes(),
            ..KeyConfig::new(id, value, org)
        }
    }

    /// A PyAI publishable key: `jobs:read` + `jobs:write`, only from `origins`, 100 requests/day.
    pub fn pyai_publishable(id: &str, value: &str, org: &str, origins: &[&str]) -> KeyConfig {
        KeyConfig {
            kind: KeyKind::Publishable,
            plan: "scale".to_string(),
            scopes: vec![SCOPE_JOBS_READ.to_string(), SCOPE_JOBS_WRITE.to_string()],
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            daily_cap: Some(100),
            ..KeyConfig::new(id, value, org)
        }
    }

    /// A PyAI sandbox key with every scope and 20 requests/day.
    pub fn pyai_sandbox(id: &str, value: &str, org: &str) -> KeyConfig {
        KeyConfig {
            kind: KeyKind::Sandbox,
            plan: "sandbox".to_string(),
            scopes: all_scopes(),
            daily_cap: Some(20),
            ..KeyConfig::new(id, value, org)
        }
    }

    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Sets the plan; `free` has no API access, any other plan has.
    pub fn plan(mut self, plan: &str) -> Self {
        self.plan = plan.to_string();
        self.api_access = plan != "free";
        self
    }

    /// Sets API access explicitly.
    pub fn api_access(mut self, on: bool) -> Self {
        self.api_access = on;
        self
    }

    /// Replaces the scopes.
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Replaces the allowed origins.
    pub fn allowed_origins(mut self, origins: &[&str]) -> Self {
        self.allowed_origins = origins.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Sets (`Some`) or removes (`None`) the daily request cap.
    pub fn daily_cap(mut self, cap: Option<u32>) -> Self {
        self.daily_cap = cap;
        self
    }

    /// Sets the number of jobs this key may create.
    pub fn job_budget(mut self, jobs: u32) -> Self {
        self.job_budget = Some(jobs);
        self
    }

    /// Marks the key's organisation as out of credit.
    pub fn credit_exhausted(mut self, on: bool) -> Self {
        self.credit_exhausted = on;
        self
    }

    /// Marks the key's plan quota as used up.
    pub fn quota_exhausted(mut self, on: bool) -> Self {
        self.quota_exhausted = on;
        self
    }

    /// Per-key realtime concurrency cap.
    pub fn realtime_concurrency(mut self, n: u32) -> Self {
        self.realtime_concurrency = Some(n);
        self
    }

    /// Whether the key has `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The default Specala keys (see the crate docs).
    pub fn specala_defaults() -> Vec<KeyConfig> {
        vec![
            KeyConfig::specala("key_alpha_pro", "spk_alpha_pro_0001", "ws_alpha").name("alpha pro"),
            KeyConfig::specala("key_beta_pro", "spk_beta_pro_0002", "ws_beta").name("beta pro"),
            KeyConfig::specala("key_alpha_free", "spk_alpha_free_0003", "ws_alpha")
                .name("alpha free")
                .plan("free"),
        ]
    }

    /// The default PyAI keys (see the crate docs).
    pub fn pyai_defaults() -> Vec<KeyConfig> {
        vec![
            KeyConfig::pyai_secret("key_full", "pyai_sk_full_0001", "org_main").name("full access"),
            KeyConfig::pyai_secret("key_readonly", "pyai_sk_readonly_0002", "org_main")
                .name("read only")
                .scopes(&[SCOPE_JOBS_READ]),
            KeyConfig::pyai_publishable(
                "key_web",
                "pyai_pk_web_0003",
                "org_main",
                &["https://app.example.com"],
            )
            .name("web publishable"),
            KeyConfig::pyai_sandbox("key_sandbox", "pyai_sk_sandbox_0004", "org_sandbox")
                .name("sandbox"),
            KeyConfig::pyai_secret("key_budget", "pyai_sk_budget_0005", "org_main")
                .name("budget of 3 jobs")
                .job_budget(3),
            KeyConfig::pyai_secret("key_broke", "pyai_sk_broke_0006", "org_broke")
                .name("org without credit")
                .credit_exhausted(true),
            KeyConfig::pyai_secret("key_quota", "pyai_sk_quota_0007", "org_quota")
                .name("plan quota used up")
                .quota_exhausted(true),
        ]
    }

    /// A one-line description for humans (used by the binary): id, name, kind, plan,
    /// workspace and the PyAI restrictions that apply. Never the key's value: keys are not
    /// printed, not even fixture ones (the README lists the default keys).
    ///
    /// ```
    /// use surefoot_emulator::KeyConfig;
    /// let line = KeyConfig::pyai_secret("key_full", "pyai_sk_full_0001", "org_main").describe();
    /// assert!(line.starts_with("key id=key_full"));
    /// assert!(!line.contains("pyai_sk_full_0001"));
    /// ```
    pub fn describe(&self) -> String {
        let mut s = format!(
            "key id={} name={:?} kind={} plan={} workspace={}",
            self.id,
            self.name,
            self.kind.as_str(),
            self.plan,
            self.workspace
        );
        if !self.api_access {
            s.push_str(" api_access=false");
        }
        if !self.scopes.is_empty() {
            s.push_str(&format!(" scopes={}", self.scopes.join(",")));
        }
        if !self.allowed_origins.is_empty() {
            s.push_str(&format!(" origins={}", self.allowed_origins.join(",")));
        }
        if let Some(cap) = self.daily_cap {
            s.push_str(&format!(" daily_cap={cap}"));
        }
        if let Some(b) = self.job_budget {
            s.push_str(&format!(" job_budget={b}"));
        }
        if self.credit_exhausted {
            s.push_str(" credit_exhausted");
        }
        if self.quota_exhausted {
            s.push_str(" quota_exhausted");
        }
        s
    }
}

fn all_scopes() -> Vec<String> {
    [SCOPE_JOBS_READ, SCOPE_JOBS_WRITE, SCOPE_REALTIME]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

struct Entry {
    key: KeyConfig,
    revoked: bool,
}

/// The live key set: configured keys plus those created over the key API.
pub(crate) struct KeyStore {
    entries: Vec<Entry>,
    by_value: HashMap<String, usize>,
}

impl KeyStore {
    pub(crate) fn new(keys: &[KeyConfig]) -> KeyStore {
        let mut store = KeyStore {
            entries: Vec::new(),
            by_value: HashMap::new(),
        };
        for k in keys {
            store.insert(k.clone());
        }
        store
    }

    fn insert(&mut self, key: KeyConfig) {
        self.by_value.insert(key.value.clone(), self.entries.len());
        self.entries.push(Entry {
            key,
            revoked: false,
        });
    }

    /// The active key whose value is `value`.
    pub(crate) fn by_value(&self, value: &str) -> Option<&KeyConfig> {
        let e = &self.entries[*self.by_value.get(value)?];
        (!e.revoked).then_some(&e.key)
    }

    /// Every active key, in creation order.
    pub(crate) fn active(&self) -> Vec<KeyConfig> {
        self.entries
            .iter()
            .filter(|e| !e.revoked)
            .map(|e| e.key.clone())
            .collect()
    }

    /// Active keys of `workspace`, newest first.
    pub(crate) fn in_workspace(&self, workspace: &str) -> Vec<&KeyConfig> {
        self.entries
            .iter()
            .rev()
            .filter(|e| !e.revoked && e.key.workspace == workspace)
            .map(|e| &e.key)
            .collect()
    }

    /// Creates a key like `creator` (same workspace and plan) named `name`.
    pub(crate) fn create(&mut self, creator: &KeyConfig, name: &str) -> KeyConfig {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let key = KeyConfig {
            id: format!("key_{}", &hex[..12]),
            name: name.to_string(),
            value: format!("spk_{}", uuid::Uuid::new_v4().simple()),
            created_at: crate::clock::now_rfc3339(),
            ..creator.clone()
        };
        self.insert(key.clone());
        key
    }

    /// Revokes the active key `id` of `workspace`; false if there is none.
    pub(crate) fn revoke(&mut self, workspace: &str, id: &str) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|e| !e.revoked && e.key.id == id && e.key.workspace == workspace)
        {
            Some(e) => {
                e.revoked = true;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_value() {
        let k = KeyConfig::specala("key_x", "spk_alpha_pro_0001", "ws_alpha");
        let d = format!("{k:?}");
        assert!(!d.contains("spk_alpha_pro_0001"), "{d}");
        assert!(d.contains("spk_…0001"), "{d}");
    }

    #[test]
    fn revoke_and_lookup() {
        let mut s = KeyStore::new(&KeyConfig::specala_defaults());
        assert!(s.by_value("spk_alpha_pro_0001").is_some());
        assert!(!s.revoke("ws_beta", "key_alpha_pro"));
        assert!(s.revoke("ws_alpha", "key_alpha_pro"));
        assert!(s.by_value("spk_alpha_pro_0001").is_none());
    }
}
