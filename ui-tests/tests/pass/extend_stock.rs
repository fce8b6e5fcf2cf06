//! Extending the stock file and CGI handlers with #[http_handler(extends = ...)].
use basehttp::handlers::cgi::{self, CgiHandler, CgiHttpRequestHandler};
use basehttp::handlers::{Body, FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;
use std::io;

struct Files {
    files: SimpleHttpRequestHandler,
}

impl FileHandler for Files {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.files
    }
    fn guess_type(&self, _path: &std::path::Path) -> String {
        "text/plain".into()
    }
}

#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler, protocol_version = "HTTP/1.1")]
impl Files {
    fn do_PUT(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_error(403)
    }
}

struct Scripts {
    cgi: CgiHttpRequestHandler,
}

impl FileHandler for Scripts {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.cgi.files
    }
    fn send_head(&mut self, req: &mut Request) -> io::Result<Option<Body>> {
        cgi::send_head(self, req)
    }
}

impl CgiHandler for Scripts {
    fn cgi_handler(&self) -> &CgiHttpRequestHandler {
        &self.cgi
    }
}

#[http_handler(extends = basehttp::handlers::CgiHttpRequestHandler)]
impl Scripts {}

fn assert_handler<H: Handler>(h: H) -> H {
    h
}

fn main() {
    let files = assert_handler(Files { files: SimpleHttpRequestHandler::new(".") });
    assert_eq!(*files.methods(), ["PUT", "GET", "HEAD"]);
    let scripts = assert_handler(Scripts {
        cgi: CgiHttpRequestHandler::with_files(SimpleHttpRequestHandler::new(".")),
    });
    assert_eq!(*scripts.methods(), ["GET", "HEAD", "POST"]);
}
