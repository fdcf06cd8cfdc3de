//! The `portraits` command: a thin binary over [`portraits::cli`].

fn main() {
    std::process::exit(portraits::cli::main());
}
