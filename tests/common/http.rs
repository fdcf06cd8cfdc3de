//! Test HTTP servers on 127.0.0.1: the real `portraits serve` as a child process, and a
//! scriptable server that answers canned bodies, forwards to an upstream, or misbehaves
//! (resets mid-body, answers 503 with Retry-After, stalls) for fault tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A blocking HTTP client (the crate's TLS provider installed first, as the app does).
pub fn client() -> reqwest::blocking::Client {
    portraits::sync::install_crypto();
    reqwest::blocking::Client::builder().no_gzip().build().unwrap()
}

/// GET a URL's bytes.
pub fn get_bytes(url: &str) -> Vec<u8> {
    client().get(url).send().unwrap().bytes().unwrap().to_vec()
}

/// `portraits serve` on a free port, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(db: &Path) -> Server {
        Server::start_with(db, &[])
    }

    /// `portraits serve` with extra arguments (its limits), on a free port.
    pub fn start_with(db: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portraits"))
            .args(["--db", db.to_str().unwrap(), "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start portraits serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        let _ = tx.send(url.trim().to_string());
                        sent = true;
                    }
                }
                log2.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let url = rx.recv_timeout(Duration::from_secs(30)).expect("server did not start");
        Server { child, url, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request as the scriptable server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What to do with a request.
pub enum Action {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Send the headers (with the full Content-Length) and the first `cut` bytes, then reset.
    Reset {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        cut: usize,
    },
    /// Send nothing for this long, then close.
    Stall(Duration),
    /// Forward to the upstream and answer what it answered.
    Proxy(String),
}

impl Action {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Action {
        Action::Respond { status, headers: vec![("Content-Type".into(), "application/json".into())], body: body.into() }
    }
    pub fn status(status: u16, headers: &[(&str, &str)]) -> Action {
        Action::Respond {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: format!("{{\"code\":\"test\",\"message\":\"status {status}\"}}").into_bytes(),
        }
    }
}

type Handler = dyn Fn(&Request, usize) -> Action + Send + Sync;

/// A scriptable HTTP/1.1 server (one request per connection).
pub struct Scripted {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
}

impl Scripted {
    /// `handler(request, n)` is called with the n-th request (from 0).
    pub fn start(handler: impl Fn(&Request, usize) -> Action + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (h2, r2, s2) = (hits.clone(), requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let (handler, hits, requests) = (handler.clone(), h2.clone(), r2.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &*handler, &hits, &requests);
                });
            }
        });
        Scripted { url: format!("http://{addr}"), hits, requests, stop, addr }
    }

    pub fn count(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_one(
    mut stream: TcpStream,
    handler: &Handler,
    hits: &AtomicUsize,
    requests: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let req = Request { method, path, headers, body };
    let n = hits.fetch_add(1, Ordering::SeqCst);
    requests.lock().unwrap().push(req.clone());
    match handler(&req, n) {
        Action::Respond { status, headers, body } => write_response(&mut stream, status, &headers, &body, body.len()),
        Action::Reset { status, headers, body, cut } => {
            write_response(&mut stream, status, &headers, &body[..cut.min(body.len())], body.len())?;
            stream.flush()?;
            // SO_LINGER 0 turns the close into a reset.
            let _ = socket_linger_zero(&stream);
            drop(stream);
            Ok(())
        }
        Action::Stall(d) => {
            std::thread::sleep(d);
            Ok(())
        }
        Action::Proxy(upstream) => {
            let client = client();
            let url = format!("{upstream}{}", req.path);
            let mut rb = client.request(reqwest::Method::from_bytes(req.method.as_bytes()).unwrap(), &url);
            for (k, v) in &req.headers {
                if !k.eq_ignore_ascii_case("host")
                    && !k.eq_ignore_ascii_case("content-length")
                    && !k.eq_ignore_ascii_case("accept-encoding")
                {
                    rb = rb.header(k, v);
                }
            }
            let resp = rb.body(req.body.clone()).send().unwrap();
            let status = resp.status().as_u16();
            let hs: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "content-length" | "transfer-encoding" | "connection"))
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let body = resp.bytes().unwrap().to_vec();
            write_response(&mut stream, status, &hs, &body, body.len())
        }
    }
}

fn socket_linger_zero(stream: &TcpStream) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Linger {
        l_onoff: i32,
        l_linger: i32,
    }
    let l = Linger { l_onoff: 1, l_linger: 0 };
    extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, value: *const std::ffi::c_void, len: u32) -> i32;
    }
    // SOL_SOCKET = 1, SO_LINGER = 13 on Linux.
    let r = unsafe {
        setsockopt(stream.as_raw_fd(), 1, 13, &l as *const Linger as *const _, std::mem::size_of::<Linger>() as u32)
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn write_response(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    declared: usize,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {declared}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}
