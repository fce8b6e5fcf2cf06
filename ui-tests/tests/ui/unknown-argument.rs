use basehttp::prelude::*;

struct H;

#[http_handler(server_name = "spam")]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
