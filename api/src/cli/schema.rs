//! `treeherd schema`: prints the GraphQL schema (SDL), the one `schema/schema.graphql` holds.

pub(super) fn run() -> anyhow::Result<()> {
    print!("{}", treeherd_schema::sdl());
    Ok(())
}
