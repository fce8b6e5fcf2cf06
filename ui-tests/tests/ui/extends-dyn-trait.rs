use basehttp::handlers::{FileHandler, SimpleHttpRequestHandler};
use basehttp::prelude::*;

struct Files(SimpleHttpRequestHandler);

impl FileHandler for Files {
    fn file_handler(&self) -> &SimpleHttpRequestHandler {
        &self.0
    }
}

// rustc's hint for `extends = FileHandler`, followed.
#[http_handler(extends = dyn FileHandler)]
impl Files {}

fn main() {}
