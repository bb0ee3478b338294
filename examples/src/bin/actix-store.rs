//! The demo store on actix-web: `cargo run -p examples --bin actix-store`.

fn main() {
    examples::server::run_main(examples::actix_app::start)
}
