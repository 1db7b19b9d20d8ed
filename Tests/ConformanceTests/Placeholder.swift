import Testing

@Test func ConformanceBuilds() { #expect(Bool(true)) }
