// The build script of every crate here: it runs tests/helpers/tjob (path in
// $COMPAT_TJOB, state directory $COMPAT_DIR) as this crate's build job, so
// the test sees how many jobs cargo ran at once.  tjob's arguments come
// from $COMPAT_ARGS_<crate>, else $COMPAT_ARGS; the word PPID stands for
// cargo's pid (a build script's parent).  Without $COMPAT_TJOB: nothing.
use std::env::var;
use std::process::Command;

fn main() {
    let Ok(tjob) = var("COMPAT_TJOB") else { return };
    let dir = var("COMPAT_DIR").expect("COMPAT_DIR");
    let pkg = var("CARGO_PKG_NAME").expect("CARGO_PKG_NAME");
    let args = var(format!("COMPAT_ARGS_{pkg}"))
        .or_else(|_| var("COMPAT_ARGS"))
        .unwrap_or_default();
    let ppid = std::os::unix::process::parent_id().to_string();
    let args = args
        .split_whitespace()
        .map(|a| if a == "PPID" { ppid.as_str() } else { a });
    let st = Command::new(&tjob).arg(&dir).args(args).status();
    assert!(st.expect("cannot run tjob").success(), "tjob failed");
}
