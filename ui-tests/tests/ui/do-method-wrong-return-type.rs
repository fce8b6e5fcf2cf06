use basehttp::prelude::*;

struct H;

#[http_handler]
impl H {
    fn do_GET(&mut self, req: &mut Request) -> String {
        let _ = req;
        String::new()
    }
}

fn main() {}
