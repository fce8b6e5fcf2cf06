use basehttp::Handler;

struct H;

fn serve<T: Handler>(_: T) {}

fn check() {
    serve(H);
}

fn main() {}
