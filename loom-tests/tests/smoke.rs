//! Placeholder until the models land: proves the crate builds under `--cfg loom`.
#![cfg(loom)]

#[test]
fn loom_runs() {
    loom::model(|| {
        let flag = std::sync::Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let setter = flag.clone();
        let t =
            loom::thread::spawn(move || setter.store(true, loom::sync::atomic::Ordering::Release));
        t.join().unwrap();
        assert!(flag.load(loom::sync::atomic::Ordering::Acquire));
    });
}
