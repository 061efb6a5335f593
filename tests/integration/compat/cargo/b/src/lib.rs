pub fn b() -> &'static str { "b" }
