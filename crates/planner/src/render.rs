//! The plan for people: hops, then one table per wave.
