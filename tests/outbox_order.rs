//! A city's submissions leave the outbox in the order they were made (found by review of issue
//! 10): when the first cannot be sent (the server answers 503), the later one of the same city
//! waits behind it, because sent first it would be replaced on the server by the earlier one.
//! A scripted HTTP server on 127.0.0.1 answers the first POST 503 and every later one 201.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use portraits::app;
use portraits::store::OutboxStatus;

/// Reads one HTTP request: (method, path, body).
fn read_request(s: &mut std::net::TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut first = head.lines().next()?.split_whitespace();
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let len: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((method, path, buf[head_end..].to_vec()))
}

#[test]
fn a_citys_later_submission_waits_behind_one_that_could_not_be_sent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("client.sqlite3");
    let mut store = app::open(Some(&db), true).unwrap();
    for lead in ["First version.", "Second version."] {
        let mut p = store.portrait("ie-cork", None).unwrap();
        p.lead = lead.into();
        p.photos.clear();
        let rev = app::draft(&store, "ie-cork").unwrap().map(|d| d.revision);
        app::save_draft_portrait(&mut store, "ie-cork", p, rev, &Default::default()).unwrap();
        app::queue_submission(&mut store, "ie-cork", None).unwrap();
    }

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let posts: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = posts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let Some((method, _path, body)) = read_request(&mut s) else { continue };
            let (status, answer) = if method == "POST" {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let mut list = seen.lock().unwrap();
                list.push(v["portrait"]["lead"].as_str().unwrap_or("").to_string());
                if list.len() == 1 {
                    ("503 Service Unavailable", r#"{"code":"busy","message":"busy","fields":[]}"#.to_string())
                } else {
                    let id = format!("sub_{}", list.len());
                    let now = "2026-11-30T12:00:00Z";
                    let summary = serde_json::json!({
                        "id": id, "cityId": "ie-cork", "status": "submitted", "baseVersion": v["baseVersion"], "comments": [],
                        "publishedVersion": null, "createdAt": now, "updatedAt": now
                    });
                    ("201 Created", summary.to_string())
                }
            } else {
                ("200 OK", "{}".to_string())
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });

    let opts = portraits::sync::Options {
        retry: portraits::sync::Retry { attempts: 1, ..Default::default() },
        timeout: std::time::Duration::from_secs(10),
        ..Default::default()
    };
    // First sync: the first is answered 503 and stays pending; the second waits, unsent.
    let (sent, failed, pending) = portraits::sync::send_outbox(&mut store, &url, "gnlc_token", &opts).unwrap();
    assert_eq!((sent, failed, pending), (0, 0, 2));
    assert_eq!(*posts.lock().unwrap(), ["First version."], "the second was not sent before the first");
    // Next sync: both, in order.
    let (sent, failed, pending) = portraits::sync::send_outbox(&mut store, &url, "gnlc_token", &opts).unwrap();
    assert_eq!((sent, failed, pending), (2, 0, 0));
    assert_eq!(*posts.lock().unwrap(), ["First version.", "First version.", "Second version."]);
    assert!(store.outbox().unwrap().iter().all(|e| e.status == OutboxStatus::Sent));
}
