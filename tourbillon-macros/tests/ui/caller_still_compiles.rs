// A rejected fn still exists for its callers: the only error is the attribute's.
#[tourbillon::main(flavor = "current_thread", worker_threads = 2)]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

fn main() {
    assert_eq!(add(1, 2), 3);
}
