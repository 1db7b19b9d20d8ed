import Foundation
import LanceKernels
import Testing

@Suite struct RoaringTests {
    /// Decodes the LEB128 (gap, count) pairs the generator writes for the expected values.
    static func gapRuns(_ b: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        var i = 0
        func varint() -> Int {
            var v = 0, shift = 0
            while true {
                let c = Int(b[i]); i += 1
                v |= (c & 0x7F) << shift
                if c < 0x80 { return v }
                shift += 7
            }
        }
        var prev = -1
        while i < b.count {
            let gap = varint(), n = varint()
            for _ in 0..<n { prev += gap; out.append(UInt32(prev)) }
        }
        return out
    }

    static func cases() throws -> [(name: String, bytes: [UInt8], values: [UInt32])] {
        let manifest = try #require(try CodecVectors.json("roaring/manifest.json") as? [[String: Any]])
        return try manifest.map { e in
            let name = e["name"] as! String
            let values = gapRuns(try CodecVectors.data("roaring/\(name).values"))
            #expect(values.count == e["count"] as! Int, "\(name)")
            return (name, try CodecVectors.data("roaring/\(name).bin"), values)
        }
    }

    @Test func decodesPyroaring() throws {
        let cases = try Self.cases()
        #expect(cases.count == 16)
        for c in cases {
            let b = try RoaringBitmap(serialized: c.bytes)
            let sameValues = b.sortedValues == c.values
            #expect(sameValues, "\(c.name)")
            #expect(b.count == c.values.count)
            #expect(b == RoaringBitmap(c.values), "\(c.name) equality")
            for v in c.values.prefix(50) { #expect(b.contains(v)) }
            if let last = c.values.last, last < UInt32.max { #expect(!b.contains(last + 1)) }
            // Our serialization of a set without runs is byte-identical to CRoaring's.
            // (pyroaring picks run containers by itself for ranges; compare only its no-run outputs.)
            if c.bytes.prefix(4) == [0x3A, 0x30, 0, 0] {
                let same = b.serialized() == c.bytes
                #expect(same, "\(c.name) bytes")
            }
            // The generator run-optimized the "runs_*" sets; with run containers we choose as CRoaring does.
            if c.name.hasPrefix("runs") {
                let same = b.serialized(runContainers: true) == c.bytes
                #expect(same, "\(c.name) run-container bytes")
            }
            let again = try RoaringBitmap(serialized: b.serialized(runContainers: true))
            #expect(again == b, "\(c.name) run round trip")
        }
    }

    /// Run containers stay runs in memory: membership at run edges, insertion, equality with array/bitmap forms.
    @Test func runContainersInMemory() throws {
        for c in try Self.cases() where c.name.hasPrefix("runs") {
            var b = try RoaringBitmap(serialized: c.bytes)
            let set = Set(c.values)
            for v in c.values where !set.contains(v &+ 1) || !set.contains(v &- 1) {
                #expect(b.contains(v), "\(c.name) \(v)")
                if v < UInt32.max && !set.contains(v + 1) { #expect(!b.contains(v + 1), "\(c.name) \(v + 1)") }
                if v > 0 && !set.contains(v - 1) { #expect(!b.contains(v - 1), "\(c.name) \(v - 1)") }
            }
            let missing = (0..<UInt32(200_000)).first { !set.contains($0) && set.contains($0 + 1) }
            if let m = missing {
                b.insert(m)
                #expect(b.contains(m) && b.count == c.values.count + 1)
                let same = b == RoaringBitmap(c.values + [m])
                #expect(same, "\(c.name) after insert")
            }
        }
    }

    @Test func roundTrip() throws {
        var rng = CodecTestRNG(seed: 1234)
        var sets: [[UInt32]] = [[], [0], [UInt32.max], Array(0..<5000), Array(65530..<65545)]
        sets.append((0..<20000).map { _ in UInt32(truncatingIfNeeded: rng.next()) })
        sets.append((0..<20000).map { _ in UInt32(truncatingIfNeeded: rng.next() % 300_000) })
        for values in sets {
            let b = RoaringBitmap(values.shuffled(using: &rng))
            let expected = Array(Set(values)).sorted()
            #expect(b.sortedValues == expected)
            #expect(b.count == expected.count)
            let back = try RoaringBitmap(serialized: b.serialized())
            #expect(back == b && back.sortedValues == expected)
        }
    }

    /// pyroaring reads what we write.
    @Test func pyroaringReadsOurs() throws {
        let dir = try CodecPython.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = CodecTestRNG(seed: 99)
        let sets: [[UInt32]] = [
            [], [7], [UInt32.max - 1, UInt32.max], Array(0..<70000), Array(stride(from: 0, to: 300_000, by: 7)),
            Array(0..<3) + Array(100..<5000) + Array(65536..<65636) + Array(200_000..<200_010) + [UInt32.max], Array(1000..<9000),
            (0..<10000).map { _ in UInt32(truncatingIfNeeded: rng.next()) },
        ]
        var args: [String] = []
        for (i, values) in sets.enumerated() {
            let b = RoaringBitmap(values)
            let bin = dir.appendingPathComponent("\(i).bin"), txt = dir.appendingPathComponent("\(i).txt")
            try Data(b.serialized(runContainers: i % 2 == 1)).write(to: bin)
            try values.sorted().map(String.init).joined(separator: "\n").write(to: txt, atomically: true, encoding: .utf8)
            args += [bin.path, txt.path]
        }
        let script = """
        import sys
        from pyroaring import BitMap
        a = sys.argv[1:]
        for b, t in zip(a[0::2], a[1::2]):
            bm = BitMap.deserialize(open(b, 'rb').read())
            want = [int(x) for x in open(t).read().split()]
            assert list(bm) == want, b
            assert bm.serialize() == open(b, 'rb').read(), b
        print(len(a) // 2)
        """
        let out = try CodecPython.run(script, args)
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == String(sets.count))
    }

    @Test func rejectsBadInput() throws {
        #expect(throws: CodecError.self) { try RoaringBitmap(serialized: []) }
        #expect(throws: CodecError.self) { try RoaringBitmap(serialized: [0x3A, 0x30, 0, 0]) }  // no size
        #expect(throws: CodecError.self) { try RoaringBitmap(serialized: [1, 2, 3, 4, 0, 0, 0, 0]) }  // bad cookie
        let good = RoaringBitmap([1, 2, 3, 70000, 140000]).serialized()
        for cut in 0..<good.count { #expect(throws: CodecError.self) { try RoaringBitmap(serialized: Array(good[0..<cut])) } }
        // Keys out of order.
        var swapped = good
        swapped[8] = 9
        #expect(throws: CodecError.self) { try RoaringBitmap(serialized: swapped) }
        // A huge container count with no data behind it.
        #expect(throws: CodecError.self) { try RoaringBitmap(serialized: [0x3A, 0x30, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]) }
        #expect(throws: CodecError.self) { try RoaringBitmap(serialized: [0x3B, 0x30, 0xFF, 0xFF]) }
    }
}
