#[tourbillon::main(flavor = "multi_thread", threads = 2)]
async fn main() {}
