import Testing

@Test func LanceBuilds() { #expect(Bool(true)) }
