use basehttp::handlers::{FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;

struct Files(SimpleHttpRequestHandler);

impl FileHandler for Files {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.0
    }
}

#[http_handler(extends = SimpleHttpRequestHandler)]
impl Files {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        // Python's `super().do_GET()`, spelled with the base type.
        SimpleHttpRequestHandler::do_GET(self, req)
    }
}

fn main() {}
