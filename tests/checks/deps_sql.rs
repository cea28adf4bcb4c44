//! `healthz::deps::Sql` against a real PostgreSQL on 127.0.0.1, with each
//! sqlx release it takes: passing, the database stopped under the app,
//! wrong credentials, a saturated pool and a server that never answers.

/// sqlx 0.9, feature `sqlx`: what `cargo add sqlx` gives.
mod sqlx_0_9 {
    include!("deps_sql/cases.rs");
}

/// sqlx 0.8, feature `sqlx_0_8`.
mod sqlx_0_8 {
    use ::sqlx_0_8 as sqlx;
    include!("deps_sql/cases.rs");
}
