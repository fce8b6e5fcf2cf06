use basehttp::prelude::*;

struct H;

#[http_handler(protocol_version = "HTTP/2")]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
