use basehttp::prelude::*;

struct H;

trait Greet {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()>;
}

#[http_handler]
impl Greet for H {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
