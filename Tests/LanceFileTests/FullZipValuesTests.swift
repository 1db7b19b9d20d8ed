import LanceArrow
import LanceKernels
import Testing
@testable import LanceFile

/// The full-zip value path that locates values in place and decompresses them straight into the
/// result, one chunk per core: it must give exactly what decoding value by value gives.
@Suite struct FullZipValuesTests {
    /// Values as Lance's general compression stores them: `[u64 size][zstd frame]`; some empty (nulls).
    static func page(values: Int, seed: UInt64) -> (parts: [Buffer], refs: FullZipValueRefs, expected: [[UInt8]]) {
        var rng = seed
        func next() -> UInt64 { rng &+= 0x9E37_79B9_7F4A_7C15; var z = rng; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) }
        var expected: [[UInt8]] = []
        var parts: [[UInt8]] = [[], [], []]
        var refs = FullZipValueRefs()
        for i in 0 ..< values {
            let p = i * 3 / values
            if next() % 7 == 0 {
                refs.append(part: p, start: parts[p].count, length: 0)
                expected.append([])
                continue
            }
            let n = Int(next() % 20_000)
            // Half compressible text, half noise, so blocks of every kind appear.
            let v: [UInt8] = (0 ..< n).map { k in k % 2 == 0 ? UInt8(truncatingIfNeeded: k / 64) : UInt8(truncatingIfNeeded: next()) }
            var stored = withUnsafeBytes(of: UInt64(n).littleEndian) { Array($0) }
            stored += Zstd.compress(v, level: 1)
            parts[p] += [0xEE, 0xEE]  // bytes between values (control words in a real page)
            refs.append(part: p, start: parts[p].count, length: stored.count)
            parts[p] += stored
            expected.append(v)
        }
        return (parts.map { Buffer($0) }, refs, expected)
    }

    @Test("parallel and serial zstd decompression give the values", arguments: [0, 1 << 30])
    func decompress(threshold: Int) throws {
        let (parts, refs, expected) = Self.page(values: 300, seed: 7)
        let values = try refs.decompress(parts, scheme: .compressionAlgorithmZstd, parallelThreshold: threshold)
        guard case .variable(let offsets, let data) = values else { Issue.record("not variable"); return }
        #expect(offsets.count == expected.count + 1)
        for (i, e) in expected.enumerated() {
            #expect(Array(data[offsets[i] ..< offsets[i + 1]]) == e, "value \(i)")
        }
    }

    @Test("a damaged value in any chunk is an error, not a crash")
    func damaged() throws {
        let page = Self.page(values: 120, seed: 11)
        var parts = page.parts
        let refs = page.refs
        // Overwrite the middle of the last part's data with garbage.
        var bytes = parts[2].bytes
        for k in stride(from: bytes.count / 2, to: min(bytes.count, bytes.count / 2 + 4000), by: 3) { bytes[k] ^= 0x5A }
        parts[2] = Buffer(bytes)
        #expect(throws: (any Error).self) {
            _ = try refs.decompress(parts, scheme: .compressionAlgorithmZstd, parallelThreshold: 0)
        }
    }

    @Test("gather copies values in place")
    func gather() {
        let (parts, refs, _) = Self.page(values: 50, seed: 3)
        guard case .variable(let offsets, let data) = refs.gather(parts) else { Issue.record("not variable"); return }
        var k = 0
        for p in 0 ..< 3 {
            for i in refs.values(ofPart: p) {
                let want = parts[p].bytes[refs.start[i] ..< refs.start[i] + refs.length[i]]
                #expect(Array(data[offsets[k] ..< offsets[k + 1]]) == Array(want))
                k += 1
            }
        }
        #expect(k == refs.count)
    }
}
