//! Every attribute argument and every hook, together, plus `crate = path`.
use basehttp::prelude::*;
use basehttp::Class;
use std::io;

mod renamed {
    pub use basehttp as http;
}

struct Everything {
    name: &'static str,
}

#[http_handler(
    crate = renamed::http,
    server_version = "Spam/1.0",
    sys_version = "Eggs/2.0",
    protocol_version = "HTTP/1.1",
    error_message_format = "%(code)d %(message)s %(explain)s",
    error_content_type = "text/plain",
    default_request_version = "HTTP/1.0",
    auto_options,
    method_not_allowed,
    auto_head
)]
impl Everything {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.end_headers()
    }

    fn log_message(req: &Request, message: &str) {
        eprintln!("{} {message}", req.address_string());
    }

    fn version_string(_req: &Request) -> String {
        "Custom".to_owned()
    }

    fn before_end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("Access-Control-Allow-Origin", "*")
    }

    fn handle_expect_100(&mut self, req: &mut Request) -> io::Result<bool> {
        req.send_error(417)?;
        Ok(false)
    }

    fn class(&self) -> Class {
        Class {
            server_version: self.name.into(),
            ..Class::BASE
        }
    }
}

fn main() {
    let _ = HttpServer::bind("127.0.0.1:0", || Everything { name: "x" });
}
