// As the app links (src-tauri/build_relocations.rs): the same relocation packing.
include!("../../src-tauri/build_relocations.rs");

fn main() {
    println!("cargo:rerun-if-changed=../../src-tauri/build_relocations.rs");
    pack_relative_relocations();
    tauri_build::build()
}
