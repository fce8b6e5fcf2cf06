use basehttp::handlers::{FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;

struct Files(SimpleHttpRequestHandler);

impl FileHandler for Files {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.0
    }
}

// The trait the type implements, not the base type.
#[http_handler(extends = FileHandler)]
impl Files {}

fn main() {}
