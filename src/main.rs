//! Browser entry point (wasm32, built by Trunk with `--features csr`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(dichvucong::ui::App);
}
