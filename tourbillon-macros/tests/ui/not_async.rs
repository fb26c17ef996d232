#[tourbillon::main]
fn main() {}
