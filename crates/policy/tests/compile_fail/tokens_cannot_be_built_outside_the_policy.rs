// Only the policy mints tokens, after the decision is durable in the log.
use supportgate_policy::{Access, CustomerData, ProvideSupport, Scope};

fn forge(scope: Scope) -> Access<ProvideSupport, CustomerData> {
    Access { scope, _cell: std::marker::PhantomData }
}

fn main() {}
