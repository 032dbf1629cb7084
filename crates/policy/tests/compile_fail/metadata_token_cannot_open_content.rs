// Compliance reviewers and admins hold a metadata token; content reads take a grant.
use supportgate_policy::{CustomerData, Grant, MetadataAccess};

fn read_summary(_grant: &impl Grant<CustomerData>) {}

fn reviewer(token: &MetadataAccess) {
    read_summary(token);
}

fn main() {}
