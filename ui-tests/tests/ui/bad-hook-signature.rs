use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
    fn log_message(&self, _message: &str) {}
    fn version_string(_req: &Request) {}
}

fn main() {}
