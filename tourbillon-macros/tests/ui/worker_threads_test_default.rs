#[tourbillon::test(worker_threads = 2)]
async fn defaults_to_current_thread() {}

fn main() {}
