import Foundation
import Testing
@testable import LanceKernels
import LanceTestSupport

@Suite struct ZstdEncoderTests {
    /// Seeded inputs of several shapes: random, runs, text-like, structured floats, and mixes.
    static func samples() -> [[UInt8]] {
        var rng = ZstdTestRNG(seed: 8878)
        var out: [[UInt8]] = [[], [7], [1, 2, 3], Array(repeating: 0xAB, count: 200_000)]
        let words = ["lance", "zstd", "column", "vector", "the", "and", "fragment", "page", "offset", "\n"]
        for k in 0..<40 {
            let size = [10, 100, 1000, 5000, 40_000, 140_000][k % 6]
            var b: [UInt8] = []
            b.reserveCapacity(size)
            switch k % 5 {
            case 0:
                while b.count < size { b.append(UInt8.random(in: 0...255, using: &rng)) }
            case 1:
                while b.count < size {
                    b += Array(repeating: UInt8.random(in: 0...3, using: &rng), count: Int.random(in: 1...300, using: &rng))
                }
            case 2:
                while b.count < size { b += Array(words.randomElement(using: &rng)!.utf8) + [32] }
            case 3:
                var x: Float = 0
                while b.count < size {
                    x += Float(Int.random(in: -2...2, using: &rng)) * 0.25
                    withUnsafeBytes(of: x) { b += $0 }
                }
            default:
                while b.count < size {
                    if Bool.random(using: &rng) || b.count < 16 {
                        b.append(UInt8.random(in: 0...255, using: &rng))
                    } else {
                        let len = Int.random(in: 3...40, using: &rng)
                        let from = Int.random(in: 0..<b.count, using: &rng)
                        for j in 0..<len { b.append(b[from + j % (b.count - from)]) }
                    }
                }
            }
            out.append(Array(b.prefix(size)))
        }
        // Skewed full-byte alphabet (Huffman literals with FSE-compressed weights) and a small alphabet
        // (directly stored weights), both over 128 KiB so that they span blocks.
        out.append((0..<150_000).map { _ in
            UInt8(truncatingIfNeeded: Int.random(in: 0..<256, using: &rng) & Int.random(in: 0..<256, using: &rng))
        })
        out.append((0..<150_000).map { _ in UInt8(97 + Int.random(in: 0..<Int.random(in: 1...26, using: &rng), using: &rng)) })
        return out
    }

    @Test func roundTripsAtSeveralLevels() throws {
        for (k, input) in Self.samples().enumerated() {
            // Deep searches are slow in debug builds: only on the smaller samples.
            for level in [-5, 1, 3, 19] where level == 3 || (k % 3 == 0 && (level < 19 || input.count <= 40_000)) {
                let c = Zstd.compress(input, level: level, checksum: k % 2 == 0)
                let d = try Zstd.decompress(c)
                #expect(d == input, "sample \(k) (\(input.count) bytes) at level \(level)")
                #expect(Zstd.frameContentSize(c.withUnsafeBytes { $0 }) == UInt64(input.count))
            }
        }
    }

    @Test func compressesRedundantData() {
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 2000).utf8)
        #expect(Zstd.compress(text).count < text.count / 20)
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        #expect(Zstd.compress(zeros).count < 100)
        let floats = (0..<50_000).flatMap { i in withUnsafeBytes(of: Float(i % 100)) { Array($0) } }
        #expect(Zstd.compress(floats).count < floats.count / 10)
    }

    /// Literals get Huffman-coded: small alphabets (direct weights) and full byte alphabets (FSE weights).
    @Test func huffmanLiteralsCompressSkewedBytes() throws {
        var rng = ZstdTestRNG(seed: 99)
        let letters = (0..<20_000).map { _ in UInt8(97 + Int.random(in: 0..<8, using: &rng)) }
        let c1 = Zstd.compress(letters)
        #expect(c1.count < letters.count * 45 / 100)
        #expect(try Zstd.decompress(c1) == letters)
        // All 256 byte values, geometric-ish distribution: needs FSE-compressed weights.
        let bytes = (0..<30_000).map { _ in UInt8(truncatingIfNeeded: Int.random(in: 0..<256, using: &rng) & Int.random(in: 0..<256, using: &rng) & Int.random(in: 0..<256, using: &rng)) }
        let c2 = Zstd.compress(bytes)
        #expect(c2.count < bytes.count * 80 / 100)
        #expect(try Zstd.decompress(c2) == bytes)
        // Direct check of the weight encoder against the decoder's weight reader.
        for trial in 0..<200 {
            let n = Int.random(in: 129...255, using: &rng)
            let weights = (0..<n).map { _ in Int.random(in: 0...Int.random(in: 1...11, using: &rng), using: &rng) }
            guard let desc = ZstdEncoder.fseWeights(weights) else { continue }
            let decoded: [UInt8] = try desc.withUnsafeBufferPointer { p throws(CodecError) in
                let w = UnsafeMutablePointer<UInt8>.allocate(capacity: 260)
                defer { w.deallocate() }
                let count = try ZstdDecoder.decodeWeightsFSE(p.baseAddress! + 1, desc.count - 1, w)
                return Array(UnsafeBufferPointer(start: w, count: count))
            }
            #expect(decoded.map(Int.init) == weights, "trial \(trial)")
        }
    }

    /// python `zstandard` (libzstd) must decode what we produce.
    @Test func referenceDecodesOurFrames() throws {
        let dir = try TestEnvironment.temporaryDirectory("zstd-enc")
        defer { try? FileManager.default.removeItem(at: dir) }
        var count = 0
        for (k, input) in Self.samples().enumerated() {
            let level = input.count > 40_000 ? [-5, 1, 3, 9][k % 4] : [-5, 1, 3, 9, 19][k % 5]
            try Data(input).write(to: dir.appendingPathComponent("\(k).bin"))
            try Data(Zstd.compress(input, level: level, checksum: k % 2 == 1)).write(to: dir.appendingPathComponent("\(k).zst"))
            count += 1
        }
        let script = """
        import sys, os, zstandard
        d = sys.argv[1]; n = int(sys.argv[2]); ok = 0
        for k in range(n):
            raw = open(os.path.join(d, f"{k}.bin"), "rb").read()
            blob = open(os.path.join(d, f"{k}.zst"), "rb").read()
            params = zstandard.get_frame_parameters(blob)
            assert params.content_size == len(raw), (k, params.content_size, len(raw))
            out = zstandard.ZstdDecompressor().decompress(blob)
            assert out == raw, k
            ok += 1
        print("decoded", ok)
        """
        let r = try Subprocess.run(TestEnvironment.python, ["-c", script, dir.path, String(count)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text.contains("decoded \(count)"))
    }
}
