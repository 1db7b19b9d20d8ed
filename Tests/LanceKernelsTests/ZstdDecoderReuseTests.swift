import Testing
@testable import LanceKernels

/// `Zstd.Decoder` decodes many frames into caller memory with one set of tables.
@Suite struct ZstdDecoderReuseTests {
    @Test func decodesManyFramesIntoCallerMemory() throws {
        let decoder = Zstd.Decoder()
        for n in [1, 17, 4096, 70_000] {
            let v = (0 ..< n).map { UInt8(truncatingIfNeeded: $0 * 31 / 7) }
            let c = Zstd.compress(v, level: 3)
            let out = UnsafeMutablePointer<UInt8>.allocate(capacity: n + Zstd.outputSlack)
            defer { out.deallocate() }
            try c.withUnsafeBytes { try decoder.decompress($0, into: out, count: n) }
            #expect(Array(UnsafeBufferPointer(start: out, count: n)) == v)
            // A wrong expected size is an error.
            let small = UnsafeMutablePointer<UInt8>.allocate(capacity: n + Zstd.outputSlack)
            defer { small.deallocate() }
            #expect(throws: CodecError.self) { try c.withUnsafeBytes { try decoder.decompress($0, into: small, count: n - 1) } }
        }
    }
}
