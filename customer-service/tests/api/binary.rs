//! The real `customer-service` binary: nothing set means production, which refuses to start
//! without its secrets.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const BINARY: &str = env!("CARGO_BIN_EXE_customer-service");

#[test]
fn started_with_no_app_env_the_binary_refuses_to_run_without_its_signing_key() {
    // Nothing inherited: an APP_ENV exported in the caller's shell must not decide this.
    let mut child = Command::new(BINARY)
        .env_clear()
        .env("PORT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the binary started with development secrets instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().expect("its stderr");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("JWT_PRIVATE_KEY"), "{stderr}");
}
