//! Builders for test and benchmark inventories.
