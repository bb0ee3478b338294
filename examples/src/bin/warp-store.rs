//! The demo store on warp: `cargo run -p examples --bin warp-store`.

fn main() {
    examples::server::run_main(examples::warp_app::start)
}
