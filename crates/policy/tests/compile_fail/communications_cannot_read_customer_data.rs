// DESIGN §3: communications may read contact data only.
use supportgate_policy::{Access, Communications, CustomerData};

fn read_summary(_token: &Access<Communications, CustomerData>) {}

fn main() {}
