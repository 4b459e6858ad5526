//! The migrations are embedded in the store (`db.rs`, `embed_migrations!`), which reads each
//! migration's files when it compiles; a migration added since would not be noticed. Cargo
//! runs this again, and so compiles the store again, whenever anything under the migrations
//! changes.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
