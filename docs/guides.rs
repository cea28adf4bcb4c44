//! The test suite's library, which holds nothing but the guides: the Rust
//! snippets of the README and of every page beside this file, compiled, and
//! run where they can be, by `cargo test --workspace` (`cargo test -p
//! healthz-suite --doc` for them alone), as each page shows them, with the
//! suite's dependencies. A new page is listed here.

#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../README.md")]
    struct Readme;

    #[doc = include_str!("compile-errors.md")]
    struct CompileErrors;

    #[doc = include_str!("cost.md")]
    struct Cost;

    #[doc = include_str!("grpc.md")]
    struct Grpc;

    #[doc = include_str!("health-over-time.md")]
    struct HealthOverTime;

    #[doc = include_str!("kubernetes.md")]
    struct Kubernetes;

    #[doc = include_str!("lifecycle.md")]
    struct Lifecycle;

    #[doc = include_str!("named-checks.md")]
    struct NamedChecks;

    #[doc = include_str!("observability.md")]
    struct Observability;

    #[doc = include_str!("own-port.md")]
    struct OwnPort;

    #[doc = include_str!("probes.md")]
    struct Probes;

    #[doc = include_str!("shutdown.md")]
    struct Shutdown;
}
