import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import Testing
import LanceTestSupport

@Suite("V20 decoding against pylance 2.0 files")
struct V20ReadTests {
    static let caseNames = ["prim1", "primN", "nested1", "nestedN", "options"]

    func check(_ got: ArrayData, _ want: [String], rows: [Int], _ label: String) {
        #expect(got.count == rows.count, "\(label): \(got.count) rows, expected \(rows.count)")
        guard got.count == rows.count else { return }
        var mismatches = 0
        for (k, r) in rows.enumerated() {
            let v = V20Render.value(got, k)
            if v != want[r] {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(label) row \(r): got \(v.prefix(200)), expected \(want[r].prefix(200))") }
            }
        }
        #expect(mismatches == 0, "\(label): \(mismatches) mismatching rows")
    }

    @Test("full read of every column", arguments: caseNames)
    func fullRead(_ name: String) async throws {
        let fx = try await V20FixtureSet.shared.value
        let want = try #require(fx.expected.cases[name])
        let file = try await fx.open(name)
        #expect(file.version == .v2_0)
        #expect(Int(file.rowCount) == want.rows)
        let schema = try file.schema()
        let map = try file.defaultColumnMap()
        #expect(Set(schema.fields.map(\.name)) == Set(want.columns.keys))
        for f in schema.fields {
            do {
                let got = try await file.read(f, columns: map, rows: 0 ..< want.rows)
                #expect(got.type == f.type, "\(name).\(f.name) type")
                check(got, want.columns[f.name]!, rows: Array(0 ..< want.rows), "\(name).\(f.name)")
            }
        }
    }

    @Test("range reads across page boundaries", arguments: caseNames)
    func rangeReads(_ name: String) async throws {
        let fx = try await V20FixtureSet.shared.value
        let want = try #require(fx.expected.cases[name])
        let file = try await fx.open(name)
        let map = try file.defaultColumnMap()
        let n = want.rows
        let ranges = [0 ..< 1, n - 1 ..< n, n / 3 ..< 2 * n / 3, 255 ..< 259, 17 ..< 17, 1 ..< n - 1]
        for f in try file.schema().fields {
            for r in ranges {
                do {
                    let got = try await file.read(f, columns: map, rows: r)
                    check(got, want.columns[f.name]!, rows: Array(r), "\(name).\(f.name)[\(r)]")
                }
            }
        }
    }

    @Test("take of scattered rows", arguments: caseNames)
    func take(_ name: String) async throws {
        let fx = try await V20FixtureSet.shared.value
        let want = try #require(fx.expected.cases[name])
        let file = try await fx.open(name)
        let map = try file.defaultColumnMap()
        let n = want.rows
        var rows = Set([0, 1, 2, 3, 99, 100, 101, 255, 256, 257, 511, 512, n / 2, n - 2, n - 1].filter { $0 < n })
        for i in stride(from: 5, to: n, by: 37) { rows.insert(i) }
        let sorted = rows.sorted()
        for f in try file.schema().fields {
            do {
                let got = try await file.take(f, columns: map, rows: sorted)
                check(got, want.columns[f.name]!, rows: sorted, "\(name).\(f.name) take")
                let one = try await file.take(f, columns: map, rows: [n - 1])
                check(one, want.columns[f.name]!, rows: [n - 1], "\(name).\(f.name) take last")
            }
            let none = try await file.take(f, columns: map, rows: [])
            #expect(none.count == 0)
        }
    }

    @Test("reads touch only the pages they need")
    func pageLocality() async throws {
        let fx = try await V20FixtureSet.shared.value
        let want = try #require(fx.expected.cases["primN"])
        let object = V20CountingObject(try await LocalStore(root: fx.directory).open("primN.lance"))
        let file = try await LanceFileReader.open(object)
        let map = try file.defaultColumnMap()
        let schema = try file.schema()
        for name in ["i64", "s", "b", "dict_s"] {
            let f = try #require(schema.field(named: name))
            let col = try #require(map[f.id])
            let pages = file.columns[col].pages
            #expect(pages.count > 3, "\(name) should span several pages")
            // Bytes of every page but the last.
            var early: [Range<UInt64>] = []
            for p in pages.dropLast() {
                for (o, s) in zip(p.bufferOffsets, p.bufferSizes) where s > 0 { early.append(o ..< o + s) }
            }
            object.reset()
            let n = want.rows
            let got = try await file.read(f, columns: map, rows: n - 3 ..< n)
            check(got, want.columns[name]!, rows: Array(n - 3 ..< n), "\(name) tail")
            for r in object.reads {
                #expect(!early.contains { $0.overlaps(r) }, "\(name): tail read touched an earlier page (\(r))")
            }
            object.reset()
            let one = try await file.take(f, columns: map, rows: [n / 2])
            check(one, want.columns[name]!, rows: [n / 2], "\(name) take")
            let total = pages.reduce(UInt64(0)) { $0 + $1.bufferSizes.reduce(0, +) }
            #expect(object.bytesRead < total / 2, "\(name): take of one row read \(object.bytesRead) of \(total) bytes")
        }
    }

    @Test("corrupt offsets are reported, not trapped")
    func corruptOffsets() async throws {
        let fx = try await V20FixtureSet.shared.value
        let path = fx.directory + "/prim1.lance"
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try await fx.open("prim1")
        let map = try file.defaultColumnMap()
        let schema = try file.schema()
        for name in ["s", "ls", "bin", "fsb", "dict_s", "i64"] {
            let f = try #require(schema.field(named: name))
            let page = file.columns[map[f.id]!].pages[0]
            // Overwrite the start of every buffer of the page with 0xFF bytes.
            var bytes = original
            for (o, s) in zip(page.bufferOffsets, page.bufferSizes) {
                for k in 0 ..< Int(min(s, 16)) { bytes[Int(o) + k] = 0xFF }
            }
            let damaged = try await LanceFileReader.open(BytesObject(path: "damaged.lance", bytes: bytes))
            do {
                let a = try await damaged.read(f, columns: map, rows: 0 ..< 20)
                // Fixed-width values cannot be told apart from real ones; they must still decode to 20 rows.
                #expect(name == "i64" || name == "fsb", "\(name): damaged page decoded without an error")
                #expect(a.count == 20)
            } catch let e as LanceError {
                #expect(e.code == .corruptFile, "\(name): \(e)")
                #expect(e.message.contains("column"), "\(name): error does not name the column/page: \(e)")
            }
        }
        // A truncated file fails on open or on read, never traps.
        let truncated = Array(original[0 ..< original.count / 2]) + Array(original.suffix(40))
        do {
            let t = try await LanceFileReader.open(BytesObject(path: "truncated.lance", bytes: truncated))
            _ = try await t.read(schema.fields[0], columns: map, rows: 0 ..< 10)
            Issue.record("truncated file read without an error")
        } catch let e as LanceError {
            #expect(e.code == .corruptFile, "\(e)")
        }
    }

    @Test("random damage to page data or metadata never traps", arguments: ["prim1", "nested1", "options"])
    func randomDamage(_ name: String) async throws {
        let fx = try await V20FixtureSet.shared.value
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fx.directory + "/\(name).lance")))
        let file = try await fx.open(name)
        let schema = try file.schema()
        let map = try file.defaultColumnMap()
        let dataEnd = Int(file.footer.columnMetadataStart)
        var rng = V20SplitMix(seed: 0x5EED)
        var errors = 0
        for round in 0 ..< 24 {
            var bytes = original
            // Even rounds damage page data, odd rounds the column metadata.
            let lo = round % 2 == 0 ? 0 : dataEnd
            let hi = round % 2 == 0 ? dataEnd : original.count - 40
            for _ in 0 ..< 24 { bytes[lo + Int(rng.next() % UInt64(hi - lo))] = UInt8(truncatingIfNeeded: rng.next()) }
            do {
                let damaged = try await LanceFileReader.open(BytesObject(path: "damaged.lance", bytes: bytes))
                for f in schema.fields {
                    do {
                        let a = try await damaged.read(f, columns: map, rows: 0 ..< Int(file.rowCount))
                        _ = V20Render.column(a)
                        let t = try await damaged.take(f, columns: map, rows: [1, 7, 8, 200])
                        _ = V20Render.column(t)
                    } catch is LanceError { errors += 1 }
                }
            } catch is LanceError { errors += 1 }
        }
        #expect(errors > 0, "damage was never detected")
    }

    @Test("a file without rows")
    func emptyFile() async throws {
        let fx = try await V20FixtureSet.shared.value
        let file = try await fx.open("empty")
        #expect(file.rowCount == 0)
        let map = try file.defaultColumnMap()
        for f in try file.schema().fields {
            let a = try await file.read(f, columns: map, rows: 0 ..< 0)
            #expect(a.count == 0 && a.type == f.type)
            let t = try await file.take(f, columns: map, rows: [])
            #expect(t.count == 0)
        }
    }

    @Test("absent columns read as nulls")
    func absentColumns() async throws {
        let fx = try await V20FixtureSet.shared.value
        let file = try await fx.open("nested1")
        let schema = try file.schema()
        for f in schema.fields {
            let got = try await file.read(f, columns: [:], rows: 3 ..< 10)
            #expect(got.count == 7)
            #expect(got.nullCount == 7 || f.type.children.count > 0 && f.type.isNested)
        }
    }
}

/// A small deterministic generator for damage positions.
typealias V20SplitMix = SplitMix64
