//! A fake OpenAI-compatible chat-completions server on 127.0.0.1: every POST is recorded (path,
//! headers, JSON body) and answered with a programmable behaviour — an OpenAI-shaped completion,
//! a status with a body, a body that is not JSON, or no answer at all.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

/// How the fake answers every request from now on.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 with a chat completion whose `choices[0].message.content` is this text.
    Complete(String),
    /// This status, with these headers and this body (served as JSON).
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// 200 with this body as it is (e.g. an HTML error page).
    Raw(String),
    /// Reads the request and never answers.
    Hang,
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `content` of the message with this role.
    pub fn message(&self, role: &str) -> String {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["role"] == role)
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_string()
    }
}

struct Inner {
    behaviour: Behaviour,
    requests: Vec<Request>,
}

#[derive(Clone)]
pub struct FakeLlm {
    /// The API root to configure, `http://127.0.0.1:<port>/v1`.
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeLlm {
    /// Starts the server; it answers `["Thanks!"]` until told otherwise.
    pub async fn start() -> FakeLlm {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeLlm {
            base_url: format!("http://{addr}/v1"),
            inner: Arc::new(Mutex::new(Inner {
                behaviour: Behaviour::Complete(r#"["Thanks!"]"#.into()),
                requests: Vec::new(),
            })),
        };
        let app = Router::new().route("/{*path}", post(handle)).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn set(&self, behaviour: Behaviour) {
        self.inner.lock().unwrap().behaviour = behaviour;
    }

    /// Answers with a completion whose content is `content`.
    pub fn complete(&self, content: &str) {
        self.set(Behaviour::Complete(content.to_string()));
    }

    /// Answers `status` with `headers` and `body`.
    pub fn fail(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        self.set(Behaviour::Status {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.to_string(),
        });
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// A chat completion shaped like OpenAI's documented object.
    pub fn completion(model: &str, content: &str) -> Value {
        json!({
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
            "object": "chat.completion",
            "created": 1_741_570_283,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {
                "prompt_tokens": 412,
                "completion_tokens": 61,
                "total_tokens": 473,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fc9f1d7035"
        })
    }
}

async fn handle(State(fake): State<FakeLlm>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let behaviour = {
        let mut inner = fake.inner.lock().unwrap();
        inner.requests.push(Request {
            path: uri.path().to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        inner.behaviour.clone()
    };
    match behaviour {
        Behaviour::Complete(content) => {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let model = request["model"].as_str().unwrap_or("gpt-4o-mini");
            axum::Json(FakeLlm::completion(model, &content)).into_response()
        }
        Behaviour::Status { status, headers, body } => {
            let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
            let h = resp.headers_mut();
            h.insert("content-type", "application/json".parse().unwrap());
            for (k, v) in headers {
                h.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            resp
        }
        Behaviour::Raw(body) => (StatusCode::OK, [("content-type", "text/html")], body).into_response(),
        Behaviour::Hang => std::future::pending().await,
    }
}
