-- GraphQL documents remembered for automatic persisted queries (Apollo's protocol): a client
-- sends a query's SHA-256 alone and the server runs the query it remembers under that hash.
-- Kept in the database so every server on it knows what one of them was told. `id` orders
-- them by when they were first remembered: the oldest go first when there are too many.

CREATE TABLE persisted_queries (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    query TEXT NOT NULL
);
