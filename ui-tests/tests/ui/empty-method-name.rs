use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    fn do_(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
