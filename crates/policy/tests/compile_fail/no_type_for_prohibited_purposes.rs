// Prohibited purposes exist only as wire values; there is no type to build a token with.
use supportgate_policy::{Access, ContactData, Marketing};

fn use_for_marketing(_token: &Access<Marketing, ContactData>) {}

fn main() {}
