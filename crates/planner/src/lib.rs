//! Upgrade planning: control-plane hops, node waves and a drain simulation. Pure: takes an inventory, returns a plan.
