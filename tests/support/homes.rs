//! Temporary homes for tests that drive the binary: a directory whose qwf
//! home (`home/`) holds the seed's pipeline.
#![allow(dead_code)] // each test binary uses a different part

/// The seed's workflow.
pub const PIPELINE: &str = include_str!("../fixtures/data-pipeline.json");

/// A temporary directory whose qwf home (`home/`) holds the seed's pipeline.
pub fn home_with_pipeline() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("home/workflows")).expect("home");
    std::fs::write(
        dir.path().join("home/workflows/data-pipeline.json"),
        PIPELINE,
    )
    .expect("workflow");
    dir
}
