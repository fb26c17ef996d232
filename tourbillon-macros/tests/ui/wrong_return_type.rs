#[tourbillon::main(flavor = "current_thread")]
async fn answer() -> u32 {
    "forty-two"
}

fn main() {
    answer();
}

#[tourbillon::main(flavor = "current_thread")]
async fn nothing() {
    42
}
