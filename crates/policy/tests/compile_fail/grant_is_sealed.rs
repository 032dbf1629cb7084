// Nobody outside the policy can make a forged grant that storage would accept.
use supportgate_policy::{CustomerData, Grant, Scope};

struct Forged(Scope);

impl Grant<CustomerData> for Forged {
    fn scope(&self) -> &Scope {
        &self.0
    }
}

fn main() {}
