use basehttp::prelude::*;
use std::io;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(204)?;
        req.end_headers()
    }
    fn before_end_header(req: &mut Request) -> io::Result<()> {
        req.send_header("X-A", "1")
    }
    fn log_messages(_req: &Request, _message: &str) {}
    // A helper of the user's own: fine.
    fn lookup(&self, id: u32) -> u32 {
        id
    }
}

fn main() {}
