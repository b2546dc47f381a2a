//! The protocol of ssekit's samples/pubsub on hyper 0.14 and tokio, the way a
//! Rust developer would write a small SSE pub/sub server: topics in a
//! `Mutex<HashMap>`, per subscriber a tokio mpsc channel whose receiver is
//! the response body (`Body::wrap_stream`).
//!
//! ```text
//! $ ssekit-hyper-peer --port 8080
//! $ curl -N http://127.0.0.1:8080/sub/news &
//! $ curl -d 'hello' http://127.0.0.1:8080/pub/news
//! ```

use bytes::Bytes;
use hyper::service::{make_service_fn, service_fn};
use hyper::{header, Body, Method, Request, Response, Server, StatusCode};
use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// How many events may wait for one slow subscriber; a subscriber that falls
/// further behind misses events (the publisher never waits). At the
/// benchmark's 20 events/s this is 50 s of slack.
const SUBSCRIBER_BUFFER: usize = 1024;
const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Default)]
struct Topic {
    subscribers: Vec<mpsc::Sender<Bytes>>,
    last_id: u64,
}

type Topics = Arc<Mutex<HashMap<String, Topic>>>;

/// Every line of data gets its own data field (WHATWG HTML 9.2.6).
fn encode_event(id: u64, data: &str) -> Bytes {
    let data = data.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\ndata: ");
    Bytes::from(format!("id: {id}\ndata: {data}\n\n"))
}

/// The rest of the path after `prefix`, or `None` when it is empty or nested.
fn topic_name<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    path.strip_prefix(prefix).filter(|name| !name.is_empty() && !name.contains('/'))
}

fn plain(status: StatusCode, text: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(text))
        .unwrap()
}

fn subscribe(topics: &Topics, name: &str) -> Response<Body> {
    // Registered before the head is returned: whatever is published after the
    // client sees the head reaches it.
    let (tx, rx) = mpsc::channel::<Bytes>(SUBSCRIBER_BUFFER);
    topics.lock().unwrap().entry(name.to_owned()).or_default().subscribers.push(tx);
    // The body ends, and the receiver is dropped, when the connection closes;
    // the next publish to the topic then removes the sender.
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (Ok::<_, Infallible>(event), rx))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::wrap_stream(events))
        .unwrap()
}

async fn publish(topics: &Topics, name: &str, body: Body) -> Response<Body> {
    let data = match hyper::body::to_bytes(http_body::Limited::new(body, MAX_BODY_BYTES)).await {
        Ok(data) => data,
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n".into()),
    };
    let mut topics = topics.lock().unwrap();
    let topic = topics.entry(name.to_owned()).or_default();
    topic.last_id += 1;
    let event = encode_event(topic.last_id, &String::from_utf8_lossy(&data));
    // Encoded once; each subscriber gets a reference-counted handle to the bytes.
    topic.subscribers.retain(|tx| match tx.try_send(event.clone()) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => true, // SUBSCRIBER_BUFFER events behind
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
    plain(StatusCode::OK, format!("{}\n", topic.last_id))
}

async fn route(topics: Topics, request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    Ok(match (request.method(), &path) {
        (&Method::GET, path) if topic_name(path, "/sub/").is_some() => {
            subscribe(&topics, topic_name(path, "/sub/").unwrap())
        }
        (&Method::POST, path) if topic_name(path, "/pub/").is_some() => {
            publish(&topics, topic_name(path, "/pub/").unwrap(), request.into_body()).await
        }
        _ => plain(StatusCode::NOT_FOUND, "not found\n".into()),
    })
}

fn parse_port() -> Option<u16> {
    let mut args = std::env::args().skip(1);
    let mut port = None;
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--port=") {
            Some(value) => value.to_owned(),
            None if arg == "--port" => args.next()?,
            None => return None,
        };
        port = Some(value.parse().ok()?);
    }
    port
}

/// 10,000+ subscribers need as many descriptors as the hard limit allows.
fn raise_open_file_limit() {
    // SAFETY: plain system calls on a local, fully initialised struct.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

// The multi-thread runtime with its default worker count, as `#[tokio::main]`
// gives every user: one worker per CPU the process may run on, so one under
// `taskset -c 0`.
#[tokio::main]
async fn main() {
    let port = match parse_port() {
        Some(port) => port,
        None => {
            eprintln!("usage: ssekit-hyper-peer --port N");
            std::process::exit(2);
        }
    };
    raise_open_file_limit();

    let topics: Topics = Arc::default();
    let make_service = make_service_fn(move |_connection| {
        let topics = topics.clone();
        async move { Ok::<_, Infallible>(service_fn(move |request| route(topics.clone(), request))) }
    });

    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let server = match Server::try_bind(&address) {
        Ok(builder) => builder,
        Err(error) => {
            eprintln!("cannot listen on {address}: {error}");
            std::process::exit(1);
        }
    };
    // Events are small and must leave at once (Go and Node.js set this by default).
    let server = server.tcp_nodelay(true).serve(make_service);
    println!("listening on http://{}", server.local_addr());
    std::io::stdout().flush().unwrap();

    // with_graceful_shutdown would wait for the event streams, which never end.
    tokio::select! {
        result = server => {
            if let Err(error) = result {
                eprintln!("server error: {error}");
                std::process::exit(1);
            }
        }
        _ = stop_signal() => {}
    }
}
