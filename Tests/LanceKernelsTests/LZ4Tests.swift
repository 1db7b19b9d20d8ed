import Foundation
import LanceKernels
import Testing

@Suite struct LZ4Tests {
    struct Case {
        var name: String, mode: String, raw: [UInt8], compressed: [UInt8]
    }

    static func referenceCases() throws -> [Case] {
        let manifest = try #require(try CodecVectors.json("lz4/manifest.json") as? [[String: Any]])
        return try manifest.map { e in
            let name = e["name"] as! String, mode = e["mode"] as! String
            let raw: [UInt8]
            if let zeros = e["zeros"] as? Int { raw = [UInt8](repeating: 0, count: zeros) } else { raw = try CodecVectors.data(e["raw"] as! String) }
            #expect(raw.count == e["size"] as! Int)
            return Case(name: name, mode: mode, raw: raw, compressed: try CodecVectors.data("lz4/\(name).\(mode).lz4"))
        }
    }

    /// Test inputs for the encoder: the reference raw inputs plus seeded shapes at awkward sizes.
    static func encoderInputs() throws -> [(String, [UInt8])] {
        var inputs = try referenceCases().filter { $0.mode == "default" }.map { ($0.name, $0.raw) }
        var rng = CodecTestRNG(seed: 4)
        for size in [0, 1, 4, 5, 11, 12, 13, 14, 17, 20, 64, 255, 300, 4096, 65535, 65536, 70001] {
            inputs.append(("random\(size)", (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
            inputs.append(("lowentropy\(size)", (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next() % 3) }))
            inputs.append(("run\(size)", [UInt8](repeating: 0x61, count: size)))
        }
        // A repeat exactly 65535 back, and one 65536 back (too far to reference).
        let block = (0..<200).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for gap in [65535 - 200, 65536 - 200] {
            inputs.append(("far\(gap)", block + (0..<gap).map { _ in UInt8(truncatingIfNeeded: rng.next()) } + block))
        }
        return inputs
    }

    @Test func decodesReferenceBlocks() throws {
        let cases = try Self.referenceCases()
        #expect(cases.count == 24)
        for c in cases {
            let out = try LZ4.decompressBlock(c.compressed, decompressedSize: c.raw.count)
            let same = out == c.raw
            #expect(same, "\(c.name) \(c.mode)")
            // Into an exact-size caller buffer (no spare room for wide copies).
            var exact = [UInt8](repeating: 0, count: c.raw.count)
            let n = try c.compressed.withUnsafeBytes { i in try exact.withUnsafeMutableBytes { try LZ4.decompressBlock(i, into: $0) } }
            let sameExact = n == c.raw.count && exact == c.raw
            #expect(sameExact, "\(c.name) \(c.mode) into")
        }
    }

    @Test func roundTrip() throws {
        for (name, raw) in try Self.encoderInputs() {
            let c = LZ4.compressBlock(raw)
            try Self.checkBlockRules(c, size: raw.count, name)
            #expect(c.count <= LZ4.compressBound(raw.count))
            let back = try LZ4.decompressBlock(c, decompressedSize: raw.count) == raw
            #expect(back, "\(name)")
            if name.hasPrefix("run") && raw.count > 1000 { #expect(c.count * 50 < raw.count, "\(name) should compress") }
        }
        // Compression ratio on text is in liblz4's range.
        let text = try CodecVectors.data("fsst/captions.txt")
        let ours = LZ4.compressBlock(text).count
        let ref = try CodecVectors.data("lz4/text_caption_corpus.default.lz4").count
        #expect(Double(ours) < Double(ref) * 1.15, "ours \(ours) vs liblz4 \(ref)")
    }

    /// Walks the sequences of a block and checks the end-of-block rules of the format.
    static func checkBlockRules(_ c: [UInt8], size: Int, _ name: String) throws {
        var ip = 0, op = 0
        var lastMatchStart = -1, lastMatchEnd = -1
        while true {
            let token = Int(c[ip]); ip += 1
            var lit = token >> 4
            if lit == 15 { while true { let b = Int(c[ip]); ip += 1; lit += b; if b != 255 { break } } }
            ip += lit; op += lit
            if ip == c.count { break }
            ip += 2
            var ml = token & 15
            if ml == 15 { while true { let b = Int(c[ip]); ip += 1; ml += b; if b != 255 { break } } }
            lastMatchStart = op
            op += ml + 4
            lastMatchEnd = op
        }
        #expect(op == size, "\(name)")
        if lastMatchStart >= 0 {
            #expect(lastMatchStart <= size - 12, "\(name): last match starts too late")
            #expect(lastMatchEnd <= size - 5, "\(name): last 5 bytes must be literals")
        }
    }

    /// liblz4 (through python-lz4) decodes what our encoder writes.
    @Test func referenceDecodesOurBlocks() throws {
        let dir = try CodecPython.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var args: [String] = []
        for (i, (_, raw)) in try Self.encoderInputs().enumerated() {
            let rawURL = dir.appendingPathComponent("\(i).raw"), lz = dir.appendingPathComponent("\(i).lz4")
            try Data(raw).write(to: rawURL)
            try Data(LZ4.compressBlock(raw)).write(to: lz)
            args += [rawURL.path, lz.path]
        }
        let script = """
        import sys, lz4.block
        a = sys.argv[1:]
        ok = 0
        for raw, comp in zip(a[0::2], a[1::2]):
            r = open(raw, 'rb').read(); c = open(comp, 'rb').read()
            assert lz4.block.decompress(c, uncompressed_size=len(r)) == r if r else c == b'\\x00', raw
            ok += 1
        print(ok)
        """
        let out = try CodecPython.run(script, args)
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == String(args.count / 2))
    }

    @Test func rejectsBadBlocks() throws {
        // offset 0
        #expect(throws: CodecError.self) { try LZ4.decompressBlock([0x10, 0x61, 0x00, 0x00, 0x00], decompressedSize: 5) }
        // offset before the start of the output
        #expect(throws: CodecError.self) { try LZ4.decompressBlock([0x10, 0x61, 0x02, 0x00, 0x00], decompressedSize: 5) }
        // truncated in literals, in offset, in a length byte
        #expect(throws: CodecError.self) { try LZ4.decompressBlock([0x50, 0x61, 0x62], decompressedSize: 5) }
        #expect(throws: CodecError.self) { try LZ4.decompressBlock([0x10, 0x61, 0x01], decompressedSize: 5) }
        #expect(throws: CodecError.self) { try LZ4.decompressBlock([0xF0, 0xFF], decompressedSize: 300) }
        // wrong declared size (too small, too large), empty input, negative size, impossible size
        let good = LZ4.compressBlock(Array("hello hello hello hello hello!".utf8))
        #expect(throws: CodecError.self) { try LZ4.decompressBlock(good, decompressedSize: 29) }
        #expect(throws: CodecError.self) { try LZ4.decompressBlock(good, decompressedSize: 31) }
        #expect(throws: CodecError.self) { try LZ4.decompressBlock([], decompressedSize: 1) }
        #expect(throws: CodecError.self) { try LZ4.decompressBlock(good, decompressedSize: -1) }
        let huge = try? LZ4.decompressBlock([0x1F, 0x61, 0x01, 0x00, 0xFF], decompressedSize: 1 << 40)
        #expect(huge == nil)
        #expect(try LZ4.decompressBlock(good, decompressedSize: 30) == Array("hello hello hello hello hello!".utf8))
        #expect(try LZ4.decompressBlock([0x00], decompressedSize: 0) == [])
        #expect(try LZ4.decompressBlock([], decompressedSize: 0) == [])
    }

    /// Overlapping copies with every short period, decoded by hand-built blocks.
    @Test func overlappingMatches() throws {
        for period in 1...20 {
            for matchLen in [4, 5, 7, 8, 9, 15, 16, 17, 18, 19, 40, 300] {
                let lits = (0..<period).map { UInt8(65 + $0) }
                var block: [UInt8] = []
                let ml = matchLen - 4
                block.append(UInt8(min(period, 15) << 4 | min(ml, 15)))
                if period >= 15 { block.append(UInt8(period - 15)) }
                block += lits
                block += [UInt8(period), 0]
                if ml >= 15 { var r = ml - 15; while r >= 255 { block.append(255); r -= 255 }; block.append(UInt8(r)) }
                block += [0x50] + Array("12345".utf8)
                let expected = (0..<(period + matchLen)).map { lits[$0 % period] } + Array("12345".utf8)
                #expect(try LZ4.decompressBlock(block, decompressedSize: expected.count) == expected, "p\(period) m\(matchLen)")
                var exact = [UInt8](repeating: 0, count: expected.count)
                _ = try block.withUnsafeBytes { i in try exact.withUnsafeMutableBytes { try LZ4.decompressBlock(i, into: $0) } }
                #expect(exact == expected)
            }
        }
    }
}
