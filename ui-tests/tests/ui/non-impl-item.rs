use basehttp::prelude::*;

#[http_handler]
struct H;

fn main() {}
