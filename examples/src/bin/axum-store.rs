//! The demo store on axum: `cargo run -p examples --bin axum-store`.

fn main() {
    examples::server::run_main(examples::axum_app::start)
}
