import Testing

@Test func LanceFileBuilds() { #expect(Bool(true)) }
