//! What a service no longer writes by hand (issue 21): `send_error` with
//! extra headers, `redirect`, `read_json`, uploads saved into a directory
//! under safe names, the test client's multipart bodies, and
//! `ServerConfig` in one expression.

use std::collections::BTreeMap;
use std::time::Duration;

use basehttp::form::{self, Limits};
use basehttp::prelude::*;
use basehttp::test::Client;

use crate::support::TempDir;

struct Service {
    share: std::path::PathBuf,
}

#[http_handler(protocol_version = "HTTP/1.1")]
impl Service {
    fn do_DELETE(&mut self, req: &mut Request) -> io::Result<()> {
        if req.headers.get("Authorization") != Some("Bearer s3cret") {
            return req.send_error_with_headers(401, None, &[("WWW-Authenticate", "Bearer")]);
        }
        req.send_response(204)?;
        req.end_headers()
    }

    fn do_PUT(&mut self, req: &mut Request) -> io::Result<()> {
        let item: BTreeMap<String, u32> = req.read_json(100)?;
        req.respond(200, "text/plain", format!("{item:?}"))
    }

    fn do_POST(&mut self, req: &mut Request) -> io::Result<()> {
        let limits = Limits {
            max_total_size: 1000,
            ..Limits::default()
        };
        let saved = form::save_files(req, &self.share, limits)?;
        let names: Vec<String> = saved
            .iter()
            .map(|f| format!("{}:{}:{}", f.field, f.name, f.size))
            .collect();
        req.send_response(303)?;
        req.send_header("X-Saved", &names.join(","))?;
        req.send_header("Location", "/")?;
        req.send_header("Content-Length", "0")?;
        req.end_headers()
    }

    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.redirect(303, "/elsewhere")
    }
}

#[test]
fn send_error_with_headers_keeps_the_error_page() -> io::Result<()> {
    let dir = TempDir::new("helpers-401");
    let mut client = Client::new(Service {
        share: dir.path().into(),
    });
    let r = client.request("DELETE", "/x").send()?;
    assert_eq!((r.status, r.reason.as_str()), (401, "Unauthorized"));
    assert_eq!(r.header("WWW-Authenticate"), Some("Bearer"));
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(r.text().contains("<p>Error code: 401</p>"), "{}", r.text());
    let r = client
        .request("DELETE", "/x")
        .header("Authorization", "Bearer s3cret")
        .send()?;
    assert_eq!(r.status, 204);
    Ok(())
}

#[test]
fn redirect_and_read_json() -> io::Result<()> {
    let dir = TempDir::new("helpers-json");
    let mut client = Client::new(Service {
        share: dir.path().into(),
    });
    let r = client.get("/")?;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("Location"), Some("/elsewhere"));
    assert_eq!(r.header("Content-Length"), Some("0"));
    assert!(client.is_connected(), "a redirect keeps the connection");
    let r = client.request("PUT", "/").body(r#"{"a": 1}"#).send()?;
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"a": 1}"#));
    let r = client.request("PUT", "/").body(r#"{"a": "x"}"#).send()?;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("invalid JSON"), "{}", r.text());
    let r = client.request("PUT", "/").body(vec![b' '; 101]).send()?;
    assert_eq!(r.status, 413);
    Ok(())
}

#[test]
fn uploads_are_saved_under_safe_numbered_names() -> io::Result<()> {
    let dir = TempDir::new("helpers-upload");
    dir.write("notes.txt", "old");
    let mut client = Client::new(Service {
        share: dir.path().into(),
    });
    let r = client
        .request("POST", "/")
        .multipart_field("comment", "not a file")
        .multipart_file("a", "C:\\Users\\me\\notes.txt", "text/plain", "new notes")
        .multipart_file("b", "../../.profile", "text/plain", "sneaky")
        .multipart_file("c", "", "application/octet-stream", "")
        .multipart_file("d", "ünï.bin", "application/octet-stream", [0u8, 1, 2])
        .send()?;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("X-Saved"), Some("a:notes (1).txt:9,d:ünï.bin:3"));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["notes (1).txt", "notes.txt", "ünï.bin"]);
    assert_eq!(std::fs::read(dir.path().join("notes.txt"))?, b"old");
    assert_eq!(
        std::fs::read(dir.path().join("notes (1).txt"))?,
        b"new notes"
    );
    Ok(())
}

#[test]
fn a_failed_upload_leaves_no_file_behind() -> io::Result<()> {
    let dir = TempDir::new("helpers-413");
    let mut client = Client::new(Service {
        share: dir.path().into(),
    });
    // Declared too large: refused before reading.
    let r = client
        .request("POST", "/")
        .multipart_file("a", "big.bin", "application/octet-stream", vec![7u8; 2000])
        .send()?;
    assert_eq!(r.status, 413);
    // Chunked, so only the parser sees it grow past the limit: the first
    // file was saved, then removed.
    let body = client
        .request("POST", "/")
        .multipart_file("a", "small.bin", "application/octet-stream", vec![1u8; 100])
        .multipart_file("b", "big.bin", "application/octet-stream", vec![7u8; 2000])
        .to_bytes();
    let split = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&body[..split]).replace(
        &format!("Content-Length: {}\r\n", body.len() - split),
        "Transfer-Encoding: chunked\r\n",
    );
    let payload = &body[split..];
    let mut request = head.into_bytes();
    request.extend_from_slice(format!("{:x}\r\n", payload.len()).as_bytes());
    request.extend_from_slice(payload);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    let out = client.send_raw(request);
    assert!(
        out.starts_with(b"HTTP/1.1 413 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
    Ok(())
}

#[test]
fn server_config_in_one_expression() {
    let c = ServerConfig::new()
        .timeout(Duration::from_secs(3))
        .head_timeout(None)
        .keepalive_timeout(Duration::from_secs(1))
        .body_timeout(Duration::from_secs(2))
        .write_timeout(None)
        .workers(3)
        .max_threads(9)
        .thread_idle(Duration::from_secs(4))
        .max_connections(7)
        .max_head_bytes(1024)
        .max_body(None)
        .shutdown_grace(Duration::from_millis(5))
        .reuse_port(true)
        .dual_stack(true);
    assert_eq!(c.timeout, Some(Duration::from_secs(3)));
    assert_eq!(c.head_timeout, None);
    assert_eq!(c.keepalive_timeout, Some(Duration::from_secs(1)));
    assert_eq!(c.body_timeout, Some(Duration::from_secs(2)));
    assert_eq!(c.write_timeout, None);
    assert_eq!((c.workers, c.max_threads, c.max_connections), (3, 9, 7));
    assert_eq!(
        (c.thread_idle, c.max_head_bytes),
        (Duration::from_secs(4), 1024)
    );
    assert_eq!(
        (c.max_body, c.shutdown_grace),
        (None, Duration::from_millis(5))
    );
    assert!(c.reuse_port && c.dual_stack);
    assert_eq!(ServerConfig::new().max_body(5u64).max_body, Some(5));
}
