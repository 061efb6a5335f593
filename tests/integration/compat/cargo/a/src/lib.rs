pub fn a() -> &'static str { "a" }
