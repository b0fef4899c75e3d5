//! Helpers shared by the integration tests: a proxy-free reqwest client and a
//! "send and read everything" shorthand.
#![allow(dead_code)]

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// A client that never goes through a proxy (the emulator is on loopback).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A sent request's status, headers and body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON (panics with the body if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// Asserts the status and returns self.
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// The stable code of a PyAI envelope error.
    pub fn envelope_code(&self) -> String {
        let v = self.json();
        assert!(v["error"]["message"].is_string(), "{v}");
        assert!(v["error"]["type"].is_string(), "{v}");
        assert!(v["error"]["param"].is_null(), "{v}");
        v["error"]["code"].as_str().unwrap().to_string()
    }

    /// The stable code of a problem+json error (after checking its shape).
    pub fn problem_code(&self) -> String {
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "content type {:?}",
            self.content_type()
        );
        let v = self.json();
        assert_eq!(v["status"], self.status.as_u16(), "{v}");
        assert!(v["title"].is_string() && v["detail"].is_string(), "{v}");
        assert_eq!(
            v["request_id"].as_str(),
            self.header("x-request-id"),
            "request_id matches x-request-id"
        );
        let ty = v["type"].as_str().unwrap();
        assert!(ty.starts_with("https://api.pyai.com/problems/"), "{ty}");
        ty.rsplit('/').next().unwrap().to_string()
    }
}

/// Sends and reads the whole answer; panics on a transport error.
pub async fn send(req: RequestBuilder) -> Answer {
    let resp = req.send().await.expect("transport error");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body error");
    let id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        id.starts_with("req_") && id.len() > 8,
        "every answer carries x-request-id, got {id:?}"
    );
    Answer {
        status,
        headers,
        text,
    }
}
