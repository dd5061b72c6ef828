//! One module per product area; each owns its subcommands.

pub mod detect;
pub mod frameworks;
pub mod gateway;
pub mod inventory;
pub mod ml;
pub mod redteam;
pub mod scan;
pub mod sign;
pub mod transformer;
