use basehttp::prelude::*;

struct H;

#[http_handler(server_version, sys_version = 2, auto_head = true, extends = "Base")]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
}

fn main() {}
