//! A check context over a test inventory, for the tests of what the checks share (budget
//! coverage, mesh lookups). Apart from `rules::test_support`, whose users the index's own
//! tests include, so that the index is not imported back.

use mcp_diag_model::{Inventory, Minor};

use crate::rules::test_support::{TODAY, options};

/// Runs `f` on a context over `inventory` and `graph` (upgrading to 1.32, the tests'
/// options), for tests of what the checks share.
pub(crate) fn with_context<R>(
    inventory: &Inventory,
    graph: &mcp_diag_services::Graph,
    f: impl FnOnce(&crate::Context<'_>) -> R,
) -> R {
    let index = crate::index::Index::build(inventory);
    let options = options();
    let ctx = crate::Context {
        inventory,
        target: Minor::new(1, 32),
        current: None,
        today: TODAY,
        components: &[],
        rules: &[],
        options: &options,
        index: &index,
        graph,
    };
    f(&ctx)
}
