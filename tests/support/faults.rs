//! A fault-injecting HTTP/1.1 proxy on 127.0.0.1, put between talkback and a fake API. It reads
//! each request, forwards it to the fake, and for a planned share of requests answers wrongly
//! instead: a 500, a 429 with `Retry-After: 1`, a reset connection, a body cut short, a body
//! that is not JSON, or a response that comes only after a delay. Streams (SSE or WebSocket
//! upgrades) are piped through, or, when planned, refused with a 503. Faults
//! follow a fixed plan (every `every`-th request, cycling through the kinds; every other stream)
//! until `budget` have been injected, so a test is repeatable and ends. Counts what it injected, by kind.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ServerError,
    RateLimited,
    Reset,
    Truncated,
    Malformed,
    Slow,
    BrokenStream,
}

impl Fault {
    const CYCLE: [Fault; 6] = [
        Fault::ServerError,
        Fault::Truncated,
        Fault::RateLimited,
        Fault::Malformed,
        Fault::Reset,
        Fault::Slow,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::ServerError => "500",
            Fault::RateLimited => "429",
            Fault::Reset => "connection reset",
            Fault::Truncated => "truncated body",
            Fault::Malformed => "malformed body",
            Fault::Slow => "slow answer",
            Fault::BrokenStream => "stream refused",
        }
    }
}

#[derive(Default)]
struct Plan {
    requests: u64,
    injected: BTreeMap<&'static str, u64>,
    total: u64,
}

#[derive(Clone)]
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, to use instead of the fake's root.
    pub url: String,
    plan: Arc<Mutex<Plan>>,
}

impl FaultProxy {
    /// Proxies to `upstream`; every `every`-th request is a fault, until `budget` faults.
    pub async fn start(upstream: SocketAddr, every: u64, budget: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let proxy = FaultProxy {
            url,
            plan: Arc::new(Mutex::new(Plan::default())),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move { p.serve(client, upstream, every, budget).await });
            }
        });
        proxy
    }

    /// How many faults of each kind were injected.
    pub fn injected(&self) -> BTreeMap<&'static str, u64> {
        self.plan.lock().unwrap().injected.clone()
    }

    pub fn total(&self) -> u64 {
        self.plan.lock().unwrap().total
    }

    /// The fault for the next request, if one is planned (counted as injected).
    fn next(&self, every: u64, budget: u64, stream: bool) -> Option<Fault> {
        let mut plan = self.plan.lock().unwrap();
        plan.requests += 1;
        // A stream is one long request: break every other one (the first included).
        let due = if stream {
            plan.requests % 2 == 1
        } else {
            plan.requests.is_multiple_of(every)
        };
        if plan.total >= budget || !due {
            return None;
        }
        let fault = if stream {
            Fault::BrokenStream
        } else {
            Fault::CYCLE[(plan.total % Fault::CYCLE.len() as u64) as usize]
        };
        plan.total += 1;
        *plan.injected.entry(fault.name()).or_default() += 1;
        Some(fault)
    }

    async fn serve(&self, client: TcpStream, upstream: SocketAddr, every: u64, budget: u64) {
        let mut client = BufReader::new(client);
        loop {
            let Some((head, body)) = read_request(&mut client).await else {
                return;
            };
            let lower = head.to_ascii_lowercase();
            let stream = lower.contains("upgrade: websocket")
                || lower.contains("accept: text/event-stream")
                || lower.contains("/streaming/");
            let fault = self.next(every, budget, stream);
            if stream {
                if fault.is_some() {
                    // Refused before the fake sees it: a firehose link without a cursor is
                    // live-only, so a link cut after the fake counted it would lose events on
                    // the fake's side, not talkback's. Cuts mid-stream are the sources' own
                    // tests (`drop_streams`, the firehose's resume from its cursor).
                    let resp = canned(503, "Service Unavailable", "", r#"{"error":"overloaded"}"#);
                    let _ = client.get_mut().write_all(&resp).await;
                    return;
                }
                pipe_stream(client.into_inner(), upstream, &head, &body).await;
                return;
            }
            let answer = match fault {
                Some(Fault::Reset) => {
                    // Linger 0: the close is a TCP reset, not a clean end. (Deprecated because
                    // a non-zero linger blocks on drop; zero does not.)
                    #[allow(deprecated)]
                    let _ = client.get_ref().set_linger(Some(Duration::ZERO));
                    return;
                }
                Some(Fault::ServerError) => canned(500, "Internal Server Error", "", "<html>oops</html>"),
                Some(Fault::RateLimited) => canned(
                    429,
                    "Too Many Requests",
                    "retry-after: 1\r\n",
                    r#"{"ok":false,"error":"ratelimited"}"#,
                ),
                _ => match forward(upstream, &head, &body).await {
                    Some(resp) => resp,
                    None => return,
                },
            };
            let answer = match fault {
                Some(Fault::Truncated) => {
                    let cut = answer.len() - (answer.len() - header_end(&answer)) / 2;
                    let _ = client.get_mut().write_all(&answer[..cut.max(1)]).await;
                    return;
                }
                Some(Fault::Malformed) => malformed(&answer),
                Some(Fault::Slow) => {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    answer
                }
                _ => answer,
            };
            if client.get_mut().write_all(&answer).await.is_err() {
                return;
            }
        }
    }
}

/// One request: its head (request line and headers, `Connection: close` forced so the fake's
/// answer ends at EOF) and its body.
async fn read_request(client: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if client.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        if !line.to_ascii_lowercase().starts_with("connection:") {
            head.push_str(&line);
        }
        if end {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    client.read_exact(&mut body).await.ok()?;
    Some((head, body))
}

fn with_close(head: &str) -> String {
    let trimmed = head.trim_end_matches("\r\n");
    format!("{trimmed}\r\nconnection: close\r\n\r\n")
}

async fn forward(upstream: SocketAddr, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await.ok()?;
    up.write_all(with_close(head).as_bytes()).await.ok()?;
    up.write_all(body).await.ok()?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await.ok()?;
    Some(keep_alive(resp))
}

/// The fake closes after answering (we asked it to); the client may keep its connection.
fn keep_alive(resp: Vec<u8>) -> Vec<u8> {
    let end = header_end(&resp);
    let head = String::from_utf8_lossy(&resp[..end]).replace("connection: close\r\n", "");
    let mut out = head.into_bytes();
    out.extend_from_slice(&resp[end..]);
    out
}

fn header_end(resp: &[u8]) -> usize {
    resp.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(resp.len(), |p| p + 4)
}

fn canned(status: u16, reason: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The same status and headers, with a body that is not what was promised.
fn malformed(resp: &[u8]) -> Vec<u8> {
    let end = header_end(resp);
    let body = b"{\"this is\": not json at all";
    let head = String::from_utf8_lossy(&resp[..end]).to_string();
    let mut lines: Vec<String> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.starts_with("content-length:") && !l.starts_with("transfer-encoding:")
        })
        .map(str::to_string)
        .collect();
    lines.push(format!("content-length: {}", body.len()));
    let mut out = format!("{}\r\n\r\n", lines.join("\r\n")).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Pipes a streaming request both ways.
async fn pipe_stream(client: TcpStream, upstream: SocketAddr, head: &str, body: &[u8]) {
    let Ok(mut up) = TcpStream::connect(upstream).await else {
        return;
    };
    let head = if head.to_ascii_lowercase().contains("upgrade:") {
        format!(
            "{}connection: Upgrade\r\n\r\n",
            head.trim_end_matches("\r\n").to_string() + "\r\n"
        )
    } else {
        head.to_string()
    };
    if up.write_all(head.as_bytes()).await.is_err() || up.write_all(body).await.is_err() {
        return;
    }
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = up.into_split();
    let to_up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut cr, &mut uw).await;
    });
    let _ = tokio::io::copy(&mut ur, &mut cw).await;
    to_up.abort();
}
