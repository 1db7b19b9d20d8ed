import Testing
@testable import LanceKernels

/// Corrupted inputs must make the decoder throw `CodecError` or return, never crash or hang.
@Suite struct ZstdMutationTests {
    static let sampleNames = [
        "small-text.l1.zst", "small-text.l19-check.zst", "small-text.l-1.zst", "small-float32.l3-check.zst",
        "small-float32.l22.zst", "small-runs.l3.zst", "small-multiframe.concat.zst", "one.l3-check.zst",
    ]

    /// Decodes `input` and reports whether it threw. Reaching the return at all is the property under test.
    @discardableResult
    static func attempt(_ input: [UInt8], limit: Int = 1 << 32) -> Bool {
        do {
            let out = try Zstd.decompress(input, limit: limit)
            #expect(out.count <= limit)
            return false
        } catch {
            return true
        }
    }

    @Test func corruptedInputsNeverCrash() throws {
        let samples = try Self.sampleNames.map { try ZstdVectors.load($0) }
        var rng = ZstdTestRNG(seed: 0x5EED)
        var attempts = 0
        // 1. Every truncation of every sample. A prefix may only succeed when it ends on a frame
        //    boundary of a multi-frame sample, and then it yields a prefix of the full output.
        var accepted = 0
        for s in samples {
            let full = try Zstd.decompress(s)
            for cut in 0..<s.count {
                do {
                    let out = try Zstd.decompress(Array(s[..<cut]))
                    accepted += 1
                    #expect(cut > 0 && Array(full.prefix(out.count)) == out)
                } catch {}
                attempts += 1
            }
        }
        #expect(accepted <= 2, "only the frame boundaries of the multi-frame sample are valid prefixes")
        // 2. Random bit flips (1 to 3 bits).
        for _ in 0..<20_000 {
            var s = samples.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<s.count, using: &rng)
                s[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            }
            Self.attempt(s, limit: attempts & 1 == 0 ? 1 << 32 : 1 << 16)
            attempts += 1
        }
        // 3. Single bytes set to 0xFF or 0x00.
        for k in 0..<8_000 {
            var s = samples.randomElement(using: &rng)!
            s[Int.random(in: 0..<s.count, using: &rng)] = k & 1 == 0 ? 0xFF : 0x00
            Self.attempt(s)
            attempts += 1
        }
        // 4. Length-like fields set huge: runs of 0xFF in the first bytes (frame/block/literal headers)
        //    or anywhere, and hostile content sizes.
        for k in 0..<8_000 {
            var s = samples.randomElement(using: &rng)!
            let head = min(s.count, 24)
            let at = k % 3 == 0 ? Int.random(in: 0..<s.count, using: &rng) : Int.random(in: 4..<head, using: &rng)
            for i in at..<min(s.count, at + Int.random(in: 2...4, using: &rng)) { s[i] = 0xFF }
            Self.attempt(s)
            attempts += 1
        }
        // 5. Random bodies behind a valid frame magic.
        for _ in 0..<2_000 {
            var s: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
            s += (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            Self.attempt(s)
            attempts += 1
        }
        #expect(attempts >= 40_000)
    }

    @Test func hostileDeclaredSizeIsRejectedBeforeAllocation() {
        // Frame declaring 2^60 bytes of content with a single empty raw block.
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        frame += [0, 0, 0, 0, 0, 0, 0, 0x10]
        frame += [0x01, 0x00, 0x00]
        do {
            _ = try Zstd.decompress(frame)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .corrupt)
        }
        // RLE blocks can legitimately produce much more than their size, but not more than 128 KiB each.
        var rle: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x80, 0x00, 0x00, 0x10, 0x00]  // FCS = 1 MiB (4-byte field)
        rle += [0x03, 0x00, 0x10, 0x61]  // last RLE block of 128 KiB
        #expect(throws: CodecError.self) { try Zstd.decompress(rle) }
    }
}
