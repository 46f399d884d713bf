//! The shared storage conformance suite, run against PostgreSQL: every test gets its own database.

use std::sync::Arc;

use frontline_store::Store;
use frontline_store_postgres::PgStore;
use frontline_store_postgres::testing::{admin_url, fresh_database};

frontline_store::conformance_suite!(async {
    let url = fresh_database(&admin_url()).await;
    Arc::new(PgStore::connect(&url).await.unwrap()) as Arc<dyn Store>
});
