// Nobody outside the policy can add a cell to the chart.
use supportgate_policy::{ContactData, Permits};

enum Marketing {}

impl Permits<ContactData> for Marketing {}

fn main() {}
