import Foundation
import LanceKernels
import Testing

@Suite struct FastLanesTests {
    /// For one type: every width, fast vs reference pack (bytes) and unpack (values), and the round trip.
    func checkAllWidths<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, seed: UInt64) throws {
        var rng = CodecTestRNG(seed: seed)
        for width in 0...T.bitWidth {
            let values: [T] = (0..<1024).map { _ in T(truncatingIfNeeded: rng.next()) }
            let mask: T = width == T.bitWidth ? ~0 : (T(1) << T(width)) - 1
            let n = FastLanes.packedByteCount(bitWidth: width)
            var fast = [UInt8](repeating: 0xAA, count: n)
            var ref = [UInt8](repeating: 0x55, count: n)
            values.withUnsafeBufferPointer { v in
                fast.withUnsafeMutableBytes { FastLanes.pack(v, bitWidth: width, into: $0) }
                ref.withUnsafeMutableBytes { FastLanes.packReference(v, bitWidth: width, into: $0) }
            }
            let samePack = fast == ref
            #expect(samePack, "pack T=\(T.bitWidth) W=\(width)")

            // Unpack arbitrary bytes (not only packer output) with both implementations.
            var packedRandom = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            packedRandom.append(contentsOf: [1, 2, 3])  // trailing bytes are ignored
            var outFast = [T](repeating: 7, count: 1024), outRef = [T](repeating: 9, count: 1024)
            try packedRandom.withUnsafeBytes { p in
                try outFast.withUnsafeMutableBufferPointer { try FastLanes.unpack(p, bitWidth: width, into: $0) }
                try outRef.withUnsafeMutableBufferPointer { try FastLanes.unpackReference(p, bitWidth: width, into: $0) }
            }
            let sameUnpack = outFast == outRef
            #expect(sameUnpack, "unpack T=\(T.bitWidth) W=\(width)")

            // Round trip, from an unaligned offset.
            let shifted = [0] + fast
            let back = try FastLanes.unpack(shifted, offset: 1, bitWidth: width, as: T.self)
            let sameBack = back == values.map { $0 & mask }
            #expect(sameBack, "round trip T=\(T.bitWidth) W=\(width)")
        }
    }

    @Test func everyWidthU8() throws { try checkAllWidths(UInt8.self, seed: 8) }
    @Test func everyWidthU16() throws { try checkAllWidths(UInt16.self, seed: 16) }
    @Test func everyWidthU32() throws { try checkAllWidths(UInt32.self, seed: 32) }
    @Test func everyWidthU64() throws { try checkAllWidths(UInt64.self, seed: 64) }

    /// The layout formula by hand: with width T the block is the values permuted, so word `LANES*r + l` of
    /// the output is value `order(r/8)*16 + (r%8)*128 + l`.
    @Test func fullWidthIsTheTransposition() throws {
        let values = (0..<1024).map { UInt32($0) }
        let packed = FastLanes.pack(values, bitWidth: 32).codecLittleEndian(as: UInt32.self)
        let order = [0, 4, 2, 6, 1, 5, 3, 7]
        for r in 0..<32 {
            for l in 0..<32 {
                #expect(packed[32 * r + l] == UInt32(order[r / 8] * 16 + (r % 8) * 128 + l))
            }
        }
        // One bit per value: lane l's word 0 holds rows 0..31 of lane l.
        let ones = (0..<1024).map { UInt16($0 == 128 ? 1 : 0) }  // row 1 of lane 0 for T=16
        let packed1 = FastLanes.pack(ones, bitWidth: 1).codecLittleEndian(as: UInt16.self)
        #expect(packed1[0] == 0b10)
        #expect(packed1.dropFirst().allSatisfy { $0 == 0 })
    }

    @Test func rejectsBadInput() throws {
        let short = [UInt8](repeating: 0, count: 3 * 128 - 1)
        #expect(throws: CodecError.self) { _ = try FastLanes.unpack(short, bitWidth: 3, as: UInt32.self) }
        #expect(throws: CodecError.self) { _ = try FastLanes.unpack([UInt8](repeating: 0, count: 9000), bitWidth: 33, as: UInt32.self) }
        #expect(throws: CodecError.self) { _ = try FastLanes.unpack([UInt8](repeating: 0, count: 9000), bitWidth: -1, as: UInt8.self) }
        #expect(throws: CodecError.self) { _ = try FastLanes.unpack(short, offset: 5000, bitWidth: 0, as: UInt8.self) }
        var small = [UInt16](repeating: 0, count: 1000)
        let input = [UInt8](repeating: 0, count: 256)
        #expect(throws: CodecError.self) {
            try input.withUnsafeBytes { p in try small.withUnsafeMutableBufferPointer { try FastLanes.unpack(p, bitWidth: 2, into: $0) } }
        }
        // Width 0 needs no input at all.
        #expect(try FastLanes.unpack([], bitWidth: 0, as: UInt64.self) == [UInt64](repeating: 0, count: 1024))
    }

    /// Inline-bitpacked mini-block chunks extracted from a file pylance 14 wrote (scripts/gen-codec-vectors.py).
    @Test func decodesPylanceChunks() throws {
        let manifest = try #require(try CodecVectors.json("bitpack/manifest.json") as? [[String: Any]])
        #expect(manifest.count >= 14)
        for entry in manifest {
            let name = try #require(entry["name"] as? String)
            let bits = try #require(entry["typeBits"] as? Int)
            let count = try #require(entry["count"] as? Int)
            let packed = try CodecVectors.data(name + ".packed")
            let expected = try CodecVectors.data(name + ".values")
            switch bits {
            case 8: try checkChunk(packed, count: count, expected: expected.codecLittleEndian(as: UInt8.self), name)
            case 16: try checkChunk(packed, count: count, expected: expected.codecLittleEndian(as: UInt16.self), name)
            case 32: try checkChunk(packed, count: count, expected: expected.codecLittleEndian(as: UInt32.self), name)
            case 64: try checkChunk(packed, count: count, expected: expected.codecLittleEndian(as: UInt64.self), name)
            default: Issue.record("bad typeBits \(bits)")
            }
        }
    }

    func checkChunk<T: FixedWidthInteger & UnsignedInteger>(_ buf: [UInt8], count: Int, expected: [T], _ name: String) throws {
        var pos = 0
        var decoded: [T] = []
        let wordBytes = T.bitWidth / 8
        while pos < buf.count {
            let width = Int(buf[pos..<pos + wordBytes].reversed().reduce(0) { $0 << 8 | UInt64($1) })
            pos += wordBytes
            decoded += try FastLanes.unpack(buf, offset: pos, bitWidth: width, as: T.self)
            // Our packer reproduces pylance's bytes exactly (padding values are zeros in the last block).
            var block = Array(decoded.suffix(1024))
            let valid = min(1024, count - (decoded.count - 1024))
            for i in valid..<1024 { block[i] = 0 }
            #expect(FastLanes.pack(block, bitWidth: width) == Array(buf[pos..<pos + width * 128]), "\(name) repack")
            pos += width * 128
        }
        let same = Array(decoded.prefix(count)) == expected
        #expect(same, "\(name)")
        // The chunk-level helper gives the same values.
        let viaHelper = try buf.withUnsafeBytes { try FastLanes.unpackInlineChunk($0, count: count, as: T.self) }
        let sameHelper = viaHelper == expected
        #expect(sameHelper, "\(name) unpackInlineChunk")
        #expect(throws: CodecError.self) { try buf.dropLast().withUnsafeBytes { try FastLanes.unpackInlineChunk($0, count: count, as: T.self) } }
        // Our chunk encoder writes exactly the bytes pylance wrote.
        let ours = FastLanes.packInlineChunk(expected)
        let sameBytes = ours == buf
        #expect(sameBytes, "\(name) packInlineChunk")
    }

    @Test func outOfLineLayouts() throws {
        var rng = CodecTestRNG(seed: 5)
        for count in [0, 1, 1000, 1024, 1025, 2047, 3000] {
            let values = (0..<count).map { _ in UInt32(rng.next() % 1000) }  // 10 bits
            var packed: [UInt8] = []
            for start in stride(from: 0, to: count, by: 1024) { packed += FastLanes.pack(Array(values[start..<min(count, start + 1024)]), bitWidth: 10) }
            let got = try packed.withUnsafeBytes { try FastLanes.unpackOutOfLine($0, bitWidth: 10, count: count, as: UInt32.self) }
            #expect(got == values, "padded tail, count \(count)")
            // Raw tail: whole blocks packed, the remainder stored as plain values.
            let whole = count / 1024 * 1024
            var rawTail = Array(packed.prefix(whole / 1024 * 1280))
            for v in values[whole...] { withUnsafeBytes(of: v.littleEndian) { rawTail += $0 } }
            let got2 = try rawTail.withUnsafeBytes { try FastLanes.unpackOutOfLine($0, bitWidth: 10, count: count, as: UInt32.self) }
            #expect(got2 == values, "raw tail, count \(count)")
            if count > 0 {
                #expect(throws: CodecError.self) { try packed.dropLast().withUnsafeBytes { try FastLanes.unpackOutOfLine($0, bitWidth: 10, count: count + 1, as: UInt32.self) } }
            }
        }
    }
}
