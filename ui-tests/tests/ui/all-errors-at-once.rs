use basehttp::prelude::*;

struct H;

#[http_handler(spam)]
impl H {
    fn do_get(&mut self, req: &mut Request) -> std::io::Result<()> {
        req.send_response(200)
    }
    fn do_POST(&self) {}
}

fn main() {}
