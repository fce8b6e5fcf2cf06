use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    unsafe fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
