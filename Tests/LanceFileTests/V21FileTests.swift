import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import Testing

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
}
