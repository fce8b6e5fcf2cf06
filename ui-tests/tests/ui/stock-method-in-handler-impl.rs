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
}

#[http_handler(extends = basehttp::handlers::SimpleHttpRequestHandler)]
impl Files {
    // Belongs in `impl FileHandler for Files`: here it would never run.
    fn send_head(&mut self, req: &mut Request) -> io::Result<Option<Body>> {
        req.send_error(404).map(|()| None)
    }
}

fn main() {}
