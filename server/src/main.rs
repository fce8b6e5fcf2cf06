//! The `basehttp` command: a drop-in `python -m http.server`.

fn main() {
    eprintln!("basehttp: the command-line server is not built yet");
    std::process::exit(2);
}
