pub fn c() -> &'static str { "c" }
