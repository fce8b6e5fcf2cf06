use basehttp::prelude::*;
use std::io;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> io::Result<()> {
        req.send_response(200)?;
        req.end_headers()
    }
    // The Python habit: an `end_headers` override that adds a header.
    fn end_headers(req: &mut Request) -> io::Result<()> {
        req.send_header("X-Frame-Options", "DENY")
    }
    fn log_request(req: &Request, code: u16) {
        let _ = (req, code);
    }
    fn send_error(req: &mut Request, code: u16) -> io::Result<()> {
        let _ = (req, code);
        Ok(())
    }
}

fn main() {}
