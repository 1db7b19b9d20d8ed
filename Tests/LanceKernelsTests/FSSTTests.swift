import Foundation
import LanceKernels
import Testing

@Suite struct FSSTTests {
    /// `n+1` little-endian u32 offsets (counted from the buffer start) followed by the bytes.
    static func splitOffsetsBuffer(_ b: [UInt8], count: Int) -> (offsets: [Int], bytes: [UInt8]) {
        let offs = Array(b[0..<(4 * (count + 1))]).codecLittleEndian(as: UInt32.self).map(Int.init)
        return (offs, b)
    }

    static func captions() -> [[UInt8]] {
        let text = (try? CodecVectors.data("fsst/captions.txt")) ?? []
        return text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().map(Array.init)
    }

    static func strings(_ offsets: [Int], _ bytes: [UInt8]) -> [[UInt8]] {
        (1..<offsets.count).map { Array(bytes[offsets[$0 - 1]..<offsets[$0]]) }
    }

    /// Chunks of FSST-compressed strings from files pylance 14 wrote (2.1 and 2.2).
    @Test func decodesPylanceChunks() throws {
        let manifest = try #require(try CodecVectors.json("fsst/manifest.json") as? [[String: Any]])
        #expect(manifest.count == 8)
        for e in manifest {
            let name = e["name"] as! String, count = e["count"] as! Int
            let table = try CodecVectors.data(name + ".table")
            #expect(table.count == FSST.tableSize)
            let chunk = try CodecVectors.data(name + ".chunk")
            let (offsets, _) = Self.splitOffsetsBuffer(chunk, count: count)
            #expect(offsets[0] == 4 * (count + 1))
            let expected = try CodecVectors.data(name + ".expected")
            let want = Array(expected[0..<(4 * (count + 1))]).codecLittleEndian(as: UInt32.self).map(Int.init)
            let got = try FSST.decompress(symbolTable: table, compressed: chunk, offsets: offsets)
            let same = got.offsets == want && got.bytes == Array(expected[(4 * (count + 1))...])
            #expect(same, "\(name)")

            // The table layout: magic, compressed flag, count, symbols then lengths right after them.
            let parsed = try table.withUnsafeBytes { try FSST.SymbolTable(serialized: $0) }
            #expect(parsed.isCompressed)
            #expect(Int(table[0]) == parsed.symbols.count && parsed.symbols.count > 100)
            #expect(Array(table[4..<8]) == Array("TSSF".utf8))
            let ours = parsed.serialized()
            #expect(Array(ours[8...]) == Array(table[8...]), "re-serialized table body")
            #expect(ours[0] == table[0] && ours[3] == table[3] && Array(ours[4..<8]) == Array(table[4..<8]))

            // Our matcher with pylance's table round-trips the same strings.
            let strs = Self.strings(got.offsets, got.bytes)
            var flatOffsets = [0]
            for s in strs { flatOffsets.append(flatOffsets.last! + s.count) }
            let flat = strs.flatMap { $0 }
            let re = flat.withUnsafeBytes { FSST.compress(bytes: $0, offsets: flatOffsets, table: parsed) }
            let back = try FSST.decompress(symbolTable: table, compressed: re.bytes, offsets: re.offsets)
            let sameBack = back.bytes == flat && back.offsets == flatOffsets
            #expect(sameBack, "\(name) with our matcher")
        }
    }

    @Test func roundTripCaptions() throws {
        let caps = Self.captions()
        #expect(caps.count == 2600)
        let c = FSST.compress(strings: caps, minimumInputSize: 0)
        #expect(c.symbolTable.count == FSST.tableSize)
        #expect(c.symbolTable[3] & 1 == 1)  // compressed flag (bit 24)
        let d = try FSST.decompress(symbolTable: c.symbolTable, compressed: c.bytes, offsets: c.offsets)
        let same = Self.strings(d.offsets, d.bytes) == caps
        #expect(same)
        let raw = caps.reduce(0) { $0 + $1.count }
        let ratio = Double(c.bytes.count) / Double(raw)
        #expect(ratio < 0.6, "compression ratio \(ratio)")

        // Compare with pylance's ratio on the same captions (first chunk it wrote).
        let chunk = try CodecVectors.data("fsst/captions_v2_1_chunk0.chunk")
        let expected = try CodecVectors.data("fsst/captions_v2_1_chunk0.expected")
        let pyRatio = Double(chunk.count - 4 * 65) / Double(expected.count - 4 * 65)
        let table = try c.symbolTable.withUnsafeBytes { try FSST.SymbolTable(serialized: $0) }
        let first64 = Array(caps.prefix(64))
        var offs = [0]
        for s in first64 { offs.append(offs.last! + s.count) }
        let ours = first64.flatMap { $0 }.withUnsafeBytes { FSST.compress(bytes: $0, offsets: offs, table: table) }
        let ourRatio = Double(ours.bytes.count) / Double(offs.last!)
        #expect(ourRatio < pyRatio * 1.15, "ours \(ourRatio) vs pylance \(pyRatio)")
        print("fsst captions: whole-corpus ratio \(ratio); first chunk ours \(ourRatio) vs pylance \(pyRatio)")
    }

    @Test func smallInputIsStoredRaw() throws {
        let strs: [[UInt8]] = [Array("hello".utf8), [], Array("world".utf8)]
        let c = FSST.compress(strings: strs)
        #expect(c.symbolTable.count == FSST.tableSize && c.symbolTable[3] & 1 == 0)
        #expect(c.bytes == Array("helloworld".utf8) && c.offsets == [0, 5, 5, 10])
        let d = try FSST.decompress(symbolTable: c.symbolTable, compressed: [0xEE] + c.bytes, offsets: c.offsets.map { $0 + 1 })
        #expect(d.offsets == [0, 5, 5, 10] && d.bytes == Array("helloworld".utf8))
    }

    @Test func edgeCases() throws {
        var rng = CodecTestRNG(seed: 77)
        let binary: [[UInt8]] = (0..<400).map { i in (0..<(i % 37)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        let zerosAndFF: [[UInt8]] = (0..<300).map { i in [UInt8](repeating: i % 2 == 0 ? 0 : 255, count: i % 20) }
        let one: [[UInt8]] = [[UInt8](repeating: 0x41, count: 50000)]
        let empties: [[UInt8]] = [[], [], []]
        for strs in [binary, zerosAndFF, one, empties, binary + zerosAndFF] {
            let c = FSST.compress(strings: strs, minimumInputSize: 0)
            let d = try FSST.decompress(symbolTable: c.symbolTable, compressed: c.bytes, offsets: c.offsets)
            let same = Self.strings(d.offsets, d.bytes) == strs
            #expect(same)
        }
    }

    @Test func rejectsBadInput() throws {
        let table = FSST.compress(strings: Self.captions(), minimumInputSize: 0).symbolTable
        let n = Int(table[0])
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: Array(table[0..<7]), compressed: [], offsets: [0]) }
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: Array(table[0..<(8 + 9 * n - 1)]), compressed: [], offsets: [0]) }
        var badMagic = table; badMagic[7] = 0
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: badMagic, compressed: [0], offsets: [0, 1]) }
        // Escape as the last byte of a string, unknown code, bad offsets.
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: table, compressed: [0, 255], offsets: [0, 2]) }
        if n < 255 {
            #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: table, compressed: [UInt8(n)], offsets: [0, 1]) }
        }
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: table, compressed: [0, 0], offsets: [0, 3]) }
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: table, compressed: [0, 0], offsets: [1, 0]) }
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: table, compressed: [0, 0], offsets: [-1, 1]) }
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: table, compressed: [0, 0], offsets: []) }
        var badLen = table; badLen[8 + 8 * n] = 9
        #expect(throws: CodecError.self) { try FSST.decompress(symbolTable: badLen, compressed: [0], offsets: [0, 1]) }
    }
}

extension FSSTTests {
    /// pylance decodes what our encoder writes: the generator script patches our symbol table and codes into
    /// a pylance-written 2.1 FSST page (scripts/gen-codec-vectors.py fsst-readback) and reads it back.
    @Test func pylanceReadsOurCodes() throws {
        let caps = Self.captions()
        let c = FSST.compress(strings: caps, minimumInputSize: 0)
        let dir = try CodecPython.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let table = dir.appendingPathComponent("table.bin"), comp = dir.appendingPathComponent("codes.bin")
        try Data(c.symbolTable).write(to: table)
        var framed: [UInt8] = []
        for o in c.offsets { withUnsafeBytes(of: UInt64(o).littleEndian) { framed += $0 } }
        try Data(framed + c.bytes).write(to: comp)
        let script = CodecPython.repoRoot().appendingPathComponent("scripts/gen-codec-vectors.py").path
        let out = try CodecPython.run("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                          [script, "fsst-readback", CodecVectors.root.appendingPathComponent("fsst/captions.txt").path,
                                           table.path, comp.path])
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "ok \(caps.count)")
    }
}
