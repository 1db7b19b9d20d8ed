import Foundation
import Testing
@testable import LanceKernels

@Suite struct ZstdDecoderTests {
    @Test func referenceVectorsDecodeExactly() throws {
        let pairs = try ZstdVectors.manifest()
        #expect(pairs.count >= 60)
        for (zst, bin) in pairs {
            let compressed = try ZstdVectors.load(zst)
            let expected = try ZstdVectors.load(bin)
            do {
                let got = try Zstd.decompress(compressed)
                #expect(got == expected, "\(zst): \(got.count) bytes vs \(expected.count)")
            } catch {
                Issue.record("\(zst): \(error)")
            }
        }
    }

    @Test func limitIsEnforced() throws {
        let compressed = try ZstdVectors.load("text-20k.l3.zst")
        let nosize = try ZstdVectors.load("text-20k.l3-nosize.zst")
        for input in [compressed, nosize] {
            #expect(throws: CodecError.self) { try Zstd.decompress(input, limit: 19_999) }
            do {
                _ = try Zstd.decompress(input, limit: 19_999)
            } catch {
                #expect(error.kind == .limitExceeded)
            }
            #expect(try Zstd.decompress(input, limit: 20_000).count == 20_000)
        }
    }

    @Test func dictionaryFramesAreUnsupported() throws {
        // Empty single-segment frame with a 1-byte dictionary ID: magic, FHD=0x21, DID=7, FCS=0, last raw block of 0.
        let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x21, 0x07, 0x00, 0x01, 0x00, 0x00]
        do {
            _ = try Zstd.decompress(frame)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .unsupported)
        }
        // A dictionary ID of 0 means "no dictionary".
        let plain: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x21, 0x00, 0x00, 0x01, 0x00, 0x00]
        #expect(try Zstd.decompress(plain) == [])
    }

    @Test func handMadeFrames() throws {
        // RLE block of 5 x 'a' then raw block "bc", window descriptor, no content size.
        let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00,
                              0x2A, 0x00, 0x00, 0x61,          // RLE, size 5, not last
                              0x11, 0x00, 0x00, 0x62, 0x63]    // raw, size 2, last
        #expect(try Zstd.decompress(frame) == Array("aaaaabc".utf8))
        #expect(Zstd.frameContentSize([UInt8](frame).withUnsafeBytes { $0 }) == nil)
        // Reserved block type.
        let bad: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x07, 0x00, 0x00]
        #expect(throws: CodecError.self) { try Zstd.decompress(bad) }
        #expect(throws: CodecError.self) { try Zstd.decompress([UInt8]()) }
        #expect(throws: CodecError.self) { try Zstd.decompress([0x28, 0xB5, 0x2F]) }
    }

    @Test func xxhash64KnownValues() {
        #expect(XXHash64.hash([UInt8]()) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
    }

    @Test func xxhash64StreamingMatchesOneShot() {
        var rng = ZstdTestRNG(seed: 64)
        for _ in 0..<300 {
            let data = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let seed = UInt64.random(in: 0...3, using: &rng)
            var hasher = XXHash64.Hasher(seed: seed)
            var i = 0
            while i < data.count {
                let n = min(data.count - i, Int.random(in: 0...70, using: &rng))
                data[i..<(i + n)].withUnsafeBytes { hasher.update($0) }
                i += n
            }
            #expect(hasher.finalize() == XXHash64.hash(data, seed: seed))
        }
    }

    /// The fast bit reader must agree with the plain reference reader on random streams.
    @Test func fastBitReaderMatchesReference() throws {
        var rng = ZstdTestRNG(seed: 42)
        for _ in 0..<2000 {
            let len = Int.random(in: 1...40, using: &rng)
            var bytes = (0..<len).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if bytes[len - 1] == 0 { bytes[len - 1] = 1 }
            var ref = try ZstdReferenceBitReader(bytes)
            try bytes.withUnsafeBufferPointer { buf in
                var fast = try ZstdBitReader(buf.baseAddress!, count: len)
                while ref.bitsLeft > 0 {
                    let n = min(Int.random(in: 0...25, using: &rng), ref.bitsLeft)
                    fast.reload()
                    let a = fast.read(n), b = ref.read(n)
                    #expect(a == b)
                    if a != b { return }
                }
                let done = fast.isExactlyConsumed()
                #expect(done)
                #expect(ref.isExactlyConsumed)
            }
        }
    }
}

@Suite struct ZstdKernelTests {
    /// The wild-copying match copy must agree with the byte-at-a-time definition.
    @Test func fastMatchCopyMatchesReference() {
        var rng = ZstdTestRNG(seed: 7)
        for _ in 0..<3000 {
            let history = Int.random(in: 1...80, using: &rng)
            let offset = Int.random(in: 1...history, using: &rng)
            let length = Int.random(in: 0...200, using: &rng)
            let prefix = (0..<history).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var expected = prefix
            ZstdDecoder.copyMatchReference(&expected, offset: offset, length: length)
            let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: history + length + zstdSlack)
            defer { buf.deallocate() }
            buf.initialize(repeating: 0xEE, count: history + length + zstdSlack)
            buf.update(from: prefix, count: history)
            if length > 0 { ZstdDecoder.copyMatch(buf + history, offset: offset, length: length) }
            let got = Array(UnsafeBufferPointer(start: buf, count: history + length))
            #expect(got == expected, "offset \(offset) length \(length)")
            if got != expected { return }
        }
    }
}
