pub fn d() -> &'static str { "d" }
