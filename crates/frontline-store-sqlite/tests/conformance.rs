//! The storage conformance suite on SQLite: every check gets its own fresh database file.

use std::sync::Arc;

use frontline_store::Store;
use frontline_store_sqlite::SqliteStore;

async fn fresh() -> Arc<dyn Store> {
    // Under the target directory's scratch space, not /tmp: the directories are leaked (below) and
    // `cargo clean` removes them.
    let dir = tempfile::Builder::new()
        .prefix("conformance-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("frontline.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    // The directory must outlive the store, which the suite owns: keep it on disk.
    std::mem::forget(dir);
    Arc::new(store)
}

frontline_store::conformance_suite!(fresh());
