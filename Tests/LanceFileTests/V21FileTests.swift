import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import Testing
import LanceTestSupport

/// Reads pylance-written 2.1/2.2 files (every column of each case) and compares every value.
@Suite struct V21FileTests {
    /// Reads whole columns, a middle range, and a scattered take; compares each with pylance's values.
    func check(_ name: String, fields only: [String]? = nil) async throws {
        let file = try await V21Fixtures.open(name)
        let expected = try V21Fixtures.expected(name)
        let schema = try file.schema()
        let map = try file.defaultColumnMap()
        let n = Int(file.rowCount)
        for field in schema.fields where only?.contains(field.name) ?? true {
            let want = try #require(expected[field.name], "no expected rows for \(field.name)")
            #expect(want.count == n)
            let all = try await file.read(field, columns: map, rows: 0 ..< n)
            #expect(all.count == n, "\(name).\(field.name)")
            var bad = 0
            for i in 0 ..< min(n, all.count) where v21Render(all, i) != want[i] {
                bad += 1
                if bad <= 3 { Issue.record("\(name).\(field.name) row \(i): got \(v21Render(all, i).prefix(200)) want \(want[i].prefix(200))") }
            }
            #expect(bad == 0, "\(name).\(field.name): \(bad) rows differ")

            let lo = n / 3, hi = min(n, lo + n / 4 + 5)
            let mid = try await file.read(field, columns: map, rows: lo ..< hi)
            #expect(mid.count == hi - lo)
            for i in 0 ..< mid.count where v21Render(mid, i) != want[lo + i] {
                Issue.record("\(name).\(field.name) range row \(lo + i) differs"); break
            }

            let empty = try await file.read(field, columns: map, rows: n / 2 ..< n / 2)
            #expect(empty.count == 0)
            let none = try await file.take(field, columns: map, rows: [])
            #expect(none.count == 0)

            let rows = Array(Set([0, 1, 2, n / 2, n / 2 + 1, n - 1] + stride(from: 5, to: n, by: 97).map { $0 })).filter { $0 < n }.sorted()
            let taken = try await file.take(field, columns: map, rows: rows)
            #expect(taken.count == rows.count)
            for (k, r) in rows.enumerated() where k < taken.count && v21Render(taken, k) != want[r] {
                Issue.record("\(name).\(field.name) take row \(r): got \(v21Render(taken, k).prefix(200)) want \(want[r].prefix(200))"); break
            }
        }
    }

    @Test(arguments: ["2.1", "2.2"])
    func plainUncompressed(version: String) async throws {
        try await check("plain_\(version)")
    }

    @Test(arguments: ["2.1", "2.2"])
    func primitives(version: String) async throws {
        try await check("prim_\(version)")
    }

    @Test(arguments: ["2.1", "2.2"])
    func nested(version: String) async throws {
        try await check("nested_\(version)")
    }

    @Test(arguments: ["2.1", "2.2"])
    func smallPages(version: String) async throws {
        try await check("pages_\(version)")
    }

    @Test(arguments: ["2.1", "2.2"])
    func optInEncodings(version: String) async throws {
        try await check("opts_\(version)")
    }

    /// Taking a few rows of a full-zip large_binary column reads only those rows' bytes.
    @Test(arguments: ["2.1", "2.2"])
    func fullZipTakeReadsOnlyTheRows(version: String) async throws {
        let name = "blobs_\(version)"
        let dir = try V21Fixtures.directory.get()
        let counting = V21CountingObject(try await LocalStore(root: dir).open(name + ".lance"))
        let file = try await LanceFileReader.open(counting)
        let field = try #require(try file.schema().field(named: "blob"))
        let before = counting.bytesRead
        let rows = [3, 500, 501, 2999, 3999]
        let got = try await file.take(field, columns: try file.defaultColumnMap(), rows: rows)
        let read = counting.bytesRead - before
        let want = try #require(try V21Fixtures.expected(name)["blob"])
        for (k, r) in rows.enumerated() { #expect(v21Render(got, k) == want[r]) }
        // 5 values of 1000 bytes plus a few repetition-index entries; the page itself is ~4 MB.
        #expect(read < 16 * 1024, "take read \(read) bytes")
    }

    /// All-null fixed-size-list, list and struct columns (2.2: all-null pages with RLE-compressed levels).
    @Test(arguments: ["2.1", "2.2"])
    func allNullNestedColumns(version: String) async throws {
        let name = "allnull_\(version)"
        try await check(name)
        let file = try await V21Fixtures.open(name)
        let map = try file.defaultColumnMap()
        #expect(file.rowCount == 600)
        for f in ["n_fsl", "n_list", "n_struct"] {
            let field = try #require(try file.schema().field(named: f))
            let got = try await file.read(field, columns: map, rows: 0 ..< Int(file.rowCount))
            #expect(got.count == 600)
            #expect((0 ..< got.count).allSatisfy { got.isNull($0) }, "\(f) has non-null rows")
        }
    }

    @Test(arguments: ["2.1", "2.2"])
    func listsSpanningChunks(version: String) async throws {
        try await check("longlists_\(version)")
    }

    /// Struct members whose columns are absent (added later by add_columns elsewhere) read as nulls;
    /// the struct's own validity still comes from a present member.
    @Test(arguments: ["2.1", "2.2"])
    func absentStructMembersReadAsNulls(version: String) async throws {
        let name = "nested_\(version)"
        let file = try await V21Fixtures.open(name)
        let want = try V21Fixtures.expected(name)
        let schema = try file.schema()
        let full = try file.defaultColumnMap()
        let n = Int(file.rowCount)

        let st = try #require(schema.field(named: "st"))   // struct<a: int64, b: string, c: struct<d: double>>
        var map = full
        for f in st.preorder where f.name == "b" || f.name == "d" { map[f.id] = nil }
        let got = try await file.read(st, columns: map, rows: 0 ..< n)
        let kept = try await file.read(st, columns: full, rows: 0 ..< n)
        for i in 0 ..< n {
            #expect(got.isNull(i) == (want["st"]![i] == "null"))
            if got.isValid(i) {
                #expect(v21Render(got.children[0], i) == v21Render(kept.children[0], i))
                #expect(got.children[1].isNull(i) && got.children[2].isNull(i))
            }
        }

        let lst = try #require(schema.field(named: "lst"))  // list<struct<x: int32, y: string>>
        map = full
        for f in lst.preorder where f.name == "y" { map[f.id] = nil }
        let rows = [0, 1, 5, 6, 7, n - 1]
        let taken = try await file.take(lst, columns: map, rows: rows)
        let whole = try await file.take(lst, columns: full, rows: rows)
        for k in rows.indices {
            #expect(taken.isNull(k) == whole.isNull(k))
            guard whole.isValid(k) else { continue }
            let a = taken.listValues(k), b = whole.listValues(k)
            #expect(a.count == b.count)
            for j in 0 ..< min(a.count, b.count) {
                #expect(a.isNull(j) == b.isNull(j))
                #expect(v21Render(a.children[0], j) == v21Render(b.children[0], j))
                #expect(a.children[1].isNull(j))
            }
        }

        var none = full
        for f in st.preorder { none[f.id] = nil }
        let nulls = try await file.read(st, columns: none, rows: 0 ..< 10)
        #expect(nulls.count == 10 && nulls.nullCount == 10)
    }

    @Test(arguments: ["2.1", "2.2"])
    func blobLayout(version: String) async throws {
        try await check("bloblayout_\(version)")
    }

    @Test(arguments: ["2.1", "2.2"])
    func smallFile(version: String) async throws {
        try await check("small_\(version)")
    }

    /// Corrupted copies of a small file (random bytes changed anywhere, or truncated) either decode or
    /// throw a `LanceError`; they never trap.
    @Test(arguments: ["2.1", "2.2"])
    func corruptedFilesThrow(version: String) async throws {
        let dir = try V21Fixtures.directory.get()
        let original = try await LocalStore(root: dir).read("small_\(version).lance").bytes
        var rng = V21SplitMix(seed: version == "2.1" ? 1 : 2)
        let store = MemoryStore()
        var failures = 0
        for trial in 0 ..< 150 {
            var bytes = original
            if trial % 10 == 9 {
                bytes.removeLast(Int(rng.next() % UInt64(bytes.count / 2)) + 1)
            } else {
                for _ in 0 ..< 1 + Int(rng.next() % 4) {
                    // Bias towards the metadata at the end, where sizes and counts live.
                    let span = rng.next() % 2 == 0 ? bytes.count : min(bytes.count, 4096)
                    let at = bytes.count - 1 - Int(rng.next() % UInt64(span))
                    bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            }
            store.overwrite("f.lance", with: bytes)
            do {
                let file = try await LanceFileReader.open(try await store.open("f.lance"))
                let map = try file.defaultColumnMap()
                let n = Int(file.rowCount)
                guard n > 0, n < 1_000_000 else { continue }
                for field in try file.schema().fields {
                    _ = try? await file.read(field, columns: map, rows: 0 ..< n)
                    _ = try? await file.take(field, columns: map, rows: [0, n / 2, n - 1].filter { $0 < n })
                }
            } catch is LanceError {
                failures += 1
            }
        }
        #expect(failures < 150)
    }
}

/// A small deterministic generator for the corruption tests.
typealias V21SplitMix = SplitMix64
